// Copy buttons beside read-only fields (the share links on /me): a button marked
// data-copy-from="<field id>" copies that field's value and says so in the status beside it.
// Without JavaScript (or the clipboard API) the button stays hidden and the field is there
// to select. (app.js's data-copy buttons copy a link's text; a field's is its value.)
(function () {
  document.querySelectorAll("input.share-url").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });  // ready to copy
  });
  if (!navigator.clipboard) return;
  document.querySelectorAll("button.copy[data-copy-from]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copyFrom);
    var said = button.nextElementSibling;
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (said) said.textContent = button.dataset.copied;
      }, function () {
        field.focus();
        if (said) said.textContent = button.dataset.copyFailed;
      });
    });
  });
})();
