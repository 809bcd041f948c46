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

// Consent "none" (information only) also disables the personal fields; the server ignores them
// anyway and says so.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.name !== "consent") return;
  if (!input.form) return;
  input.form.querySelectorAll(".ref-personal").forEach((fieldset) => {
    fieldset.disabled = input.value === "none" && input.checked;
  });
});

// After Accept, Decline or Undo swaps an inbox row, focus stays on that row (its Undo when
// offered); the Undo goes away when its few seconds are over (the server refuses it after).
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (!(target instanceof HTMLElement) || !target.id.startsWith("referral-")) return;
  const row = document.getElementById(target.id);
  if (!row) return;
  const undo = row.querySelector(".ref-undo");
  (row.querySelector(".ref-undo-button") || row).focus();
  if (undo) {
    const seconds = Number(undo.dataset.undoSeconds || "10");
    setTimeout(() => {
      if (undo.contains(document.activeElement)) row.focus();
      undo.remove();
    }, seconds * 1000);
  }
});
