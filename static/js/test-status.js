// The mailbox page while a test runs (templates/accounts/mailbox_detail.html).
//
// - Ticks the seconds of the step in progress from its data-started attribute; nothing
//   is fetched for it (pushed changes re-render the block, live/).
// - Writes the outcome into the page's one live region (#result-live, never replaced)
//   when the test ends, so that a screen reader announces it once.
// - Moves focus to the result then, once, unless the person is typing in a form field.
(function () {
  "use strict";

  var gettext = window.gettext || function (text) { return text; }; // the JavaScript catalogue
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (all, name) { return values[name]; });
  };

  var region = document.getElementById("result-live");
  if (!region) return;
  var seen = new WeakMap(); // an .elapsed element -> when this page first showed it
  var wasFinal = isFinal();

  function status() {
    return document.getElementById("test-status");
  }

  function isFinal() {
    var el = status();
    return !!(el && el.hasAttribute("data-final"));
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("#test-status .elapsed[data-started]").forEach(function (el) {
      if (!seen.has(el)) seen.set(el, now);
      // The server's own clock at render time, plus how long this page has shown it:
      // a browser clock that is off does not matter.
      var started = Number(el.getAttribute("data-started"));
      var rendered = Number(el.getAttribute("data-now"));
      var seconds = Math.max(0, Math.floor((rendered - started + now - seen.get(el)) / 1000));
      var text = interpolate(gettext("%(seconds)s s"), { seconds: seconds }, true);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  function typing() {
    var active = document.activeElement;
    return !!(active && active.matches && active.matches("input, select, textarea, [contenteditable]"));
  }

  function settled() {
    var el = status();
    if (!el) return;
    var words = el.getAttribute("data-announce") || "";
    if (words && region.textContent !== words) region.textContent = words;
    if (!wasFinal && isFinal()) {
      wasFinal = true;
      var heading = document.getElementById("result-heading");
      if (heading && !typing()) heading.focus();
    }
    tick();
  }

  document.body.addEventListener("htmx:afterSettle", settled);
  setInterval(tick, 1000);
  tick();
})();
