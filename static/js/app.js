// Small glue only. No inline scripts anywhere: the CSP forbids them.
"use strict";

// Move focus to the main region after an htmx page-level swap, for screen readers.
document.addEventListener("htmx:afterSettle", (event) => {
  const main = document.getElementById("main");
  if (main && event.detail.target === main) main.focus();
});
