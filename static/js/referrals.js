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

// The partner inbox's poll (templates/referrals/_inbox_rows.html): ask with the last ETag, so
// an unchanged list answers 304 (base.html: 304 never swaps).  Rows that appear are marked
// "New" (and stay marked), announced in the polite live region, and the tab shows the count.
const inbox = { etag: null, seen: null, fresh: new Set() };

document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id === "inbox-list" && inbox.etag) {
    event.detail.headers["If-None-Match"] = inbox.etag;
  }
});

document.addEventListener("htmx:beforeOnLoad", (event) => {  // (before the swap detaches it)
  if (event.detail.elt.id !== "inbox-list") return;
  const etag = event.detail.xhr.getResponseHeader("ETag");
  if (etag) inbox.etag = etag;
});

function inboxUpdated() {
  const list = document.getElementById("inbox-list");
  const news = document.getElementById("inbox-news");
  if (!list || !news) return;
  const ids = Array.from(list.querySelectorAll("tr.ref-row"), (row) => row.id);
  const added = inbox.seen ? ids.filter((id) => !inbox.seen.has(id)) : [];
  added.forEach((id) => inbox.fresh.add(id));
  inbox.seen = new Set([...(inbox.seen || []), ...ids]);
  inbox.fresh.forEach((id) => {
    const row = document.getElementById(id);
    if (!row || row.classList.contains("ref-arrived")) return;
    row.classList.add("ref-arrived");
    const badge = document.createElement("span");
    badge.className = "badge badge-new";
    badge.textContent = news.dataset.new;
    row.querySelector("td").prepend(badge, " ");
  });
  if (added.length) {
    news.textContent = added.length === 1 ? news.dataset.one
      : news.dataset.many.replace("{n}", String(added.length));
  }
  if (list.dataset.title) document.title = list.dataset.title;
}
inboxUpdated();
document.addEventListener("htmx:afterSettle", inboxUpdated);
document.addEventListener("htmx:load", (event) => { if (event.target.id === "inbox-list") inboxUpdated(); });
