// The header's menu on narrow screens: a button that shows and hides the navigation.
// Without this script the navigation simply stays open (app.css only folds it once the
// page has the "js-menu" class).
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-button]");
  var nav = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!nav) return;
  document.documentElement.classList.add("js-menu");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      if (nav.contains(document.activeElement)) button.focus();  // focus was in what just closed
    }
  });
})();
