// Small glue only. No inline scripts anywhere: the CSP forbids them.
"use strict";

// Move focus to the main region after an htmx page-level swap, for screen readers.
document.addEventListener("htmx:afterSettle", (event) => {
  const main = document.getElementById("main");
  if (main && event.detail.target === main) main.focus();
});

// One error pattern (GOV.UK): a refused form's summary (templates/_forms.html error_summary)
// takes the focus, on a page load or an htmx swap, and each of its links focuses its field.
function focusErrorSummary(root) {
  const summary = (root || document).querySelector("#form-errors");
  if (summary) summary.focus();
}
document.addEventListener("DOMContentLoaded", () => focusErrorSummary(document));
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target instanceof Element) focusErrorSummary(event.detail.target);
});
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest('#form-errors a[href^="#"]');
  if (!link) return;
  const field = document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  field.focus();
});
