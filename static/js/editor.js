/* Aandacht — the deck editor (templates/deck*.html, card_edit.html, decks.html).
 * The server validates everything and shows each problem at its field; this script only helps:
 * it hides the responses of an open card, counts characters against each text's limit, asks
 * before deleting, and puts the cursor in the first field that needs a change. */
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
