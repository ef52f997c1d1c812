// Live status (see live/views.py): the stream ends every LIVE_STREAM_MAX_SECONDS and may
// drop (a restart, a proxy, sleep). EventSource then reconnects by itself and the page
// catches up, so that is not an error. htmx's SSE extension would log each one as an
// error; it only hears of a stream that is closed for good (refused, say), for which it
// retries with a back-off.
(function () {
  // The stream templates/live/early.js opened while the page loaded, once, if it is for this URL
  // and still open (one that failed meanwhile is replaced, so that htmx hears of errors).
  function takeEarly(url) {
    var early = window.liveEarlyStream;
    if (!early || early.url !== url) return null;
    window.liveEarlyStream = null;
    if (early.source.readyState === EventSource.CLOSED) return null;
    return early.source;
  }

  htmx.createEventSource = function (url) {
    var source = takeEarly(url) || new EventSource(url, { withCredentials: true });
    var onerror = null;
    source.addEventListener("error", function (event) {
      if (onerror && source.readyState === EventSource.CLOSED) {
        onerror.call(source, event);
      }
    });
    Object.defineProperty(source, "onerror", {
      get: function () { return onerror; },
      set: function (handler) { onerror = handler; },
    });
    return source;
  };
})();
