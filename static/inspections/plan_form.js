// The plan form's CI list: a search box above the multi-select hides the options that do not match
// (name, class, site, location); chosen CIs always stay visible, and a count says how many are chosen.
(function () {
  "use strict";
  document.querySelectorAll("select.insp-ci-select").forEach(function (select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "insp-ci-search";
    box.setAttribute("aria-label", select.getAttribute("data-search-label") || "");
    box.placeholder = select.getAttribute("data-search-label") || "";
    var count = document.createElement("small");
    count.className = "help insp-ci-count";
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(count, select.nextSibling);
    function counted() {
      count.textContent = select.selectedOptions.length + " / " + select.options.length;
    }
    function filter() {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.options, function (option) {
        var text = option.text.toLowerCase();
        var hit = option.selected || words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !hit;
      });
    }
    var timer = null;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(filter, 120);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); filter(); }
    });
    select.addEventListener("change", counted);
    counted();
  });
})();
