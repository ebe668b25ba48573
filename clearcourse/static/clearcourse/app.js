// ClearCourse: small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Arrow keys on a closed <select> change its value at once. Submitting on that change reloaded the page
  // (switched the language) before a keyboard user had chosen (WCAG 3.2.2, on input): a change made with
  // the keyboard waits for Enter; a change made with the mouse submits at once, as before.
  var changedByKeyboard = false;
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!(el && el.matches && el.matches("[data-autosubmit]") && el.form)) { return; }
    if (event.key === "Enter") {
      event.preventDefault();
      changedByKeyboard = false;
      el.form.submit();
    } else if (event.key !== "Tab" && event.key !== "Shift") {
      changedByKeyboard = true;
    }
  });
  document.addEventListener("mousedown", function () { changedByKeyboard = false; });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (changedByKeyboard) { changedByKeyboard = false; return; }
      el.form.submit();
    }
  });
})();
