/* Pleno pages: show a spinner while the server compiles a packet (the POST itself works without JS). */
(function () {
  "use strict";
  function onSubmit(event) {
    var form = event.currentTarget;
    if (form.dataset.busy === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.busy = "1";
    var button = form.querySelector("button[type=submit]");
    var busy = form.querySelector(".pleno-busy");
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("pleno-disabled");
    }
    if (busy) busy.classList.remove("hidden");
    document.querySelectorAll(".js-pleno-build button[type=submit]").forEach(function (b) {
      if (b !== button) b.disabled = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.js-pleno-build").forEach(function (form) {
      form.addEventListener("submit", onSubmit);
    });
  });
  // Back/forward cache: a page restored after the build must not keep showing the spinner.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.js-pleno-build").forEach(function (form) {
      form.dataset.busy = "";
      var busy = form.querySelector(".pleno-busy");
      if (busy) busy.classList.add("hidden");
      form.querySelectorAll("button").forEach(function (b) {
        b.disabled = false;
        b.removeAttribute("aria-disabled");
        b.classList.remove("pleno-disabled");
      });
    });
  });
})();
