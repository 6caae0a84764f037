/* Live SLA countdowns: every element with data-due="<ISO 8601 time>" shows the time left
   (hh:mm:ss, or "Nd hh:mm:ss"), and once the time has passed "−hh:mm:ss" with the overdue class.
   The server renders the same text, so the page reads correctly without this file. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(seconds, dayUnit) {
    var sign = seconds < 0 ? "\u2212" : "";
    var total = Math.abs(Math.trunc(seconds));
    var days = Math.floor(total / 86400);
    total -= days * 86400;
    var clock = pad(Math.floor(total / 3600)) + ":" + pad(Math.floor((total % 3600) / 60)) + ":" + pad(total % 60);
    return sign + (days ? days + (dayUnit || "d") + " " : "") + clock;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = (due - now) / 1000;
      el.textContent = format(left, el.getAttribute("data-day-unit"));
      var overdue = left < 0;
      el.classList.toggle("is-overdue", overdue);
      el.classList.toggle("is-soon", !overdue && left <= 3600);
      var label = overdue ? el.getAttribute("data-overdue") : "";
      if (label) el.setAttribute("title", label); else el.removeAttribute("title");
      var row = el.closest("[data-due-row]");
      if (row && overdue) row.setAttribute("data-due-state", "breached");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSettle", tick);
})();
