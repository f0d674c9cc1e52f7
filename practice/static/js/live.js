/* Live-session mode: the running clock, tapping and keyboard tagging, undo and the tally.
 *
 * Every tap is sent at once (fetch, JSON); the server computes the minute from its own clock,
 * so the page only shows what the server confirms. Keys: digits choose the target (1..n a
 * partner, 0 both), a type's letter tags it, the undo key undoes this counsellor's last tap.
 * Keys are ignored while focus is in a text field, and with Ctrl, Alt or Meta held.
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

  function recentItem(moment) {
    var item = document.createElement("li");
    item.setAttribute("data-id", String(moment.id));
    item.textContent = "min " + moment.minute + " \u00b7 " + moment.label + " \u00b7 " + moment.partner;
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
  function flashButton(button) {
    if (!button) {
      return;
    }
    button.classList.remove("just-tagged");
    // Reading offsetWidth restarts the CSS animation when the same button is tapped again.
    void button.offsetWidth;
    button.classList.add("just-tagged");
  }

  function tag(typeId, partnerRaw, button) {
    flashButton(button);
    say("Saving\u2026");
    var body = {
      moment_type_id: Number(typeId),
      partner_id: partnerValue(partnerRaw),
      intensity: intensity(),
    };
    send(urls.tag, "POST", body).then(function (data) {
      say(describe(data.moment) + " \u2014 saved");
      showTally(data.tally);
      addRecent(data.moment);
    }, complain);
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

  root.addEventListener("click", function (event) {
    var button = event.target.closest(".tag-button");
    if (button) {
      tag(button.getAttribute("data-type"), button.getAttribute("data-partner"), button);
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
    if (!event.key || event.key.length !== 1) {
      return;
    }
    var key = event.key.toLowerCase();
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
