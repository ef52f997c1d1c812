// The connect form: fills in what autodetection found without ever overwriting what the
// person typed, moving their focus or caret, or replacing an input they may be using.
//
// Each field the page fills has a hidden `auto_<name>` holding the value the page put
// there. A field is ours while its value still equals that mark and the person has not
// typed in it; everything else is theirs and is never written (the server applies the
// same rule on submit, accounts/autofill.py). Answers come from the hint endpoint as
// HTML: only the provider panel is swapped, the detected values arrive as a JSON data
// island. While the worker looks a domain up, one EventSource waits for the answer.
(function () {
  "use strict";

  var gettext = window.gettext || function (text) { return text; }; // the JavaScript catalogue

  var form = document.getElementById("connect-form");
  if (!form) return;

  // Ports whose encryption is fixed by convention (RFC 8314, RFC 6409, RFC 3501).
  var PORT_SECURITY = { 465: "ssl", 587: "starttls", 993: "ssl", 143: "starttls" };
  // Fields a notice speaks for, and where it goes.
  var GROUPS = {
    smtp: { names: ["smtp_host", "smtp_port", "smtp_security"], anchor: "smtp-settings" },
    imap: { names: ["imap_host", "imap_port", "imap_security"], anchor: "imap-settings" },
    login: { names: ["username", "smtp_username", "imap_username"], anchor: "login-name" },
  };
  var USERNAMES = ["username", "smtp_username", "imap_username"];
  var TYPING_PAUSE_MS = 700;

  var hintUrl = form.getAttribute("data-hint-url");
  var email = form.elements.namedItem("email");
  var touched = new Set(); // fields the person changed: never written again
  var held = {}; // name -> value waiting until the person leaves that (untouched) field
  var latest = null; // the newest answer's data
  var deferredPanel = null; // panel content waiting until focus leaves the panel
  var lastAsked = null;
  var seq = 0;
  var controller = null;
  var typingTimer = null;
  var stream = null;
  var streamTopic = "";
  var giveUpTimer = null;
  var giveUpTopic = "";
  // "Edit settings": the person's open/closed choice wins; until they make one, the page
  // opens it when detection finds nothing, and folds it again only if it opened it.
  var personChose = false;
  var autoOpened = false;

  function field(name) {
    var el = form.elements.namedItem(name);
    return el && el.tagName ? el : null;
  }

  function mark(name) {
    return field("auto_" + name);
  }

  function protocolOf(name) {
    var match = /^(smtp|imap)_(port|security)$/.exec(name);
    return match ? match[1] : null;
  }

  function untouched(name) {
    var el = field(name);
    var mk = mark(name);
    return !!(el && mk && !touched.has(name) && el.value === mk.value);
  }

  // A port and its encryption go together: neither is filled once the person chose one.
  function writable(name) {
    var protocol = protocolOf(name);
    if (!protocol) return untouched(name);
    return untouched(protocol + "_port") && untouched(protocol + "_security");
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  function fill(name, value) {
    var el = field(name);
    var mk = mark(name);
    if (!el || !mk) return;
    if (el.tagName === "SELECT" && !hasOption(el, value)) return;
    if (el.value !== value) el.value = value;
    mk.value = value;
  }

  function sameLogin(name, value, wanted) {
    // An empty username means "the email address": typing the address is no disagreement.
    if (USERNAMES.indexOf(name) < 0) return false;
    var address = latest && latest.email ? latest.email : "";
    return (value === "" || value === address) && (wanted === "" || wanted === address);
  }

  function disagrees(name, wanted) {
    var el = field(name);
    if (!el || wanted === undefined || writable(name)) return false;
    var value = el.value.trim();
    return value !== wanted && !sameLogin(name, value, wanted);
  }

  // --- values -----------------------------------------------------------------------

  function applyValues(data) {
    var values = data.values || {};
    Object.keys(values).forEach(function (name) {
      var el = field(name);
      if (!el || !writable(name)) return;
      if (el === document.activeElement && el.value !== values[name]) {
        held[name] = values[name]; // never change the field the person is in
        return;
      }
      delete held[name];
      fill(name, values[name]);
    });
    showNotices(data);
  }

  function releaseHeld(name) {
    if (!(name in held)) return;
    var value = held[name];
    delete held[name];
    if (writable(name)) fill(name, value);
    if (latest) showNotices(latest);
  }

  // --- notices beside fields the person typed ----------------------------------------

  function showNotices(data) {
    var values = data.values || {};
    Object.keys(GROUPS).forEach(function (group) {
      var text = data.confirmed && data.notices ? data.notices[group] : "";
      var differs = GROUPS[group].names.some(function (name) {
        return disagrees(name, values[name]);
      });
      if (text && differs) showNotice(group, text);
      else removeNotice(group);
    });
  }

  function showNotice(group, text) {
    var id = "autofill-notice-" + group;
    var notice = document.getElementById(id);
    var anchor = document.getElementById(GROUPS[group].anchor);
    if (!anchor) return;
    if (!notice) {
      notice = document.createElement("p");
      notice.id = id;
      notice.className = "notice autofill-notice";
      notice.setAttribute("role", "status");
      var words = document.createElement("span");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "use-these";
      button.textContent = gettext("Use these");
      button.setAttribute("data-group", group);
      notice.append(words, " ", button);
      anchor.appendChild(notice);
    }
    if (notice.firstChild.textContent !== text) notice.firstChild.textContent = text;
  }

  function removeNotice(group) {
    var notice = document.getElementById("autofill-notice-" + group);
    if (!notice) return false;
    var hadFocus = notice.contains(document.activeElement);
    notice.remove();
    return hadFocus;
  }

  function useThese(group) {
    if (!latest || !latest.values) return;
    var names = GROUPS[group].names;
    names.forEach(function (name) {
      if (!(name in latest.values)) return;
      touched.delete(name);
      delete held[name];
      fill(name, latest.values[name]);
    });
    // The button goes away with its notice: the person clicked it, so keep them in this
    // group's fields rather than dropping focus to the page.
    if (removeNotice(group)) {
      var first = field(names[0]);
      if (first) first.focus({ preventScroll: true });
    }
  }

  // --- the panel (an aria-live region that stays in place) ---------------------------

  function swapPanel(fresh) {
    var panel = document.getElementById("provider-panel");
    if (!panel || !fresh) return;
    if (panel.contains(document.activeElement)) {
      deferredPanel = fresh; // never swap what the person is on (a help link)
      return;
    }
    deferredPanel = null;
    panel.replaceChildren.apply(panel, Array.prototype.slice.call(fresh.childNodes));
  }

  function keepFocusIn(block) {
    var next = block.querySelector("a[href], button:not([disabled]), input:not([type=hidden]), select, textarea");
    if (!next) {
      block.setAttribute("tabindex", "-1"); // nothing to act on: the block itself holds the place
      next = block;
    }
    next.focus({ preventScroll: true });
  }

  function swapDetails(fresh) {
    // SSO or refused providers have no fields at all; only then is the block replaced.
    var details = document.getElementById("details");
    if (!details) return;
    // The person may be in the block (Tab from the address lands on the password): the
    // focus stays at that place in the form rather than falling to the page.
    var hadFocus = details.contains(document.activeElement);
    details.replaceWith(fresh);
    if (hadFocus) keepFocusIn(fresh);
    touched.clear();
    held = {};
    deferredPanel = null;
    readDisclosure();
  }

  // --- the "Edit settings" disclosure ------------------------------------------------

  function disclosure() {
    return document.getElementById("server-settings");
  }

  function readDisclosure() {
    var box = disclosure();
    personChose = false;
    // Open because a field needs correcting: that stays the person's to close.
    autoOpened = !!(box && box.open && !box.querySelector(".has-error"));
  }

  function disclose(data) {
    // Never moves focus: opening shows the fields where they are, below the focus.
    var box = disclosure();
    if (!box || personChose || data.pending || !data.email) return;
    if (!data.found && !box.open) {
      box.open = true;
      autoOpened = true;
    } else if (data.found && box.open && autoOpened && touched.size === 0 &&
        !box.contains(document.activeElement)) {
      box.open = false;
      autoOpened = false;
    }
  }

  // --- asking the server -------------------------------------------------------------

  function readData(root) {
    var island = root.getElementById ? root.getElementById("detected-data") : null;
    if (!island) return null;
    try {
      return JSON.parse(island.textContent);
    } catch (error) {
      return null;
    }
  }

  function apply(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    // The whole block comes only when the page must gain or lose its fields.
    var fresh = template.content.getElementById("details");
    var data = readData(template.content);
    var details = document.getElementById("details");
    if (!data || !details) return;
    latest = data;
    if (fresh && details.hasAttribute("data-blocked") !== fresh.hasAttribute("data-blocked")) {
      swapDetails(fresh);
    } else {
      swapPanel(template.content.getElementById("provider-panel"));
      applyValues(data);
      disclose(data);
    }
    follow(data);
  }

  function ask(final) {
    var asked = email.value.trim();
    var params = new URLSearchParams();
    params.set("email", asked);
    form.querySelectorAll("[data-autofill]").forEach(function (el) {
      params.append(el.name, el.value);
      var mk = mark(el.name);
      if (mk) params.append(mk.name, mk.value);
    });
    if (final) params.set("final", "1");
    if (controller) controller.abort();
    controller = new AbortController();
    var mine = ++seq;
    fetch(hintUrl + "?" + params.toString(), {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || mine !== seq) return; // a newer question is on its way
        if (asked !== email.value.trim()) {
          lastAsked = null; // the address changed meanwhile: the next pause asks again
          return;
        }
        apply(html);
      })
      .catch(function () {
        // Aborted by a newer question, or the network failed: the form works as typed.
      });
  }

  function lookup() {
    clearTimeout(typingTimer);
    var value = email.value.trim();
    if (value === lastAsked) return;
    lastAsked = value;
    ask(false);
  }

  // --- waiting for the worker's answer by push ---------------------------------------

  function closeStream() {
    if (stream) stream.close();
    stream = null;
    streamTopic = "";
  }

  function stopWaiting() {
    closeStream();
    clearTimeout(giveUpTimer);
    giveUpTimer = null;
    giveUpTopic = "";
  }

  function follow(data) {
    if (!data.pending) {
      stopWaiting();
      return;
    }
    if (data.topic !== giveUpTopic) {
      // Bounded: at the deadline ask once more; the answer is final either way.
      clearTimeout(giveUpTimer);
      giveUpTopic = data.topic;
      giveUpTimer = setTimeout(function () {
        ask(true);
      }, data.give_up_ms || 15000);
    }
    if (data.stream && data.topic !== streamTopic && window.EventSource) {
      closeStream(); // one stream per page: the topic follows the typed domain
      var topic = data.topic;
      stream = new EventSource(data.stream);
      streamTopic = topic;
      // Sent once on connecting (catch-up) and again when the answer is stored.
      stream.addEventListener(topic, function () {
        if (streamTopic === topic) ask(false);
      });
    }
  }

  // --- the person -------------------------------------------------------------------

  function portChanged(protocol) {
    // A well-known port brings its encryption, unless the person chose one themselves.
    var port = field(protocol + "_port");
    var security = field(protocol + "_security");
    if (!port || !security || touched.has(security.name)) return;
    var wanted = PORT_SECURITY[port.value.trim()];
    if (wanted && security.value !== wanted && hasOption(security, wanted)) security.value = wanted;
    delete held[security.name];
  }

  function edited(event) {
    var target = event.target;
    if (!target || !target.name) return;
    if (target === email) {
      clearTimeout(typingTimer);
      if (hintUrl) typingTimer = setTimeout(lookup, TYPING_PAUSE_MS);
      return;
    }
    if (!target.hasAttribute("data-autofill")) return;
    touched.add(target.name);
    delete held[target.name];
    var protocol = protocolOf(target.name);
    if (protocol && /_port$/.test(target.name)) portChanged(protocol);
    if (latest) showNotices(latest);
  }

  form.addEventListener("input", edited);
  form.addEventListener("change", function (event) {
    if (event.target === email && hintUrl) lookup();
    else if (event.target && event.target.tagName === "SELECT") edited(event);
  });
  form.addEventListener("focusout", function (event) {
    var target = event.target;
    if (target && target.name) releaseHeld(target.name);
    var panel = document.getElementById("provider-panel");
    if (deferredPanel && panel && !panel.contains(event.relatedTarget)) {
      var fresh = deferredPanel;
      deferredPanel = null;
      setTimeout(function () {
        swapPanel(fresh);
      }, 0);
    }
  });
  form.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var button = event.target.closest("button.use-these");
    if (button) useThese(button.getAttribute("data-group"));
    // A click on the summary (also Enter or Space on it) is the person's choice.
    if (event.target.closest("#server-settings > summary")) personChose = true;
  });
  form.addEventListener("submit", stopWaiting);

  readDisclosure();
  if (hintUrl) {
    latest = readData(document);
    if (latest && latest.confirmed) lastAsked = email.value.trim();
    if (latest) follow(latest);
    if (email.value.trim()) lookup();
  }
})();
