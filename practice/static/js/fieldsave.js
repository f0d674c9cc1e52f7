/* Autosave of a session's CSI-4 answers and adoption levels: progressive enhancement of the
 * ordinary forms on those tabs, built like the note's autosave (autosave.js).
 *
 * The form names its JSON route (data-fieldsave-url) and kind (csi4 or adoption); each group of
 * inputs saved together (a partner's four CSI-4 items; one script's level and note) carries
 * data-save-group with its id. A group is saved as soon as a choice is made, and a note about a
 * second after typing stops or when it loses focus; one save per group at a time.
 *
 * Nothing typed is lost: while a group is not saved (the server cannot be reached, a partner's
 * answers are not all four yet, a save was refused) its choices are kept in this browser's
 * storage under the session, restored when the page is opened again and saved once the server
 * answers; they are removed as soon as the server has them, and forgotten after 12 hours. Only
 * the choices (numbers) are kept there, never a note's text: clinical text must not linger on
 * shared devices. Leaving the page with anything unsaved asks first.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-fieldsave-url]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !tokenMeta || !window.fetch || !window.JSON) {
    return;
  }

  var url = form.getAttribute("data-fieldsave-url");
  var kind = form.getAttribute("data-fieldsave-kind");
  var token = tokenMeta.getAttribute("content");
  var storeKey = "practice-unsaved:" + form.getAttribute("data-fieldsave-key");
  var DELAY_MS = 1200;
  var RETRY_MS = 10000;
  var MAX_AGE_MS = 12 * 3600 * 1000;
  var submitting = false;

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage disabled: the warning before leaving still protects the text
    }
  }

  function readStore() {
    var store = storage();
    if (!store) {
      return {};
    }
    try {
      var kept = JSON.parse(store.getItem(storeKey) || "null");
      if (!kept || typeof kept.groups !== "object" || Date.now() - kept.at > MAX_AGE_MS) {
        store.removeItem(storeKey);
        return {};
      }
      return kept.groups;
    } catch (error) {
      store.removeItem(storeKey);
      return {};
    }
  }

  function writeStore(groups) {
    var store = storage();
    if (!store) {
      return;
    }
    try {
      if (Object.keys(groups).length) {
        store.setItem(storeKey, JSON.stringify({ at: Date.now(), groups: groups }));
      } else {
        store.removeItem(storeKey);
      }
    } catch (error) {
      // Storage full or refused: the warning before leaving still applies.
    }
  }

  function radios(el, suffix) {
    return el.querySelectorAll('input[type="radio"][name$="' + suffix + '"]');
  }

  function checkedValue(el, suffix) {
    var found = null;
    Array.prototype.forEach.call(radios(el, suffix), function (radio) {
      if (radio.checked) {
        found = radio.value;
      }
    });
    return found;
  }

  function check(el, suffix, value) {
    Array.prototype.forEach.call(radios(el, suffix), function (radio) {
      radio.checked = value !== null && radio.value === value;
    });
  }

  // --- What each kind of group holds and sends ---------------------------------------------------

  var ITEMS = ["-item_1", "-item_2", "-item_3", "-item_4"];

  var kinds = {
    csi4: {
      choices: function (g) {
        return { items: ITEMS.map(function (suffix) { return checkedValue(g.el, suffix); }) };
      },
      restore: function (g, kept) {
        ITEMS.forEach(function (suffix, i) { check(g.el, suffix, kept.items[i]); });
      },
      state: function (g) {
        return kinds.csi4.choices(g);
      },
      body: function (g, state) {
        var given = state.items.filter(function (v) { return v !== null; }).length;
        if (given === 0) {
          return null;
        }
        if (given < ITEMS.length) {
          return { incomplete: "Not saved yet: answer all four items for " + g.name +
            " (kept on this device until then)." };
        }
        return {
          partner_id: parseInt(g.id, 10),
          items: state.items.map(function (v) { return parseInt(v, 10); })
        };
      },
      saved: function (data) {
        return "Saved " + data.saved_at + " · total " + data.total;
      }
    },
    adoption: {
      choices: function (g) {
        return { level: checkedValue(g.el, "-level") };
      },
      restore: function (g, kept) {
        check(g.el, "-level", kept.level);
      },
      state: function (g) {
        var note = g.el.querySelector('textarea[name$="-note"]');
        return { level: checkedValue(g.el, "-level"), note: note ? note.value : "" };
      },
      body: function (g, state) {
        if (state.level === null) {
          return state.note.trim() ? { incomplete: "Not saved yet: choose a level, or " +
            "“no opportunity”, to go with the note." } : null;
        }
        return {
          assignment_id: parseInt(g.id, 10),
          level: state.level === "no_opportunity" ? state.level : parseInt(state.level, 10),
          note: state.note
        };
      },
      saved: function (data) {
        return "Saved " + data.saved_at;
      }
    }
  };
  var rules = kinds[kind];
  if (!rules) {
    return;
  }

  // --- Groups ------------------------------------------------------------------------------------

  var groups = Array.prototype.map.call(form.querySelectorAll("[data-save-group]"), function (el) {
    var g = {
      el: el,
      id: el.getAttribute("data-save-group"),
      name: el.getAttribute("data-save-name") || "",
      status: el.querySelector("[data-save-status]"),
      timer: null,
      inFlight: false,
      again: false,
      stopped: false
    };
    g.saved = JSON.stringify(rules.state(g)); // as the server has it
    return g;
  });

  function dirty(g) {
    return JSON.stringify(rules.state(g)) !== g.saved;
  }

  function setStatus(g, text, problem) {
    if (!g.status) {
      return;
    }
    g.status.textContent = text;
    g.status.classList.toggle("save-problem", !!problem);
  }

  // Keep the choices of every group not saved yet; forget those the server has.
  function remember() {
    var kept = {};
    groups.forEach(function (g) {
      if (dirty(g) && !g.stopped) {
        kept[g.id] = rules.choices(g);
      }
    });
    writeStore(kept);
  }

  function retryLater(g) {
    clearTimeout(g.timer);
    g.timer = setTimeout(function () { save(g); }, RETRY_MS);
  }

  function handle(g, response, sent) {
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
    if (response.redirected || !json) {
      setStatus(g, "Not saved: you may have been signed out. Kept on this device; sign in " +
        "again in another tab, then come back.", true);
      retryLater(g);
      return null;
    }
    return response.json().then(function (data) {
      if (response.ok) {
        g.saved = sent;
        setStatus(g, rules.saved(data), false);
        return;
      }
      var message = (data.error && data.error.message) || "Not saved.";
      if (response.status === 409) {
        g.stopped = true;
        setStatus(g, message + " Your choice here was not saved.", true);
      } else {
        setStatus(g, message, true);
      }
    });
  }

  function save(g) {
    clearTimeout(g.timer);
    if (g.stopped || submitting) {
      return;
    }
    if (g.inFlight) {
      g.again = true;
      return;
    }
    remember();
    if (!dirty(g)) {
      return;
    }
    var state = rules.state(g);
    var body = rules.body(g, state);
    if (body === null) {
      return;
    }
    if (body.incomplete) {
      setStatus(g, body.incomplete, false);
      return;
    }
    var sent = JSON.stringify(state);
    g.inFlight = true;
    setStatus(g, "Saving…", false);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token
      },
      body: JSON.stringify(body),
      keepalive: true
    })
      .then(function (response) { return handle(g, response, sent); })
      .catch(function () {
        setStatus(g, "Not saved: the server cannot be reached. Kept on this device; " +
          "saving again shortly.", true);
        retryLater(g);
      })
      .then(function () {
        g.inFlight = false;
        remember();
        if (g.again && !g.stopped) {
          g.again = false;
          save(g);
        }
      });
  }

  groups.forEach(function (g) {
    g.el.addEventListener("change", function (event) {
      if (event.target.type === "radio") {
        save(g);
      }
    });
    g.el.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA") {
        clearTimeout(g.timer);
        g.timer = setTimeout(function () { save(g); }, DELAY_MS);
      }
    });
    g.el.addEventListener("focusout", function (event) {
      if (event.target.tagName === "TEXTAREA") {
        save(g);
      }
    });
  });

  // Choices kept on this device from an earlier visit: put them back and save them.
  var kept = readStore();
  groups.forEach(function (g) {
    var choices = kept[g.id];
    if (choices && JSON.stringify(choices) !== JSON.stringify(rules.choices(g))) {
      rules.restore(g, choices);
      setStatus(g, "Restored from this device: not saved yet.", false);
      save(g);
    }
  });
  remember();

  window.addEventListener("online", function () {
    groups.forEach(function (g) {
      if (dirty(g)) {
        save(g);
      }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (!submitting && groups.some(function (g) { return dirty(g) || g.inFlight; })) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  form.addEventListener("submit", function () {
    // The form posts everything; the page it returns shows what was saved.
    submitting = true;
    groups.forEach(function (g) { clearTimeout(g.timer); });
  });
})();
