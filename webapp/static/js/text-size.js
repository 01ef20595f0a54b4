// The text size a reader chose, kept in this browser (localStorage) so that every page can be
// the same cached bytes for everyone. Loaded in <head> without defer: the class is set before
// the page is drawn. Without JavaScript the buttons post to /font-size, which sets a cookie.
(function () {
  "use strict";
  var KEY = "healthdesk.textSize";
  var SIZES = ["smaller", "default", "larger"];
  var root = document.documentElement;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return SIZES.indexOf(value) >= 0 ? value : null;
    } catch (e) {
      return null; // storage refused (private mode, blocked): the server's size stands
    }
  }

  function apply(size) {
    SIZES.forEach(function (s) { root.classList.remove("fs-" + s); });
    root.classList.add("fs-" + size);
    var buttons = document.querySelectorAll("form.font-size button[name=size]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.setAttribute("aria-pressed", button.value === size ? "true" : "false");
    });
  }

  var size = stored();
  if (size) { apply(size); }

  document.addEventListener("DOMContentLoaded", function () {
    var current = stored();
    if (current) { apply(current); }
    var form = document.querySelector("form.font-size");
    if (!form) { return; }
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=size]");
      if (!button || SIZES.indexOf(button.value) < 0) { return; }
      try {
        window.localStorage.setItem(KEY, button.value);
      } catch (e) {
        return; // cannot keep it here: let the form post, the cookie keeps it instead
      }
      event.preventDefault();
      apply(button.value);
    });
  });
})();
