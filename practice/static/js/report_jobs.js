// The Reports tab while a queued report is prepared: poll its job and reload the page once
// it has finished, so the new PDF (or the reason it failed) shows. Without this script a
// manual reload does the same.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var MAX_MISSES = 3;
  var items = Array.prototype.slice.call(
    document.querySelectorAll('[data-report-job][data-active="true"]')
  );
  var announcer = document.querySelector("[data-report-jobs-announcer]");
  var misses = 0;
  if (!items.length) {
    return;
  }

  function check(item) {
    return fetch(item.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") === -1) {
        throw new Error("status " + response.status);
      }
      return response.json();
    });
  }

  function poll() {
    Promise.all(items.map(check))
      .then(function (results) {
        misses = 0;
        var finished = results.some(function (data) {
          return !data.active;
        });
        if (finished) {
          if (announcer) {
            announcer.textContent = "A report has finished; updating the list.";
          }
          window.location.reload();
          return;
        }
        window.setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        misses += 1;
        if (misses < MAX_MISSES) {
          window.setTimeout(poll, POLL_MS);
        }
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
