// Referrals: keep "information only" honest in the form (refusals swap in place through
// base.html's htmx-config responseHandling).
"use strict";

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
