/* Callback form: keyboard only. Questions that do not apply are hidden (so Tab skips them),
   and Enter submits from any field except a multi-line text box. No inline scripts (CSP). */
(function () {
  "use strict";

  function value(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  function refresh(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      var show = el.getAttribute("data-show-when").split("&").every(function (cond) {
        var parts = cond.split("=");
        return value(form, parts[0]) === parts[1];
      });
      el.hidden = !show;
      el.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !show;
      });
    });
  }

  function setUp(form) {
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) { return; }
      var target = event.target;
      if (target.tagName === "TEXTAREA" && !(event.ctrlKey || event.metaKey)) { return; }
      if (target.tagName === "BUTTON") { return; }
      event.preventDefault();
      form.requestSubmit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-keyboard-form]").forEach(setUp);
  });
})();
