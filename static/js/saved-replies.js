// Saved replies on a support request: "Insert" puts a saved text into the reply where
// the cursor is (at the end if the reply was never focused). Nothing typed is replaced.
(function () {
  "use strict";
  var gettext = window.gettext || function (text) { return text; };  // the JavaScript catalogue
  var reply = document.querySelector(".reply-form textarea[name=text]");
  var status = document.querySelector("[data-saved-status]");
  var buttons = document.querySelectorAll("button[data-saved-reply]");
  if (!reply || !buttons.length) return;
  var hint = document.querySelector("[data-saved-hint]");
  if (hint) hint.hidden = false;

  function insert(text) {
    var start = reply.selectionStart, end = reply.selectionEnd;
    if (document.activeElement !== reply && start === 0 && end === 0) start = end = reply.value.length;
    var before = reply.value.slice(0, start), after = reply.value.slice(end);
    // A selection is kept, not replaced: the saved text goes after it.
    if (end > start) { before = reply.value.slice(0, end); }
    var gap = before && !/\n$/.test(before) ? "\n\n" : "";
    reply.value = before + gap + text + after;
    var caret = (before + gap + text).length;
    reply.setSelectionRange(caret, caret);
    reply.dispatchEvent(new Event("input", { bubbles: true }));
  }

  for (var i = 0; i < buttons.length; i++) {
    var button = buttons[i];
    button.hidden = false;
    button.addEventListener("click", function (event) {
      var source = document.getElementById(event.currentTarget.getAttribute("data-saved-reply"));
      if (!source) return;
      insert(source.innerText.trim());
      if (status) status.textContent = gettext("Inserted into your reply.");
    });
  }
})();
