// The calendar grid: free slots become booking links, reachable by keyboard.
// The page sends a free 15-minute cell as a bare <td> (templates/sessions/_grid.html)
// so it does not carry a URL and a label per cell. For those who may book, the table
// has data-book (the booking URL with the location), each column header data-q (the
// therapist, or the day in a week grid) and data-label ("Tara Hands on Tue 1 Dec"),
// each row data-q (the start, or the time in a week grid, and fold=1 for the second
// pass of a repeated hour). The links form one tab stop; the arrow keys move between
// free slots, Home and End go to a row's first and last, Enter or Space books.
//
// Moving a visit: the table's data-move is the move page's URL for visit 0 (with the
// location and who). An open visit's block can be dragged onto a free cell, or picked
// up from the keyboard (M on the focused block): the arrow keys then walk the free
// cells, Enter or Space chooses one, Escape puts it back; a live region says each
// step. Either way the move page opens with the drop as a proposal to confirm (the
// column's therapist, the row's time, the room kept when free), and the move service
// checks it as it checks every move. Targets come from the column and the row, like
// the booking links: the page carries nothing per cell for it.
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

  var MOVABLE = /\bstatus-(booked|confirmed|checked_in)\b/;
  var VISIT_ID = /\/(\d+)\/$/;

  function setUp(table) {
    var base = table.dataset.book;
    var blocks = []; // [link, row, column] of each open visit's block
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
          if (MOVABLE.test(cell.className) && cell.firstChild) {
            blocks.push([cell.firstChild, r, c]);
          }
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
        link.dataset.target = head.dataset.q + row.dataset.q;
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
    var mover = table.dataset.move ? setUpMoving(table, blocks, grid, width) : null;

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
      if (mover && mover.keydown(event, moveTo, find)) {
        return;
      }
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
        case "Enter":
          if (mover && mover.carrying()) {
            event.preventDefault();
            link.click();
          }
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

  // --- moving a visit --------------------------------------------------------------

  function setUpMoving(table, blocks, grid, width) {
    var template = table.dataset.move;
    var carried = null; // {id, name, link} of the visit being moved by keyboard
    var dragged = null;
    // Always shown, one line, so that a drag never shifts the grid under the pointer.
    var hint = "To move a visit, drag it onto a free time, or press M on it.";
    var status = document.createElement("p");
    status.className = "small text-body-secondary mb-1 grid-move-status";
    status.textContent = hint;
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    table.parentNode.parentNode.insertBefore(status, table.parentNode);

    function say(text, busy) {
      status.textContent = text;
      status.classList.toggle("text-body-secondary", !busy);
      status.classList.toggle("text-primary-emphasis", busy);
      status.classList.toggle("fw-semibold", busy);
    }

    function visitOf(link) {
      var match = VISIT_ID.exec(link.getAttribute("href") || "");
      var name = link.querySelector("strong");
      return match ? { id: match[1], name: name ? name.textContent : "the visit", link: link } : null;
    }

    function moveUrl(visit, slot) {
      var back = window.location.pathname + window.location.search;
      return (
        template.replace("/0/", "/" + visit.id + "/") +
        slot.dataset.target +
        "&next=" + encodeURIComponent(back)
      );
    }

    function slotsDo(fn) {
      for (var r = 0; r < grid.length; r++) {
        for (var c = 0; c < width; c++) {
          if (grid[r][c]) {
            fn(grid[r][c]);
          }
        }
      }
    }

    // "Ben Stretch on Tue 1 Dec at 10:30 AM": the slot's booking label without "Book ".
    function placeOf(slot) {
      if (!slot.dataset.place) {
        slot.dataset.place = slot.getAttribute("aria-label").replace(/^Book /, "");
      }
      return slot.dataset.place;
    }

    function go(visit, slot) {
      say("Opening the move of " + visit.name + " to " + placeOf(slot) + ".", true);
      window.location.assign(moveUrl(visit, slot));
    }

    // One listener for the grid (not one per cell): a click on a slot while a visit
    // is picked up moves it there instead of booking.
    table.addEventListener("click", function (event) {
      var slot = carried && event.target.closest ? event.target.closest("a.slot-link") : null;
      if (slot) {
        event.preventDefault();
        go(carried, slot);
      }
    });

    function pickUp(visit, r, c, moveTo, find) {
      carried = visit;
      table.classList.add("moving");
      visit.link.classList.add("opacity-50");
      slotsDo(function (slot) {
        slot.setAttribute("aria-label", "Move " + visit.name + " to " + placeOf(slot));
        slot.firstChild.className = "bi bi-box-arrow-in-down-right";
      });
      say(
        "Moving " + visit.name + "'s visit: the arrow keys choose a free time, " +
        "Enter moves it there, Escape cancels.",
        true
      );
      var target = find(r - 1, c, 1, 0) || find(r, c, -1, 0) || find(-1, 0, 1, 0);
      if (target) {
        moveTo(target);
      }
    }

    function putDown(announce) {
      var visit = carried;
      carried = null;
      table.classList.remove("moving");
      visit.link.classList.remove("opacity-50");
      slotsDo(function (slot) {
        slot.setAttribute("aria-label", "Book " + placeOf(slot));
        slot.firstChild.className = "bi bi-plus";
      });
      visit.link.focus();
      if (announce) {
        say("Move cancelled: " + visit.name + "'s visit stays where it was.", false);
      }
    }

    blocks.forEach(function (entry) {
      var link = entry[0];
      var visit = visitOf(link);
      if (!visit) {
        return;
      }
      entry.push(visit);
      link.setAttribute("draggable", "true");
      link.setAttribute("aria-keyshortcuts", "m");
      link.setAttribute("aria-description", "Press M to move this visit");
      link.addEventListener("dragstart", function (event) {
        dragged = visit;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", visit.name);
        link.classList.add("opacity-50");
        say("Dragging " + visit.name + "'s visit: drop it on a free time.", true);
      });
      link.addEventListener("dragend", function () {
        link.classList.remove("opacity-50");
        light(null);
        if (dragged) {
          say(hint, false);
        }
        dragged = null;
      });
    });

    function slotUnder(event) {
      var cell = event.target.closest ? event.target.closest("td") : null;
      var slot = cell && cell.querySelector("a.slot-link");
      return slot && table.contains(slot) ? slot : null;
    }

    var lit = null;
    function light(cell) {
      if (lit && lit !== cell) {
        lit.classList.remove("table-primary");
      }
      lit = cell;
      if (cell) {
        cell.classList.add("table-primary");
      }
    }

    table.addEventListener("dragover", function (event) {
      var slot = dragged && slotUnder(event);
      if (slot) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        light(slot.parentNode);
      } else {
        light(null);
      }
    });
    table.addEventListener("dragleave", function (event) {
      if (!table.contains(event.relatedTarget)) {
        light(null);
      }
    });
    table.addEventListener("drop", function (event) {
      var slot = dragged && slotUnder(event);
      if (slot) {
        event.preventDefault();
        go(dragged, slot);
      }
    });

    return {
      carrying: function () {
        return carried !== null;
      },
      // True when the key was about moving and is handled.
      keydown: function (event, moveTo, find) {
        if (event.key === "Escape" && carried) {
          event.preventDefault();
          putDown(true);
          return true;
        }
        if ((event.key === "m" || event.key === "M") && !event.ctrlKey && !event.metaKey && !event.altKey) {
          for (var i = 0; i < blocks.length; i++) {
            if (blocks[i][0] === event.target && blocks[i][3]) {
              event.preventDefault();
              if (carried) {
                putDown(false);
              }
              pickUp(blocks[i][3], blocks[i][1], blocks[i][2], moveTo, find);
              return true;
            }
          }
        }
        return false;
      },
    };
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
