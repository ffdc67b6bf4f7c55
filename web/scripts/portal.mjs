// Progressive enhancement: every page works without this file.
import { initAll } from "/assets/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Content htmx swaps in (a filtered list, a form answered with its errors, the page an upload
// lands on) gets GOV.UK Frontend's behaviour too: an error summary takes the focus, a banner is
// announced.
document.body.addEventListener("htmx:load", (event) => {
  if (event.target !== document.body) initAll({ scope: event.target });
});

// An upload shows how much of the file has gone. Without this script the form posts as usual
// and the browser shows its own progress.
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const box = event.target.closest?.("[data-upload-progress]")?.querySelector("[data-upload-box]");
  if (!box) return;
  box.hidden = false;
  box.querySelector("progress").value = 0;
  box.querySelector("[data-upload-status]").textContent = "Starting the upload";
  event.target.querySelector('button[type="submit"]')?.setAttribute("disabled", "");
});

document.body.addEventListener("htmx:xhr:progress", (event) => {
  const box = event.target.closest?.("[data-upload-progress]")?.querySelector("[data-upload-box]");
  if (!box || !event.detail.lengthComputable || event.detail.total === 0) return;
  const percent = Math.floor((event.detail.loaded / event.detail.total) * 100);
  box.querySelector("progress").value = percent;
  box.querySelector("[data-upload-status]").textContent =
    percent < 100 ? `${percent}% uploaded` : "Uploaded, checking the file";
});

// A request that never got an answer (the network gone, or a file so large the server stopped
// reading it) leaves the form as it was, saying so, to try again or to post without the script.
// Every answer the server gives, an error page included, is shown as it would be without it.
document.body.addEventListener("htmx:sendError", (event) => {
  const form = event.target.closest?.("[data-upload-progress]");
  if (!form) return;
  form.querySelector("progress").value = 0;
  form.querySelector("[data-upload-status]").textContent =
    "The upload stopped before the service answered. Check the file is not too large, then try again.";
  form.querySelector('button[type="submit"]')?.removeAttribute("disabled");
});
