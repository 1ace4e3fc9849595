// The calendar grid: free slots become booking links, reachable by keyboard.
// The page sends a free 15-minute cell as a bare <td> (templates/sessions/_grid.html)
// so it does not carry a URL and a label per cell. For those who may book, the table
// has data-book (the booking URL with the location), each column header data-q (the
// therapist, or the day in a week grid) and data-label ("Tara Hands on Tue 1 Dec"),
// each row data-q (the start, or the time in a week grid, and fold=1 for the second
// pass of a repeated hour). The links form one tab stop; the arrow keys move between
// free slots, Home and End go to a row's first and last, Enter or Space books.
(function () {
  "use strict";

  function slotLink(url, label) {
    var link = document.createElement("a");
    link.className = "slot-link";
    link.href = url;
    link.setAttribute("aria-label", label);
    link.tabIndex = -1;
    var icon = document.createElement("i");
    icon.className = "bi bi-plus";
    icon.setAttribute("aria-hidden", "true");
    link.appendChild(icon);
    return link;
  }

  function setUp(table) {
    var base = table.dataset.book;
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells, 1);
    var width = heads.length;
    var rows = table.tBodies[0].rows;
    var spans = []; // per column: rows still covered by a visit from above
    var grid = []; // grid[row][column]: the slot's link, or null
    var first = null;
    for (var r = 0; r < rows.length; r++) {
      var row = rows[r];
      var time = row.cells[0].textContent.trim();
      var line = [];
      var next = 1;
      for (var c = 0; c < width; c++) {
        if (spans[c] > 0) {
          spans[c] -= 1;
          line.push(null);
          continue;
        }
        var cell = row.cells[next++];
        if (!cell) {
          line.push(null);
          continue;
        }
        spans[c] = cell.rowSpan - 1;
        if (cell.className || cell.firstChild) {
          line.push(null);
          continue;
        }
        var head = heads[c];
        var link = slotLink(
          base + head.dataset.q + row.dataset.q,
          "Book " + head.dataset.label + " at " + time
        );
        link.dataset.row = String(r);
        link.dataset.column = String(c);
        cell.appendChild(link);
        line.push(link);
        if (!first) {
          first = link;
        }
      }
      grid.push(line);
    }
    if (!first) {
      return;
    }
    first.tabIndex = 0;
    var current = first;

    function moveTo(link) {
      current.tabIndex = -1;
      link.tabIndex = 0;
      current = link;
      link.focus();
    }

    function find(r, c, dr, dc) {
      r += dr;
      c += dc;
      while (r >= 0 && r < grid.length && c >= 0 && c < width) {
        if (grid[r][c]) {
          return grid[r][c];
        }
        r += dr;
        c += dc;
      }
      return null;
    }

    table.addEventListener("focusin", function (event) {
      var link = event.target;
      if (link.classList && link.classList.contains("slot-link") && link !== current) {
        current.tabIndex = -1;
        link.tabIndex = 0;
        current = link;
      }
    });

    table.addEventListener("keydown", function (event) {
      var link = event.target;
      if (!link.classList || !link.classList.contains("slot-link")) {
        return;
      }
      var r = Number(link.dataset.row);
      var c = Number(link.dataset.column);
      var target = null;
      switch (event.key) {
        case "ArrowUp":
          target = find(r, c, -1, 0);
          break;
        case "ArrowDown":
          target = find(r, c, 1, 0);
          break;
        case "ArrowLeft":
          target = find(r, c, 0, -1);
          break;
        case "ArrowRight":
          target = find(r, c, 0, 1);
          break;
        case "Home":
          target = find(r, -1, 0, 1);
          break;
        case "End":
          target = find(r, width, 0, -1);
          break;
        case " ":
          event.preventDefault();
          link.click();
          return;
        default:
          return;
      }
      event.preventDefault();
      if (target) {
        moveTo(target);
      }
    });
  }

  function start() {
    var tables = document.querySelectorAll("table.calendar[data-book]");
    for (var i = 0; i < tables.length; i++) {
      setUp(tables[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
