// Health-center pages: a "Print this article" button (the page prints fine without it).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      var holder = button.closest(".print-action");
      if (holder) { holder.hidden = false; }
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
