// Opens the page's live stream as soon as the parser reaches its element (inlined
// after it by templates/live/watch.html), instead of when htmx starts at
// DOMContentLoaded, after every deferred script: on a busy machine that is 100 ms
// later, and a test that ends while the page loads waited that long to be heard.
//
// Events that arrive before htmx listens are kept (the last one of each kind). A
// listener that htmx adds later hears the kept event of its topic once, at once, so
// nothing is missed and nothing is heard twice. live.js hands this stream to htmx's SSE
// extension, which then owns it (errors, retries, closing).
(function () {
  "use strict";
  var holder = document.currentScript && document.currentScript.previousElementSibling;
  var url = holder && holder.getAttribute("sse-connect");
  if (!url || !window.EventSource || !window.URL) return;
  // The topics' events, and the one that brings the page's partial (live/partial.py).
  var topics = (new URL(url, location.href).searchParams.get("topics") || "").split(",").concat(["html"]);
  var source = new EventSource(url, { withCredentials: true });
  var add = source.addEventListener;
  var early = { url: url, source: source, signedOut: false };
  add.call(source, "signed-out", function () {
    source.close(); // live.js tells the person once it runs
    early.signedOut = true;
    if (window.liveSignedOut) window.liveSignedOut();
  });
  var kept = {}; // topic -> its last event, while nobody else listens to that topic
  var heard = {}; // topics somebody else listens to

  topics.forEach(function (topic) {
    add.call(source, topic, function (event) {
      if (!heard[topic]) kept[topic] = event;
    });
  });

  source.addEventListener = function (type, listener, options) {
    add.call(source, type, listener, options);
    heard[type] = true;
    if (kept[type]) {
      var event = kept[type];
      delete kept[type];
      setTimeout(function () {
        if (typeof listener === "function") listener.call(source, event);
        else if (listener && listener.handleEvent) listener.handleEvent(event);
      }, 0);
    }
  };

  window.liveEarlyStream = early;
})();
