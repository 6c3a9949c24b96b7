/* Aandacht — the deck editor (templates/deck*.html, card_edit.html, decks.html).
 * The server validates everything and shows each problem at its field; this script only helps:
 * it hides the responses of an open card and the text fields of a language the deck is not in,
 * shows the own-case field when the story is "Your own case", counts characters against each
 * text's limit, asks before deleting, and puts the cursor in the first field that needs a change. */
(function () {
  "use strict";

  /* An open card has no responses: show the part of the form that fits the chosen kind. */
  var kinds = Array.prototype.slice.call(document.querySelectorAll("input[name=kind]"));
  function showKind() {
    var checked = kinds.filter(function (k) { return k.checked; })[0];
    var kind = checked ? checked.value : "choice";
    Array.prototype.forEach.call(document.querySelectorAll("[data-kind-only]"), function (node) {
      node.hidden = node.getAttribute("data-kind-only") !== kind;
    });
  }
  kinds.forEach(function (k) { k.addEventListener("change", showKind); });
  if (kinds.length) showKind();

  /* The text fields follow the deck's languages (the deck form's choice): a language the deck is not in keeps its
   * fields, hidden, so what was written in it is kept. Without this script the server shows the saved choice. */
  var languageRadios = Array.prototype.slice.call(document.querySelectorAll("input[name='deck.languages']"));
  function showLanguages() {
    var checked = languageRadios.filter(function (r) { return r.checked; })[0];
    var langs = (checked ? checked.value : "nl en").split(" ");
    Array.prototype.forEach.call(document.querySelectorAll(".lang-field[data-lang]"), function (node) {
      var wrong = node.querySelector("[aria-invalid=true]");
      node.hidden = langs.indexOf(node.getAttribute("data-lang")) < 0 && !wrong;
    });
  }
  languageRadios.forEach(function (r) { r.addEventListener("change", showLanguages); });
  if (languageRadios.length) showLanguages();

  /* The story: a built-in one from the list, or "Your own case" with its own words in the text field. */
  var storyChoice = document.getElementById("f-story-choice");
  var storyOwn = document.querySelector("[data-story-own]");
  function showStory() {
    var own = storyChoice.value === "own";
    storyOwn.hidden = !own;
  }
  if (storyChoice && storyOwn) {
    storyChoice.addEventListener("change", function () {
      showStory();
      if (storyChoice.value === "own") document.getElementById("f-story-own").focus();
    });
    showStory();
  }

  /* A live count of characters against the limit the server checks. */
  Array.prototype.forEach.call(document.querySelectorAll("[data-limit]"), function (input) {
    var limit = parseInt(input.getAttribute("data-limit"), 10);
    if (!limit) return;
    var counter = document.createElement("span");
    counter.className = "char-count hint";
    counter.setAttribute("aria-hidden", "true");
    input.insertAdjacentElement("afterend", counter);
    function update() {
      var n = input.value.trim().length;
      counter.textContent = n + " / " + limit;
      counter.classList.toggle("is-over", n > limit);
    }
    input.addEventListener("input", update);
    update();
  });

  /* Deleting asks first. */
  Array.prototype.forEach.call(document.querySelectorAll("form.confirm-form"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm") || "Delete?")) event.preventDefault();
    });
  });

  /* After a refused save: the cursor goes to the first field with a problem. */
  var first = document.querySelector("[aria-invalid=true]");
  if (first) {
    first.focus();
  } else {
    var summary = document.getElementById("error-summary") || document.getElementById("upload-problems");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  }
})();
