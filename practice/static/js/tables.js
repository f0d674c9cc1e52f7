/* Tables on a phone: below 40rem the wide tables are shown as stacked cards (practice.css,
 * "Tables on a phone"), where a cell no longer sits under its column's header. Each body cell
 * of a data table is given its column's name (data-label, shown before the cell's value), taken
 * from the table's header row, so no template has to repeat the headers and a column renamed in
 * one place stays right. A cell that already has a data-label keeps it. Without this script the
 * cards still fit the screen, only without the names.
 */
(function () {
  "use strict";

  // The header's words as the eye reads them: visually hidden text and decorative marks left out.
  function visibleName(cell) {
    var copy = cell.cloneNode(true);
    Array.prototype.forEach.call(
      copy.querySelectorAll(".visually-hidden, [aria-hidden='true'], svg"),
      function (hidden) {
        hidden.parentNode.removeChild(hidden);
      }
    );
    return copy.textContent.replace(/\s+/g, " ").replace(/[\u25b2\u25bc]/g, "").trim();
  }

  function label(table) {
    if (!table.tHead || !table.tHead.rows.length) {
      return;
    }
    var names = [];
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head) {
      var name = visibleName(head);
      for (var span = 0; span < (head.colSpan || 1); span++) {
        names.push(name);
      }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var name = names[column];
          if (name && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", name);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function labelAll() {
    Array.prototype.forEach.call(document.querySelectorAll("table.data"), label);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", labelAll);
  } else {
    labelAll();
  }
})();
