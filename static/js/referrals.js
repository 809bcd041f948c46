// Referrals: show refusals (400/409) in place, and keep "information only" honest in the form.
"use strict";

// The server answers a refused transition with the same fragment plus its message: swap it in.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ((status === 400 || status === 409) && event.detail.requestConfig &&
      String(event.detail.requestConfig.path || "").indexOf("/referrals/") === 0) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Consent "none" (information only) shares nothing: clear and disable the shared boxes.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.name !== "consent") return;
  const form = input.form;
  if (!form) return;
  const none = input.value === "none" && input.checked;
  form.querySelectorAll('input[name="shared"]').forEach((box) => {
    if (none) box.checked = false;
    box.disabled = none;
  });
});
