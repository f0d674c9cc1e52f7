/* Live-session mode: the running clock, tapping and keyboard tagging, undo and the tally.
 *
 * Every tap is sent at once (fetch, JSON); the server computes the minute from its own clock.
 * The tapped button shows at once that the tap is on its way, then that the server saved it
 * (or that it did not), so a tap on a tablet is acknowledged in the same frame. Keys: digits
 * choose the target (1..n a partner, 0 both), a type's key tags it (a letter, or Shift with a
 * letter for the second row), Shift with 1..5 sets the intensity, the undo key undoes this
 * counsellor's last tap, the answer key arms "the next tap answers the last moment" (the top of
 * the latest list; the server links it and aims it at that moment's partner). Each row of the
 * latest list has buttons for its outcome (accepted, rejected, missed; pressed again: none). Keys are ignored while focus is in a text field or a dialog is open,
 * and with Ctrl, Alt or Meta held.
 */
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root) {
    return;
  }
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var urls = {
    tag: root.getAttribute("data-tag-url"),
    undo: root.getAttribute("data-undo-url"),
    state: root.getAttribute("data-state-url"),
  };
  var undoKey = root.getAttribute("data-undo-key");
  var answerKey = root.getAttribute("data-answer-key");
  var outcomeUrl = root.getAttribute("data-outcome-url");
  var breakKey = root.getAttribute("data-break-key");
  var duration = Number(root.getAttribute("data-duration"));

  var statusBox = document.getElementById("live-status");
  var errorBox = document.getElementById("live-error");
  var recentList = document.getElementById("live-recent");
  var recentEmpty = document.getElementById("live-recent-empty");
  var targetName = document.getElementById("live-target-name");
  var RECENT_LIMIT = 10;

  // --- Clock: seconds since the session's start, as the server counted them at page load. ---
  var clock = document.getElementById("live-clock");
  var minuteBox = document.getElementById("live-minute");
  var clockNote = document.getElementById("live-clock-note");
  var elapsedAtLoad = Number(root.getAttribute("data-elapsed"));
  var loadedAt = Date.now();

  function two(n) {
    return n < 10 ? "0" + n : String(n);
  }

  var clockWindow = Number(root.getAttribute("data-window"));

  function clockText(seconds) {
    if (seconds < -clockWindow) {
      return "Not started";
    }
    if (seconds > duration * 60 + clockWindow) {
      return "Ended";
    }
    var whole = Math.floor(Math.abs(seconds));
    var text = two(Math.floor(whole / 60)) + ":" + two(whole % 60);
    return seconds < 0 ? "\u2212" + text : text;
  }

  var shownMinute = null;
  var shownPhase = null;

  function tick() {
    var seconds = elapsedAtLoad + (Date.now() - loadedAt) / 1000;
    clock.textContent = clockText(seconds);
    var minute = Math.max(0, Math.min(Math.floor(seconds / 60), duration));
    var phase = seconds < 0 ? "before" : seconds > duration * 60 ? "after" : "during";
    if (minute === shownMinute && phase === shownPhase) {
      return;
    }
    shownMinute = minute;
    shownPhase = phase;
    minuteBox.textContent = "";
    minuteBox.appendChild(document.createTextNode("Tags go to minute "));
    var strong = document.createElement("strong");
    strong.textContent = String(minute);
    minuteBox.appendChild(strong);
    minuteBox.appendChild(document.createTextNode(" of " + duration));
    clockNote.textContent = phase === "during" ? "" : clockNote.getAttribute("data-" + phase);
  }
  tick();
  window.setInterval(tick, 1000);

  // --- Target: whom keyboard tags are for (sticky until another digit is pressed). ---
  var targetButtons = Array.prototype.slice.call(root.querySelectorAll(".target-button"));
  var currentTarget = null;

  function selectTarget(button) {
    targetButtons.forEach(function (other) {
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    });
    currentTarget = button;
    targetName.textContent = button.getAttribute("data-name");
    root.setAttribute("data-current-target", button.getAttribute("data-target"));
  }

  targetButtons.forEach(function (button) {
    if (button.getAttribute("aria-pressed") === "true") {
      currentTarget = button;
    }
    button.addEventListener("click", function () {
      selectTarget(button);
    });
  });

  function targetForKey(key) {
    for (var i = 0; i < targetButtons.length; i++) {
      if (targetButtons[i].getAttribute("data-key") === key) {
        return targetButtons[i];
      }
    }
    return null;
  }

  // --- Intensity of the next taps (3 unless chosen). ---
  function intensity() {
    var checked = root.querySelector('input[name="live-intensity"]:checked');
    return checked ? Number(checked.value) : 3;
  }

  function setIntensity(level) {
    var radio = root.querySelector('input[name="live-intensity"][value="' + level + '"]');
    if (radio) {
      radio.checked = true;
      say("Intensity " + level + " for the next taps.");
    }
  }

  // --- Talking to the server. ---
  // A network failure or a 5xx is the server's, not the sign-in's. A tap is not kept to send
  // later: the server dates it by its own clock when it arrives.
  var UNAVAILABLE = "The server is unavailable; that tap was not saved. Tap again in a moment.";

  function partnerValue(raw) {
    return raw === "" || raw === null ? null : Number(raw);
  }

  function send(url, method, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status >= 500) {
        throw new Error(UNAVAILABLE);
      }
      if (response.redirected || type.indexOf("application/json") === -1) {
        throw new Error(
          "Your sign-in may have expired. Reload the page to continue; that tap was not saved."
        );
      }
      return response.json().then(function (data) {
        if (!response.ok) {
          var message = data && data.error ? data.error.message : "The server refused the tap.";
          throw new Error(message);
        }
        return data;
      });
    }, function () {
      throw new Error(UNAVAILABLE);
    });
  }

  function say(message) {
    errorBox.textContent = "";
    statusBox.textContent = message;
  }

  function complain(error) {
    statusBox.textContent = "";
    errorBox.textContent = "Not saved: " + error.message;
  }

  function describe(moment) {
    return moment.label + " \u00b7 " + moment.partner + " \u00b7 min " + moment.minute;
  }

  // --- Tally and recent list. ---
  function showTally(tally) {
    document.getElementById("tally-escalating").textContent = tally.escalating;
    document.getElementById("tally-deescalating").textContent = tally.deescalating;
    document.getElementById("tally-neutral").textContent = tally.neutral;
    document.getElementById("tally-escalating-load").textContent = tally.escalating_load;
    document.getElementById("tally-deescalating-load").textContent = tally.deescalating_load;
    var share = document.getElementById("tally-share");
    share.textContent =
      tally.deescalation_share === null ? "\u2014" : Math.round(tally.deescalation_share * 100) + "%";
  }

  var OUTCOMES = [
    ["accepted", "Accepted"],
    ["rejected", "Rejected"],
    ["missed", "Missed"],
  ];

  function recentItem(moment) {
    var item = document.createElement("li");
    var summary = "min " + moment.minute + " \u00b7 " + moment.label + " \u00b7 " + moment.partner;
    item.setAttribute("data-id", String(moment.id));
    item.setAttribute("data-summary", summary);
    var text = document.createElement("span");
    text.className = "recent-text";
    text.textContent =
      summary + (moment.target ? " \u2192 " + moment.target : "") +
      (moment.answers_moment_id ? " \u21a9" : "");
    item.appendChild(text);
    item.appendChild(document.createTextNode(" "));
    var group = document.createElement("span");
    group.className = "live-outcomes";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Outcome");
    OUTCOMES.forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("data-outcome", pair[0]);
      button.setAttribute("aria-pressed", moment.outcome === pair[0] ? "true" : "false");
      button.textContent = pair[1];
      group.appendChild(button);
    });
    item.appendChild(group);
    return item;
  }

  function showRecent(moments) {
    recentList.textContent = "";
    moments.slice(0, RECENT_LIMIT).forEach(function (moment) {
      recentList.appendChild(recentItem(moment));
    });
    recentEmpty.hidden = recentList.children.length > 0;
  }

  function addRecent(moment) {
    recentList.insertBefore(recentItem(moment), recentList.firstChild);
    while (recentList.children.length > RECENT_LIMIT) {
      recentList.removeChild(recentList.lastChild);
    }
    recentEmpty.hidden = true;
  }

  function dropRecent(id) {
    var item = recentList.querySelector('li[data-id="' + id + '"]');
    if (item) {
      recentList.removeChild(item);
    }
    recentEmpty.hidden = recentList.children.length > 0;
  }

  // --- Tagging and undo. ---
  // A button's data-state: "sending" from the tap (in the same frame), then "saved" once the
  // server confirms or "failed" if it does not; the state clears after a moment.
  var SHOWN_FOR_MS = 1200;

  function markButton(button, state) {
    if (!button) {
      return;
    }
    window.clearTimeout(button._liveTimer);
    button.setAttribute("data-state", state);
    if (state !== "sending") {
      button._liveTimer = window.setTimeout(function () {
        button.removeAttribute("data-state");
      }, SHOWN_FOR_MS);
    }
  }

  function tag(typeId, partnerRaw, button) {
    markButton(button, "sending");
    var label = button ? button.getAttribute("data-label") : "";
    say("Saving " + label + "\u2026");
    var body = {
      moment_type_id: Number(typeId),
      partner_id: partnerValue(partnerRaw),
      intensity: intensity(),
    };
    if (answering) {
      body.answers_last = true;
      setAnswering(false);
    }
    send(urls.tag, "POST", body).then(
      function (data) {
        markButton(button, "saved");
        say(describe(data.moment) + " \u2014 saved");
        showTally(data.tally);
        addRecent(data.moment);
      },
      function (error) {
        markButton(button, "failed");
        complain(error);
      }
    );
  }

  function undo() {
    say("Undoing\u2026");
    send(urls.undo, "POST", {}).then(function (data) {
      showTally(data.tally);
      if (data.undone) {
        dropRecent(data.undone.id);
        say("Undone: " + describe(data.undone));
      } else {
        say("Nothing of yours to undo in this session.");
      }
    }, complain);
  }

  function refresh() {
    send(urls.state, "GET").then(function (data) {
      showTally(data.tally);
      showRecent(data.moments);
    }, complain);
  }

  // --- Answers the last moment: armed by its key or button, for the next tap only. ---
  var answering = false;
  var answerButton = document.getElementById("live-answer");
  var answerNote = document.getElementById("live-answer-note");

  function setAnswering(on) {
    var last = recentList.firstElementChild;
    if (on && !last) {
      say("There is no moment yet to answer.");
      on = false;
    }
    answering = on;
    answerButton.setAttribute("aria-pressed", on ? "true" : "false");
    root.setAttribute("data-answering", on ? "true" : "false");
    answerNote.textContent = on
      ? "On: the next tap answers " + last.getAttribute("data-summary") + "."
      : answerNote.getAttribute("data-off");
    if (on) {
      say("The next tap answers " + last.getAttribute("data-summary") + ".");
    }
  }

  answerButton.addEventListener("click", function () {
    setAnswering(!answering);
  });

  // --- Outcome of a moment, set on its row of the latest list. ---
  function setOutcome(button) {
    var item = button.closest("li");
    var id = item.getAttribute("data-id");
    var value = button.getAttribute("aria-pressed") === "true" ? null : button.getAttribute("data-outcome");
    var url = outcomeUrl.replace(/\/0\/outcome$/, "/" + id + "/outcome");
    send(url, "POST", { outcome: value }).then(function (data) {
      Array.prototype.forEach.call(item.querySelectorAll("button[data-outcome]"), function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-outcome") === data.moment.outcome ? "true" : "false");
      });
      say(describe(data.moment) + " \u2014 outcome " + (data.moment.outcome || "cleared"));
    }, complain);
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest(".tag-button");
    if (button) {
      tag(button.getAttribute("data-type"), button.getAttribute("data-partner"), button);
      return;
    }
    var outcomeButton = event.target.closest(".live-outcomes button[data-outcome]");
    if (outcomeButton) {
      setOutcome(outcomeButton);
    }
  });
  document.getElementById("live-undo").addEventListener("click", undo);

  // --- Keyboard. ---
  var shortcuts = {};
  Array.prototype.forEach.call(root.querySelectorAll(".tag-button[data-shortcut]"), function (b) {
    shortcuts[b.getAttribute("data-shortcut")] = b.getAttribute("data-type");
  });

  function typingIn(element) {
    if (!element) {
      return false;
    }
    if (element.isContentEditable) {
      return true;
    }
    var name = element.tagName;
    if (name === "TEXTAREA" || name === "SELECT") {
      return true;
    }
    if (name !== "INPUT") {
      return false;
    }
    var kind = (element.getAttribute("type") || "text").toLowerCase();
    return ["button", "checkbox", "radio", "submit", "reset", "color"].indexOf(kind) === -1;
  }

  function buttonFor(typeId, partnerRaw) {
    var selector =
      '.tag-button[data-type="' + typeId + '"][data-partner="' + (partnerRaw || "") + '"]';
    return root.querySelector(selector);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    if (typingIn(event.target)) {
      return;
    }
    if (dialog && dialog.open) {
      return;
    }
    var level = /^(?:Digit|Numpad)([1-5])$/.exec(event.code || "");
    if (event.shiftKey && level) {
      event.preventDefault();
      setIntensity(level[1]);
      return;
    }
    if (!event.key || event.key.length !== 1) {
      return;
    }
    // Shift picks the second row of keys, whatever Caps Lock says.
    var key = event.shiftKey ? event.key.toUpperCase() : event.key.toLowerCase();
    if (key >= "0" && key <= "9") {
      var target = targetForKey(key);
      if (target) {
        event.preventDefault();
        selectTarget(target);
      }
      return;
    }
    if (key === undoKey) {
      event.preventDefault();
      undo();
      return;
    }
    if (answerKey && key === answerKey) {
      event.preventDefault();
      setAnswering(!answering);
      return;
    }
    var breakForm = document.getElementById("live-break");
    if (breakKey && key === breakKey && breakForm) {
      // The break's caller is the keyboard target when it is a partner.
      event.preventDefault();
      var who = currentTarget && currentTarget.getAttribute("data-target");
      if (who) {
        breakForm.elements["called_by_id"].value = who;
      }
      breakForm.requestSubmit();
      return;
    }
    var typeId = shortcuts[key];
    if (typeId && currentTarget) {
      event.preventDefault();
      var partnerRaw = currentTarget.getAttribute("data-target");
      tag(typeId, partnerRaw, buttonFor(typeId, partnerRaw));
    }
  });

  // --- Start clock now: asked first, since it moves the session's recorded start. ---
  var startForm = document.getElementById("live-start-form");
  var dialog = document.getElementById("live-start-dialog");
  if (startForm && dialog && typeof dialog.showModal === "function") {
    var startButton = startForm.querySelector('button[type="submit"]');
    startForm.addEventListener("submit", function (event) {
      if (startForm.getAttribute("data-confirmed") === "true") {
        return;
      }
      event.preventDefault();
      dialog.showModal();
      document.getElementById("live-start-cancel").focus();
    });
    document.getElementById("live-start-confirm").addEventListener("click", function () {
      startForm.setAttribute("data-confirmed", "true");
      dialog.close();
      startForm.submit();
    });
    document.getElementById("live-start-cancel").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      if (startForm.getAttribute("data-confirmed") !== "true" && startButton) {
        startButton.focus();
      }
    });
  }

  // --- First screen: on a short screen (a tablet in landscape) the tagging grid is scrolled
  // into view, the session's header above it, when it would otherwise end below the fold. ---
  function bringGridIntoView() {
    var grids = root.querySelector(".live-grids");
    var dock = document.querySelector(".live-dock");
    if (!grids || window.location.hash || window.scrollY > 0) {
      return;
    }
    var fold = window.innerHeight - (dock ? dock.offsetHeight : 0);
    if (grids.getBoundingClientRect().bottom > fold) {
      var top = root.getBoundingClientRect().top + window.scrollY;
      window.scrollTo(0, Math.max(0, top - 8));
    }
  }
  bringGridIntoView();

  // A tablet that slept, or a page restored from the back/forward cache, shows stale figures.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      refresh();
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      refresh();
    }
  });
})();
