// Copy buttons beside read-only fields (the share links on /me). Without JavaScript the
// field is there to select and copy by hand; this only shows the button and makes it work.
(function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.dataset.copied || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        field.focus();
        field.select();  // the browser refused: leave the link selected to copy by hand
      });
    });
  });
  // A click in a link's field selects all of it, ready to copy.
  document.querySelectorAll("input.share-url").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
