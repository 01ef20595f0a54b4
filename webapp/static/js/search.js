/* Suggestions under the site search boxes, as the ARIA 1.2 combobox with a listbox popup.

   Without this script each box is a plain GET form to /search. With it, typing asks
   /search/suggest (debounced) and lists what it returns under the box:
   - Down/Up move through the suggestions (focus stays in the box, aria-activedescendant
     names the highlighted one); Enter opens it; with none highlighted Enter submits the form;
   - Escape closes the list, a second Escape empties the box; Tab or a click elsewhere closes it;
   - a polite status line says how many suggestions there are, for screen readers. */
(function () {
  "use strict";

  var DELAY_MS = 150;
  var MIN_CHARS = 2;
  var counter = 0;

  function enhance(form) {
    var input = form.querySelector("input[name=q]");
    var combo = form.querySelector(".search-combo");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !combo || !url) return;
    var id = input.id || "site-search-" + (++counter);
    var list = document.createElement("ul");
    list.id = id + "-suggestions";
    list.className = "search-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    combo.appendChild(list);
    combo.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var timer = null;
    var pending = null;
    var active = -1;
    var items = [];
    var lastAsked = "";

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      if (index < 0) index = all.length - 1;
      if (index >= all.length) index = 0;
      for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-selected", i === index ? "true" : "false");
      active = index;
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }

    function show(found) {
      items = found;
      list.textContent = "";
      found.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "suggestion-label";
        label.textContent = item.label;
        var kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = ", " + item.kind;
        option.appendChild(label);
        option.appendChild(kind);
        // mousedown, not click: it comes before the box loses focus and closes the list.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          window.location.assign(item.url);
        });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = found.length + (found.length === 1 ? " suggestion" : " suggestions") + ". Use the up and down arrow keys to choose.";
      } else {
        close();
        status.textContent = "No suggestions.";
      }
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) { lastAsked = ""; show([]); status.textContent = ""; return; }
      if (text === lastAsked) { show(items); return; }
      lastAsked = text;
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(text), { signal: pending.signal, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (input.value.trim() === text && document.activeElement === input) show(data.suggestions || []);
        })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0 && items[active]) {
          event.preventDefault();
          window.location.assign(items[active].url);
        }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
        else if (input.value) { event.preventDefault(); input.value = ""; lastAsked = ""; items = []; }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", close);
  }

  function start() {
    var forms = document.querySelectorAll("form.site-search-form[data-suggest-url]");
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
