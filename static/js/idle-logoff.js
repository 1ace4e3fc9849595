// Idle logoff: warn before the server ends an idle session, and offer to stay.
// The server decides (massageclinic/session_security.py); this only tells the person
// in time and, when the time is up, reloads the page so the server can sign them out.
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box) {
    return;
  }
  var limit = Number(box.dataset.idleLogoff) * 1000;
  var warning = Number(box.dataset.idleWarning) * 1000;
  var countdown = box.querySelector("[data-idle-countdown]");
  var form = box.querySelector("form");
  var lastRequest = Date.now();

  function sawRequest() {
    lastRequest = Date.now();
    box.hidden = true;
  }

  function tick() {
    var left = limit - (Date.now() - lastRequest);
    if (left <= 0) {
      window.location.assign(window.location.href);
      return;
    }
    if (left <= warning) {
      countdown.textContent = String(Math.ceil(left / 1000));
      if (box.hidden) {
        box.hidden = false;
        box.querySelector("button").focus();
      }
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) {
        sawRequest();
      } else {
        window.location.assign(window.location.href);
      }
    });
  });
  // Every htmx request (autosave, a status button) is activity the server saw.
  document.body.addEventListener("htmx:afterRequest", sawRequest);
  window.setInterval(tick, 1000);
})();
