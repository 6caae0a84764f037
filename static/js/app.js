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

  // Pages with an assign form per row (the dispatch queue, the list's bulk bar) carry the people
  // list once, in <template id="…">; a select with data-options-from="…" gets a copy of those
  // options when it is first used (focus, pointer, or its group chosen), not one per row in the HTML.
  function fillOptions(select) {
    var id = select.getAttribute("data-options-from");
    if (!id || select.hasAttribute("data-filled")) return;
    var source = document.getElementById(id);
    if (!source || !source.content) return;
    select.setAttribute("data-filled", "");
    select.appendChild(source.content.cloneNode(true));
    var value = select.getAttribute("data-value");
    if (value) select.value = value;
  }
  function isUnfilled(select) {
    return select.hasAttribute("data-options-from") && !select.hasAttribute("data-filled");
  }

  // The engineer picker offers only the members of the support group chosen in the same form.
  function filterEngineers(groupSelect, fill) {
    var form = groupSelect.form;
    if (!form) return;
    form.querySelectorAll("select[data-engineer-select]").forEach(function (select) {
      if (fill) fillOptions(select);
      if (isUnfilled(select)) return;  // filtered when it is filled
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
  function engineerWanted(event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-engineer-select]") || !isUnfilled(select)) return;
    fillOptions(select);
    var group = select.form && select.form.querySelector("select[data-group-select]");
    if (group) filterEngineers(group, false);
  }
  document.addEventListener("focusin", engineerWanted);
  document.addEventListener("pointerdown", engineerWanted, true);
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-group-select]")) filterEngineers(event.target, true);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-group-select][data-options-from]").forEach(fillOptions);
    document.querySelectorAll("select[data-group-select]").forEach(function (g) { filterEngineers(g, false); });
    var matrix = levelMatrix();
    document.querySelectorAll("[data-level-form]").forEach(function (c) { setupLevelForm(c, matrix); });
    setupCallType();
  });
})();
