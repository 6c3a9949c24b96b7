/* Aandacht — home page ("Create a workshop", templates/home.html).
 * Shows only the selected deck's cards (the hidden decks' fieldsets are disabled so
 * their checkboxes are not submitted) and lets the facilitator reorder the cards:
 * the submitted order of the checked `card` values is the play order. */
(function () {
  "use strict";

  // The facilitator's time zone: stored with the workshop it creates, so the report and the CSV give their times in
  // it; the report and CSV links of older workshops send it along (the server checks it, else uses its own).
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* no Intl: the server's zone */ }
  if (zone) {
    Array.prototype.forEach.call(document.querySelectorAll("a[data-tz-link]"), function (a) {
      var href = a.getAttribute("href");
      a.setAttribute("href", href + (href.indexOf("?") >= 0 ? "&" : "?") + "tz=" + encodeURIComponent(zone));
    });
  }

  var form = document.getElementById("create-form");
  if (!form) return;
  var zoneInput = document.getElementById("time_zone");
  if (zoneInput) zoneInput.value = zone;
  var deckSelect = document.getElementById("deck_id");
  var fieldsets = Array.prototype.slice.call(form.querySelectorAll("fieldset.deck-cards"));

  function showDeck(deckId) {
    fieldsets.forEach(function (fs) {
      var on = fs.getAttribute("data-deck-id") === deckId;
      fs.hidden = !on;
      fs.disabled = !on;
    });
  }

  /* A one-language deck is played in its language only: the other is not offered (the server refuses it too). */
  var languageSelect = document.getElementById("language");
  function limitLanguage() {
    var option = deckSelect && deckSelect.options[deckSelect.selectedIndex];
    if (!option || !languageSelect) return;
    var allowed = (option.getAttribute("data-languages") || "nl en").split(" ");
    Array.prototype.forEach.call(languageSelect.options, function (o) {
      o.disabled = allowed.indexOf(o.value) < 0;
    });
    if (allowed.indexOf(languageSelect.value) < 0) languageSelect.value = allowed[0];
  }

  if (deckSelect) {
    deckSelect.addEventListener("change", function () { showDeck(deckSelect.value); limitLanguage(); });
    showDeck(deckSelect.value);
    limitLanguage();
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.move-up, button.move-down");
    if (!button) return;
    var item = button.closest("li.card-item");
    var list = item && item.parentNode;
    if (!list) return;
    if (button.classList.contains("move-up")) {
      var prev = item.previousElementSibling;
      if (prev) list.insertBefore(item, prev);
    } else {
      var next = item.nextElementSibling;
      if (next) list.insertBefore(next, item);
    }
    button.focus();
    item.classList.remove("just-moved");
    void item.offsetWidth; // restart the highlight animation
    item.classList.add("just-moved");
  });

  form.addEventListener("submit", function (event) {
    var visible = fieldsets.filter(function (fs) { return !fs.disabled; })[0];
    var checked = visible ? visible.querySelectorAll("input[name=card]:checked").length : 0;
    if (visible && checked === 0) {
      event.preventDefault();
      var note = document.getElementById("card-note");
      if (!note) {
        note = document.createElement("p");
        note.id = "card-note";
        note.className = "form-errors";
        note.setAttribute("role", "alert");
        visible.appendChild(note);
      }
      note.textContent = form.dataset.msgNoCards || "Choose at least one card."; // in the page's language
      var first = visible.querySelector("input[name=card]");
      if (first) first.focus();
    }
  });
})();

/* Deleting a past workshop from the history list asks first. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form.history-delete"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm || "Delete this workshop and every participant's data now? This cannot be undone.")) {
        event.preventDefault();
      }
    });
  });
})();
