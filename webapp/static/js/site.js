// HealthDesk's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // A visitor's reading history stays in their own browser: "kind:key" of the pages read,
  // newest first. The server never receives it (no cookie), so pages stay cacheable.
  var HISTORY_KEY = "healthdesk.reads";
  var HISTORY_LIMIT = 20;

  function readHistory() {
    try {
      var value = JSON.parse(window.localStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(value) ? value.filter(function (v) { return typeof v === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  function remember(item) {
    var history = readHistory().filter(function (v) { return v !== item; });
    history.unshift(item);
    try {
      window.localStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(0, HISTORY_LIMIT)));
    } catch (e) { /* storage refused: nothing is kept */ }
  }

  // The visitor home page: cards sharing a subject (tag) with something read come first,
  // cards already read go last, otherwise the editors' order stands.
  function reorderPicks(list, history) {
    var read = {};
    history.forEach(function (item) { read[item] = true; });
    var cards = Array.prototype.slice.call(list.children);
    var interests = {};
    cards.forEach(function (card) {
      if (read[card.getAttribute("data-card")]) {
        (card.getAttribute("data-tags") || "").split(" ").forEach(function (t) { if (t) { interests[t] = true; } });
      }
    });
    function rank(card) {
      if (read[card.getAttribute("data-card")]) { return 2; }
      var tags = (card.getAttribute("data-tags") || "").split(" ");
      return tags.some(function (t) { return interests[t]; }) ? 0 : 1;
    }
    cards.map(function (card, index) { return {card: card, rank: rank(card), index: index}; })
      .sort(function (a, b) { return a.rank - b.rank || a.index - b.index; })
      .forEach(function (entry) { list.appendChild(entry.card); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to an error summary so screen-reader and keyboard users hear it first.
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }

    var reading = document.body.getAttribute("data-reading");
    if (reading) { remember(reading); }
    var picks = document.querySelector("[data-reorder='reading-history'] .today-cards");
    var history = readHistory();
    if (picks && history.length) { reorderPicks(picks, history); }
  });
})();
