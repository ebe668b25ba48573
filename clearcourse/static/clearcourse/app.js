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

  // Switching the language reloads the page (issue 13): what was typed and ticked on the page's forms is kept
  // in this tab's sessionStorage just before, and put back once after the reload, with a spoken note. Not
  // kept: passwords, files, hidden fields (CSRF tokens, signed versions) and the language form itself.
  var DRAFT_KEY = "clearcourse-draft:" + location.pathname;
  function keptFields(form) {
    var out = [];
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      var type = (el.type || "").toLowerCase();
      if (!el.name || ["hidden", "password", "file", "submit", "button", "reset", "image"].indexOf(type) >= 0) { continue; }
      out.push(el);
    }
    return out;
  }
  function otherForms(languageForm) {
    var forms = [];
    for (var i = 0; i < document.forms.length; i++) {
      if (document.forms[i] !== languageForm) { forms.push(document.forms[i]); }
    }
    return forms;
  }
  function saveDraft(languageForm) {
    var draft = [];
    otherForms(languageForm).forEach(function (form, index) {
      keptFields(form).forEach(function (el) {
        var type = (el.type || "").toLowerCase();
        var entry = { form: index, name: el.name, type: type };
        if (type === "checkbox" || type === "radio") { entry.value = el.value; entry.checked = el.checked; }
        else if (el.multiple) { entry.values = Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; }); }
        else { entry.value = el.value; }
        draft.push(entry);
      });
    });
    var typed = draft.some(function (e) { return e.checked || (e.values && e.values.length) || (e.type !== "checkbox" && e.type !== "radio" && e.value); });
    try {
      if (typed) { sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft)); } else { sessionStorage.removeItem(DRAFT_KEY); }
    } catch (err) { /* storage full or refused: the switch still works, without the draft */ }
  }
  function restoreDraft() {
    var raw = null;
    try { raw = sessionStorage.getItem(DRAFT_KEY); sessionStorage.removeItem(DRAFT_KEY); } catch (err) { return; }
    if (!raw) { return; }
    var draft;
    try { draft = JSON.parse(raw); } catch (err) { return; }
    var languageForm = document.querySelector("form.lang-switch");
    var forms = otherForms(languageForm);
    var restored = 0;
    draft.forEach(function (entry) {
      var form = forms[entry.form];
      if (!form) { return; }
      keptFields(form).forEach(function (el) {
        if (el.name !== entry.name) { return; }
        var type = (el.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") {
          if (el.value === entry.value && el.checked !== entry.checked) { el.checked = entry.checked; restored++; }
        } else if (el.multiple && entry.values) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = entry.values.indexOf(o.value) >= 0; });
          restored++;
        } else if (entry.value !== undefined && el.value !== entry.value) {
          el.value = entry.value; restored++;
        }
      });
    });
    var note = document.getElementById("draft-restored");
    if (restored && note) { note.hidden = false; }
  }
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.matches && event.target.matches("form.lang-switch")) { saveDraft(event.target); }
  }, true);
  // form.submit() (the language menu's auto-submit) fires no submit event: save before it.
  var nativeSubmit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function () {
    if (this.matches && this.matches("form.lang-switch")) { saveDraft(this); }
    return nativeSubmit.call(this);
  };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", restoreDraft); } else { restoreDraft(); }

  // A link to a folded section (#part-dose) opens it.
  function openTarget() {
    if (!location.hash) { return; }
    var target = document.getElementById(location.hash.slice(1));
    while (target) {
      if (target.tagName === "DETAILS") { target.open = true; }
      target = target.parentElement;
    }
  }
  window.addEventListener("hashchange", openTarget);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", openTarget); } else { openTarget(); }
})();
