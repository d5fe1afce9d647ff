/* Admin pages: confirm destructive forms, copy one-time passwords. Everything works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      ev.preventDefault();
    }
  });
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var old = button.textContent;
      button.textContent = "Tersalin";
      setTimeout(function () { button.textContent = old; }, 1500);
    });
  });
})();
