// Password rules, shown as the person types (not as a list up front). Only a hint: the
// server's password validators decide when the form is sent. The list sits in the
// element named by the field's aria-describedby and appears with the first keystroke.
(function () {
  "use strict";
  // The JavaScript catalogue's words (base.html loads it first); English if it did not load.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (all, name) { return values[name]; });
  };
  var COMMON = ["password", "passw0rd", "password1", "12345678", "123456789", "1234567890", "qwerty",
    "qwertyuiop", "qwerty123", "letmein", "iloveyou", "welcome", "welcome1", "admin123", "abc12345",
    "football", "baseball", "sunshine", "princess", "dragon", "monkey", "trustno1", "superman",
    "starwars", "whatever", "michael", "shadow", "master", "azerty", "motdepasse", "changeme"];

  function sequence(text) {
    var runs = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm"];
    var lower = text.toLowerCase();
    for (var i = 0; i < runs.length; i++) {
      if (runs[i].indexOf(lower) >= 0 || runs[i].split("").reverse().join("").indexOf(lower) >= 0) return true;
    }
    return /^(.)\1+$/.test(text);  // "aaaaaaaa"
  }

  function common(text) {
    var lower = text.toLowerCase();
    return COMMON.indexOf(lower) >= 0 || COMMON.indexOf(lower.replace(/[0-9!.]+$/, "")) >= 0 || sequence(text);
  }

  function likeAddress(text, address) {
    var lower = text.toLowerCase();
    var parts = (address || "").toLowerCase().split(/[@.+_-]/).filter(function (p) { return p.length >= 4; });
    for (var i = 0; i < parts.length; i++) if (lower.indexOf(parts[i]) >= 0) return true;
    return false;
  }

  function attach(input) {
    var list = document.getElementById(input.getAttribute("aria-describedby"));
    if (!list) return;
    var form = input.form;
    var address = form && form.querySelector("input[type=email]");
    var minimum = parseInt(input.getAttribute("data-min-length"), 10) || 8;
    var rules = [
      { text: interpolate(gettext("At least %(count)s characters"), { count: minimum }, true), ok: function (v) { return v.length >= minimum; } },
      { text: gettext("Not only numbers"), ok: function (v) { return !/^[0-9]+$/.test(v); } },
      { text: gettext("Not a common password or a simple pattern"), ok: function (v) { return !common(v); } },
    ];
    if (address) {
      rules.push({ text: gettext("Not like your email address"), ok: function (v) { return !likeAddress(v, address.value); } });
    }
    var items = rules.map(function (rule) {
      var item = document.createElement("li");
      var state = document.createElement("span");
      state.className = "visually-hidden";
      item.appendChild(document.createTextNode(rule.text));
      item.appendChild(state);
      list.appendChild(item);
      return item;
    });

    function update() {
      var value = input.value;
      list.hidden = value.length === 0;
      for (var i = 0; i < rules.length; i++) {
        var met = rules[i].ok(value);
        items[i].className = met ? "met" : "";
        items[i].lastChild.textContent = " " + (met ? gettext("(done)") : gettext("(not yet)"));
      }
    }
    input.addEventListener("input", update);
    if (address) address.addEventListener("input", function () { if (input.value) update(); });
    update();
  }

  var inputs = document.querySelectorAll("input[data-password-hints]");
  for (var i = 0; i < inputs.length; i++) attach(inputs[i]);
})();
