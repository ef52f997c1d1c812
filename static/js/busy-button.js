// A form whose answer takes a moment (signing up hashes the password deliberately
// slowly): its button says it is working, and a second click sends nothing twice.
(function () {
  "use strict";

  function idle(button) {
    if (button.getAttribute("aria-busy") !== "true") return;
    button.removeAttribute("aria-busy");
    button.removeAttribute("aria-disabled");
    if (button.dataset.idleText) button.textContent = button.dataset.idleText;
  }

  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter || form.querySelector("button[type=submit]");
      if (!button) return;
      if (button.getAttribute("aria-busy") === "true") {
        event.preventDefault(); // already on its way
        return;
      }
      button.dataset.idleText = button.textContent;
      button.setAttribute("aria-busy", "true");
      button.setAttribute("aria-disabled", "true");
      button.textContent = form.getAttribute("data-busy");
    });
  });

  // Back to this page from the next one (the browser's page cache): ready again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy] button[aria-busy=true]").forEach(idle);
  });
})();
