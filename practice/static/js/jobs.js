// The report jobs page: while a job is waiting or running, refresh its row from the job's
// JSON every few seconds. Without this script the page shows the same figures on reload.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var MAX_MISSES = 3;
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-job-row]"));
  var announcer = document.querySelector("[data-jobs-announcer]");
  if (!rows.length) {
    return;
  }

  function field(row, name) {
    return row.querySelector('[data-field="' + name + '"]');
  }

  function renderFailures(container, failures) {
    while (container.firstChild) {
      container.removeChild(container.firstChild);
    }
    if (!failures.length) {
      return;
    }
    var details = document.createElement("details");
    details.className = "job-failures";
    details.open = failures.length <= 3;
    var summary = document.createElement("summary");
    summary.textContent = failures.length + (failures.length === 1 ? " problem" : " problems");
    details.appendChild(summary);
    var list = document.createElement("ul");
    failures.forEach(function (reason) {
      var item = document.createElement("li");
      item.textContent = reason;
      list.appendChild(item);
    });
    details.appendChild(list);
    container.appendChild(details);
  }

  function renderCounts(container, data) {
    container.textContent = data.done + " of " + data.total + " generated";
    if (data.failed) {
      container.appendChild(document.createTextNode(", "));
      var strong = document.createElement("strong");
      strong.textContent = data.failed + " failed";
      container.appendChild(strong);
    }
  }

  function update(row, data) {
    var status = field(row, "status");
    var changed = status.textContent !== data.status_label;
    status.textContent = data.status_label;
    status.className = "job-status job-status-" + data.status;
    var bar = field(row, "bar");
    bar.max = data.total || 1;
    bar.value = data.handled;
    bar.textContent = data.percent + "%";
    renderCounts(field(row, "counts"), data);
    renderFailures(field(row, "failures"), data.failures);
    field(row, "finished").textContent = data.finished_label;
    row.setAttribute("data-active", data.active ? "true" : "false");
    if (changed && !data.active && announcer) {
      announcer.textContent = "Job " + data.id + ": " + data.status_label + ", " +
        data.done + " of " + data.total + " generated, " + data.failed + " failed.";
    }
  }

  function refresh(row) {
    return fetch(row.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        row.misses = 0;
        update(row, data);
      })
      .catch(function () {
        // Signed out, or the server is away: give up on this row after a few tries; a reload
        // shows the figures again.
        row.misses = (row.misses || 0) + 1;
        if (row.misses >= MAX_MISSES) {
          row.setAttribute("data-active", "false");
        }
      });
  }

  function poll() {
    var active = rows.filter(function (row) {
      return row.getAttribute("data-active") === "true";
    });
    if (!active.length) {
      return;
    }
    Promise.all(active.map(refresh)).then(function () {
      window.setTimeout(poll, POLL_MS);
    });
  }

  window.setTimeout(poll, POLL_MS);
})();
