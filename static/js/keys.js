// Keyboard shortcuts on every staff page (issue #12):
//   /  focuses the search box: the element marked data-shortcut-search, else the page's first
//      search field (input[type=search] or name=q);
//   n  opens a new call on the hotline (the URL is in <meta name="opsdesk-new-call">, staff only).
// Ignored while typing in a field (input, textarea, select, contenteditable), with a modifier key
// held, or during IME composition (Chinese input).
(() => {
  const isField = (el) =>
    !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

  const searchBox = () =>
    document.querySelector("[data-shortcut-search]") ||
    document.querySelector('input[type="search"]') ||
    document.querySelector('input[name="q"]');

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (isField(event.target) || isField(document.activeElement)) {
      return;
    }
    if (event.key === "/") {
      const box = searchBox();
      if (box) {
        event.preventDefault();
        box.focus();
        if (typeof box.select === "function") {
          box.select();
        }
      }
    } else if (event.key === "n") {
      const meta = document.querySelector('meta[name="opsdesk-new-call"]');
      if (meta && meta.content) {
        event.preventDefault();
        window.location.assign(meta.content);
      }
    }
  });
})();
