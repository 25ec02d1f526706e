// Progressive enhancement only: every page works without it.

// Copy buttons. An element marked data-copy="<button label>" gets a button that puts its
// text (a link's address) on the clipboard and says so (data-copied) in a live region.
// Without JavaScript, or without the clipboard API (an insecure origin), no button: the
// text is there to select.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    var button = document.createElement("button"), said = document.createElement("span");
    button.type = "button";
    button.className = "copy";
    button.textContent = el.dataset.copy;
    said.className = "copy-said";
    said.setAttribute("role", "status");
    button.addEventListener("click", function () {
      var text = el.href || el.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        said.textContent = el.dataset.copied;
      }, function () {
        said.textContent = el.dataset.copyFailed;
      });
    });
    el.after(button, said);
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
