/* New-case form: match the people rows to the kind of case without a round trip.
 * Without JavaScript the same buttons submit the form and the server adds or removes rows. */
(function () {
  "use strict";
  var form = document.querySelector("[data-case-form]");
  if (!form) { return; }
  var limits = JSON.parse(form.getAttribute("data-partner-limits"));
  var kind = form.querySelector("select[name=kind]");
  var box = form.querySelector("[data-partner-rows]");
  var template = form.querySelector("template[data-partner-template]");
  var familyActions = form.querySelector("[data-family-actions]");
  var status = form.querySelector("[data-rows-status]");
  var addButton = form.querySelector("[data-row-change=add]");
  var removeButton = form.querySelector("[data-row-change=remove]");

  Array.prototype.forEach.call(form.querySelectorAll("[data-no-js]"), function (el) {
    el.hidden = true;
  });

  function rows() {
    return Array.prototype.slice.call(box.querySelectorAll("[data-partner-row]"));
  }
  function shownRows() {
    return rows().filter(function (row) { return !row.hidden; });
  }
  // Rows hidden by a change of kind keep what was typed, disabled so it is not submitted.
  function show(row, shown) {
    row.hidden = !shown;
    Array.prototype.forEach.call(row.querySelectorAll("input, select, textarea"), function (el) {
      el.disabled = !shown;
    });
  }
  function nextIndex() {
    var highest = -1;
    Array.prototype.forEach.call(box.querySelectorAll("[name^='partners-']"), function (el) {
      var match = /^partners-(\d+)-/.exec(el.name);
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest + 1;
  }
  function addRow() {
    var hidden = rows().filter(function (row) { return row.hidden; });
    if (hidden.length) {
      show(hidden[0], true);
      return hidden[0];
    }
    var index = nextIndex();
    var html = template.innerHTML
      .replace(/__index__/g, String(index))
      .replace(/__number__/g, String(shownRows().length + 1));
    box.insertAdjacentHTML("beforeend", html);
    var all = rows();
    return all[all.length - 1];
  }
  function fit(change) {
    var range = limits[kind.value] || [1, 6];
    var wanted = Math.min(Math.max(shownRows().length + change, range[0]), range[1]);
    var added = null;
    while (shownRows().length < wanted) { added = addRow(); }
    while (shownRows().length > wanted) {
      var shown = shownRows();
      var last = shown[shown.length - 1];
      if (change < 0) { last.remove(); } else { show(last, false); }
    }
    var count = shownRows().length;
    familyActions.hidden = kind.value !== "family";
    addButton.disabled = count >= range[1];
    removeButton.disabled = count <= range[0];
    status.textContent = count + (count === 1 ? " person row" : " people rows") + " shown.";
    return added;
  }

  kind.addEventListener("change", function () { fit(0); });
  // A form sent back with too few rows for its kind gets the missing empty rows at once.
  if (shownRows().length < (limits[kind.value] || [1])[0]) { fit(0); }
  Array.prototype.forEach.call(form.querySelectorAll("[data-row-change]"), function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var added = fit(button.value === "add" ? 1 : -1);
      if (added) { added.querySelector("input").focus(); }
    });
  });
}());
