// Progressive enhancement only: every page works without it.

// Copy buttons. A page renders each one hidden beside what it copies:
//   <button type="button" class="copy" data-copy="ID" data-copied="Copied" hidden>Copy</button>
// (ID: an input's value, a link's address or an element's text). Without JavaScript, or
// without the clipboard API (an insecure origin), it stays hidden: the text is there to select.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var label = button.textContent, said = document.createElement("span");
    said.className = "visually-hidden copy-said";
    said.setAttribute("role", "status");  // a changed button label is not always read out
    button.after(said);
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = field.tagName === "A" ? field.href : (field.value || field.textContent).trim();
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = said.textContent = button.dataset.copied || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {  // the browser refused: leave the text selected, to copy by hand
        if (field.select) {
          field.focus();
          field.select();
        } else {
          window.getSelection().selectAllChildren(field);
        }
      });
    });
  });
  // A click in a read-only link field (the share links on /me) selects all of it.
  document.querySelectorAll("input.share-url").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();

(function () {
  var form = document.getElementById("search");
  if (!form) return;
  // On a phone the filters start folded, so the results come first into view.
  var panel = document.getElementById("filter-panel");
  if (panel && window.matchMedia("(max-width: 48rem)").matches) panel.open = false;
  // Keep the URL clean (and shareable): leave out empty fields.
  form.addEventListener("submit", function () {
    form.querySelectorAll("input, select").forEach(function (el) {
      if (!el.value) el.disabled = true;
    });
  });
  form.querySelectorAll(".facet input, #microcredential, #sort").forEach(function (el) {
    el.addEventListener("change", function () { form.requestSubmit(); });
  });
  var q = document.getElementById("q"), list = document.getElementById("suggestions"), timer;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (q.value.trim().length < 2) return;
      fetch("/api/v1/suggest?q=" + encodeURIComponent(q.value)).then(function (r) {
        return r.ok ? r.json() : { items: [] };
      }).then(function (data) {
        list.replaceChildren.apply(list, data.items.map(function (s) {
          var option = document.createElement("option");
          option.value = s.text;
          return option;
        }));
      });
    }, 150);
  });
  document.addEventListener("click", function (event) {
    var more = event.target.closest("#more");
    if (!more) return;
    event.preventDefault();
    fetch(more.href).then(function (r) { return r.text(); }).then(function (html) {
      var next = new DOMParser().parseFromString(html, "text/html");
      var results = document.getElementById("results"), first = null;
      next.querySelectorAll("#results > li").forEach(function (li) {
        var node = document.importNode(li, true);
        results.appendChild(node);
        first = first || node;
      });
      var nextMore = next.getElementById("more");
      if (nextMore) more.href = nextMore.href; else more.parentNode.remove();
      if (first) first.querySelector("a").focus();
    });
  });
})();
