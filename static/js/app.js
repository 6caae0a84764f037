/* OpsDesk operator UI: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Ctrl+Enter (⌘+Enter on a Mac) submits the form the cursor is in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("form");
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  // Selects that submit their form when changed (language switcher).
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });

  // "Back" links (error pages): the browser's previous page when there is one, else the link's own target.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-history-back]");
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });

  // Close the user menu and the navigation's "More" when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.usermenu[open], details.navmore[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  function levelMatrix() {
    var node = document.getElementById("level-matrix");
    return node ? JSON.parse(node.textContent) : {};
  }

  // Impact × urgency shows the suggested fault level live; a different level asks for a reason.
  function setupLevelForm(container, matrix) {
    var impact = container.querySelector("select[name$='impact']");
    var urgency = container.querySelector("select[name$='urgency']");
    var level = container.querySelector("select[name$='fault_level']");
    var output = container.querySelector("[data-suggested-level]");
    var reason = container.querySelector(".field-level_reason");
    if (!impact || !urgency || !output) return;
    function update() {
      var suggested = matrix[impact.value + "|" + urgency.value] || "";
      output.textContent = suggested || "–";
      output.className = "badge level level-" + (suggested || "none");
      var differs = level && level.value && suggested && level.value !== suggested;
      if (reason) {
        reason.classList.toggle("is-required", !!differs);
        reason.classList.toggle("is-highlighted", !!differs);
      }
    }
    [impact, urgency, level].forEach(function (el) { if (el) el.addEventListener("change", update); });
    update();
  }

  // Fields that only matter for one call type (impact/urgency/level for incidents).
  function setupCallType() {
    var select = document.getElementById("id_call_type");
    if (!select) return;
    var blocks = document.querySelectorAll("[data-show-for-call-type]");
    function update() {
      blocks.forEach(function (block) {
        block.hidden = block.getAttribute("data-show-for-call-type") !== select.value;
      });
    }
    select.addEventListener("change", update);
    update();
  }

  // The engineer picker offers only the members of the support group chosen in the same form.
  function filterEngineers(groupSelect) {
    var form = groupSelect.form;
    if (!form) return;
    form.querySelectorAll("select[data-engineer-select]").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) return;
        var groups = (option.getAttribute("data-groups") || "").split(" ");
        var hide = !!groupSelect.value && groups.indexOf(groupSelect.value) === -1;
        option.hidden = hide;
        option.disabled = hide;
        if (hide && option.selected) select.value = "";
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-group-select]")) filterEngineers(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-group-select]").forEach(filterEngineers);
    var matrix = levelMatrix();
    document.querySelectorAll("[data-level-form]").forEach(function (c) { setupLevelForm(c, matrix); });
    setupCallType();
  });
})();
