/* bettercities: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Selectors submit their form on change (the plain GET form keeps the state in the URL).
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); }
      });
    });
  }

  function poll(url, onUpdate, onDone) {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        onUpdate(job);
        if (job.status === "done" || job.status === "failed") { onDone(job); }
        else { window.setTimeout(function () { poll(url, onUpdate, onDone); }, 500); }
      })
      .catch(function () { window.setTimeout(function () { poll(url, onUpdate, onDone); }, 1500); });
  }

  // The upload form: send in the background, show progress, then open the job's result page.
  function upload() {
    var form = document.querySelector("form[data-upload]");
    if (!form || !window.fetch || !window.FormData) { return; }
    var box = form.querySelector("[data-progress]");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      box.hidden = false;
      bar.removeAttribute("value");
      text.textContent = "…";
      fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } })
        .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
        .then(function (pair) {
          var response = pair[0], body = pair[1];
          if (!response.ok) { text.textContent = (body.errors || [body.detail || response.status]).join("; "); return; }
          poll(body.status_url, function (job) {
            if (job.total) { bar.max = job.total; bar.value = job.done; text.textContent = job.done + " / " + job.total; }
            else { text.textContent = job.status; }
          }, function () { window.location.href = body.url; });
        })
        .catch(function () { form.submit(); });
    });
  }

  // A running job's page refreshes itself when the job ends.
  function job() {
    var box = document.querySelector("[data-job]");
    if (!box || !window.fetch) { return; }
    var status = box.getAttribute("data-status");
    if (status !== "queued" && status !== "running") { return; }
    var bar = box.querySelector("progress");
    poll(box.getAttribute("data-job"), function (state) {
      if (bar && state.total) { bar.max = state.total; bar.value = state.done; }
    }, function () { window.location.reload(); });
  }

  // Print buttons (hidden without this script, see the stylesheet).
  function printButtons() {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { autosubmit(); upload(); job(); printButtons(); });
})();
