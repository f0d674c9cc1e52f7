/* Autosave of the DAP note: progressive enhancement of the ordinary note form.
 *
 * Saves about 2 s after typing stops, when a field loses focus, and when the page is hidden or
 * closed (fetch with keepalive, so the request outlives the tab). One save at a time: each carries
 * the version the previous one returned. On a version conflict it stops and offers the normal form
 * submission, which shows both texts side by side. Clinical text must not linger on shared
 * devices, so the browser's storage holds nothing, except while the server is unavailable (no
 * connection, a 5xx answer): then the unsaved text is kept in local storage, saved again every
 * RETRY_MS, put back if the page is reloaded meanwhile, and removed as soon as a save succeeds.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave-url]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !tokenMeta || !window.fetch || !window.JSON) {
    return;
  }

  var url = form.getAttribute("data-autosave-url");
  var token = tokenMeta.getAttribute("content");
  var names = ["note_data", "note_assessment", "note_plan"];
  var fields = names.map(function (name) { return form.elements[name]; });
  var versionInput = form.elements.version;
  // The digest of the note this page started from: the server accepts a save over a newer
  // version when only the session's other details moved on (the live-mode clock, say).
  var baseInput = form.elements.note_base;
  var statusLine = document.getElementById("note-save-status");
  var problem = document.getElementById("autosave-problem");
  var problemText = problem ? problem.querySelector(".autosave-message") : null;
  var problemButton = problem ? problem.querySelector("button") : null;

  var DELAY_MS = 2000;
  // Browsers refuse keepalive bodies over 64 KiB.
  var KEEPALIVE_LIMIT = 60000;
  var RETRY_MS = 15000;
  var UNAVAILABLE = "The server is unavailable; your text is kept in this browser until it " +
    "saves. Saving again shortly.";
  var STORAGE_KEY = "practice-unsaved-note:" + url;

  var timer = null;
  var inFlight = false;
  var again = false;      // text changed while a save was in flight
  var stopped = false;    // after a conflict or a signed note: the normal form takes over
  var failed = false;     // the last save did not go through
  var submitting = false;
  var lastSaved = snapshot();

  function snapshot() {
    return fields.map(function (field) { return field.value; }).join("\u0000");
  }

  function unsaved() {
    return snapshot() !== lastSaved;
  }

  function setStatus(text) {
    if (statusLine) {
      statusLine.textContent = text;
    }
  }

  function showProblem(message, buttonLabel) {
    if (!problem) {
      setStatus(message);
      return;
    }
    problemText.textContent = message;
    problemButton.hidden = !buttonLabel;
    if (buttonLabel) {
      problemButton.textContent = buttonLabel;
    }
    problem.hidden = false;
  }

  function hideProblem() {
    if (problem) {
      problem.hidden = true;
    }
  }

  // --- Local copy while the server is unavailable (small functions, to ease merging). ---
  function keepLocally() {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify({
        version: versionInput.value,
        fields: fields.map(function (field) { return field.value; })
      }));
      return true;
    } catch (error) {
      return false;  // storage full or refused: the text is still on the page
    }
  }

  function forgetLocally() {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // nothing kept, nothing to forget
    }
  }

  function keptLocally() {
    try {
      return JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  // After a reload: put back text kept while the server was unavailable, if nothing was saved
  // since (same version); an older copy would overwrite newer text, so it is dropped.
  function restoreLocally() {
    var kept = keptLocally();
    if (!kept || !kept.fields || kept.version !== versionInput.value) {
      forgetLocally();
      return;
    }
    fields.forEach(function (field, i) {
      if (typeof kept.fields[i] === "string") {
        field.value = kept.fields[i];
      }
    });
    if (unsaved()) {
      setStatus("Text kept in this browser was put back; saving…");
      schedule();
    } else {
      forgetLocally();
    }
  }

  function unavailable() {
    failed = true;
    var kept = keepLocally();
    showProblem(kept ? UNAVAILABLE : "The server is unavailable; nothing was saved. Your text " +
      "is still here: keep this page open. Saving again shortly.", null);
    clearTimeout(timer);
    timer = setTimeout(save, RETRY_MS);
  }

  function body() {
    var payload = { version: parseInt(versionInput.value, 10) };
    if (baseInput && baseInput.value) {
      payload.base = baseInput.value;
    }
    names.forEach(function (name, i) { payload[name] = fields[i].value; });
    return JSON.stringify(payload);
  }

  function handle(response, sent) {
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
    if (response.status >= 500) {
      unavailable();
      return null;
    }
    if (response.redirected || !json) {
      failed = true;
      if (response.redirected) {
        showProblem("Not saved: you have been signed out. Copy your text somewhere safe " +
          "before signing in again.", null);
      } else {
        showProblem("Not saved automatically (the page may have expired). Your text is " +
          "still here: use Save note.", null);
      }
      return null;
    }
    return response.json().then(function (data) {
      if (response.ok) {
        versionInput.value = String(data.version);
        if (baseInput && data.base) {
          baseInput.value = data.base;
        }
        lastSaved = sent;
        failed = false;
        forgetLocally();
        hideProblem();
        setStatus("Saved " + data.saved_at);
        return;
      }
      failed = true;
      var message = (data.error && data.error.message) || "Not saved.";
      if (response.status === 409) {
        stopped = true;
        setStatus("Autosave paused");
        var signed = data.error && data.error.code === "signed";
        showProblem(message + " Your text is still here and was not saved.",
          signed ? "Show my unsaved text" : "Show both versions");
      } else {
        showProblem(message, null);
      }
    });
  }

  // The Save button is named "submit", which shadows form.submit(); call the method itself.
  function submitForm() {
    HTMLFormElement.prototype.submit.call(form);
  }

  function save() {
    clearTimeout(timer);
    if (stopped || submitting || !unsaved()) {
      return;
    }
    if (inFlight) {
      // Never two saves at once: the second would carry a stale version. Save again once this
      // one returns; if the page is closing, beforeunload has asked the user to wait.
      again = true;
      return;
    }
    var sent = snapshot();
    var payload = body();
    var request = {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token
      },
      body: payload,
      // keepalive lets a save outlive the tab; browsers cap such bodies, so big ones go plain.
      keepalive: new Blob([payload]).size < KEEPALIVE_LIMIT
    };
    inFlight = true;
    fetch(url, request)
      .then(function (response) { return handle(response, sent); })
      .catch(function () {
        unavailable();
      })
      .then(function () {
        inFlight = false;
        if (again && !stopped) {
          again = false;
          save();
        }
      });
  }

  function schedule() {
    if (stopped) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  fields.forEach(function (field) {
    field.addEventListener("input", schedule);
    field.addEventListener("blur", function () { save(); });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      save();
    }
  });
  window.addEventListener("pagehide", save);

  // If a save is still on its way or did not go through, ask before leaving the page.
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && unsaved() && (inFlight || failed || stopped)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (inFlight) {
      // Let the autosave finish first, so the form carries the version it returned.
      event.preventDefault();
      var wait = setInterval(function () {
        if (!inFlight) {
          clearInterval(wait);
          submitting = true;
          submitForm();
        }
      }, 50);
      return;
    }
    submitting = true;
  });

  // Links such as "Sign note" wait for the latest text to be saved, so the next page shows it.
  Array.prototype.forEach.call(form.querySelectorAll("a[data-save-first]"), function (link) {
    link.addEventListener("click", function (event) {
      if (stopped || (!inFlight && !unsaved())) {
        return;
      }
      event.preventDefault();
      save();
      var wait = setInterval(function () {
        if (inFlight || again) {
          return;
        }
        clearInterval(wait);
        if (!failed && !unsaved()) {
          window.location.href = link.href;
        }
      }, 50);
    });
  });

  restoreLocally();

  if (problemButton) {
    problemButton.addEventListener("click", function () {
      submitting = true;
      submitForm();
    });
  }
})();
