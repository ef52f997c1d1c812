// Live status (see live/views.py): the stream ends every LIVE_STREAM_MAX_SECONDS and may
// drop (a restart, a proxy, sleep). EventSource then reconnects by itself and the page
// catches up, so that is not an error. htmx's SSE extension would log each one as an
// error; it only hears of a stream that is closed for good (refused, say), for which it
// retries with a back-off.
//
// A page whose session has ended (signed out in another tab, or expired) hears
// "signed-out": from its stream (live/stream.py) or from an htmx request's answer
// (emailcenter/signed_out.py). It then stops listening and says so, with a link back
// to this page through the login form; nothing the person typed is touched.
(function () {
  function signedOut() {
    var banner = document.getElementById("signed-out");
    if (!banner || !banner.hidden) return;
    var link = banner.querySelector("a");
    if (link) {
      var login = new URL(link.getAttribute("href"), location.href);
      login.searchParams.set("next", location.pathname + location.search);
      link.setAttribute("href", login.pathname + login.search);
    }
    banner.hidden = false;
  }
  window.liveSignedOut = signedOut;
  document.addEventListener("signed-out", signedOut);
  if (window.liveEarlyStream && window.liveEarlyStream.signedOut) signedOut();

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
    source.addEventListener("signed-out", function () {
      source.close(); // for good: htmx retries only after an error
      signedOut();
    });
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
