// The survey form (templates/surveys/respond.html): as answers change, ask the server which questions apply
// (the same skip logic that checks the response) and show or hide them. Without this script the form works
// as well: the button "Show the questions that apply" asks the server with a page load.
(function () {
  "use strict";
  var form = document.querySelector("form[data-survey-form]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-shown-url");
  var pending = null;
  function apply(shown) {
    var names = {};
    shown.forEach(function (name) { names[name] = true; });
    form.querySelectorAll("[data-question]").forEach(function (element) {
      element.hidden = !names[element.getAttribute("data-question")];
    });
  }
  function ask() {
    var body = new FormData(form);
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && data.shown) { apply(data.shown); } })
      .catch(function () { /* the button still works */ });
  }
  form.addEventListener("change", function () {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(ask, 50);
  });
  var update = form.querySelector("[data-update-button]");
  if (update) { update.hidden = true; }
}());
