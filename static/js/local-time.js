// Every <time data-when> (see support/templatetags/when.py) in the viewer's own time zone
// and the page's language (<html lang>): recent moments in words ("3 minutes ago"), older
// ones as a date, and the exact time on hover. The server's text stays when this cannot run.
(function () {
  "use strict";
  var gettext = window.gettext || function (text) { return text; };  // the JavaScript catalogue
  var locale = document.documentElement.lang || undefined;
  var RECENT_DAYS = 7;
  // 24-hour, as the server writes every time (the `when` tag), in every language.
  var exact = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZoneName: "short" };
  var dateOnly = { day: "numeric", month: "short", year: "numeric" };
  var words = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(locale, { numeric: "auto" }) : null;

  function relative(date, now) {
    var seconds = (date.getTime() - now) / 1000;
    var size = Math.abs(seconds);
    if (size > RECENT_DAYS * 86400 || !words) return null;
    if (size < 45) return gettext("just now");
    if (size < 3600) return words.format(Math.round(seconds / 60), "minute");
    if (size < 86400) return words.format(Math.round(seconds / 3600), "hour");
    return words.format(Math.round(seconds / 86400), "day");
  }

  function render(element, now) {
    var date = new Date(element.getAttribute("datetime"));
    if (isNaN(date.getTime())) return;
    var style = element.getAttribute("data-when");
    var full = date.toLocaleString(locale, exact);
    element.title = full;
    if (style === "exact") {
      element.textContent = full;
    } else if (style === "date") {
      element.textContent = date.toLocaleDateString(locale, dateOnly);
    } else {
      element.textContent = relative(date, now) || date.toLocaleDateString(locale, dateOnly);
    }
  }

  function renderAll(root) {
    var now = Date.now();
    var found = (root || document).querySelectorAll("time[data-when]");
    for (var i = 0; i < found.length; i++) render(found[i], now);
  }

  renderAll(document);
  // Parts of a page that htmx swaps in (live status) bring their own times.
  document.addEventListener("htmx:load", function (event) { renderAll(event.target); });
  window.setInterval(function () { renderAll(document); }, 30000);
})();
