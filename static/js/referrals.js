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

// Offline, "Check and send" shows the check-your-answers summary from the page the phone
// kept (templates/referrals/new.html: #ref-offline-review), with the fields and labels of
// store.PARTNER_VIEW as the online summary; its Send is a button of the form, which
// offline-app.js puts in the outbox.  (A window listener runs before offline-app.js's.)
function offlineReview(form) {
  const review = document.getElementById("ref-offline-review");
  const service = form.querySelector('input[name="service_id"]:checked')
    || form.querySelector('input[type=hidden][name="service_id"]');
  const consent = form.querySelector('input[name="consent"]:checked');
  if (!review || !service || !service.value || !consent) return false; // the outbox's checks
  const labelOf = (input) => (input ? input.closest("label").querySelector("span").textContent.trim() : "");
  const value = (name) => {
    const field = form.elements.namedItem(name);
    return field && !field.disabled ? field.value.trim() : "";
  };
  const infoOnly = consent.value === "none";
  const shared = infoOnly ? [] : [...form.querySelectorAll('input[name="shared"]:checked')].map((b) => b.value);
  const values = {
    service_name: service.dataset.name || "",
    urgency: labelOf(form.querySelector('input[name="urgency"]:checked')),
    consent: labelOf(consent),
  };
  const fill = (list, rows) => {
    list.replaceChildren();
    for (const [key, label, text] of rows) {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.dataset.field = dd.dataset.field = key;
      dt.textContent = label;
      dd.textContent = text;
      list.append(dt, dd);
    }
  };
  const sent = [];
  const labels = {};
  for (const [key, label, code] of JSON.parse(review.dataset.fields)) {
    labels[key] = label;
    if (code !== null && !shared.includes(code)) continue;
    const text = key in values ? values[key] : value(key);
    if (text) sent.push([key, label, text]);
  }
  const sentKeys = new Set(sent.map(([key]) => key));
  const note = infoOnly ? review.dataset.infoOnly : review.dataset.notTicked;
  const kept = JSON.parse(review.dataset.typed)
    .filter((key) => !sentKeys.has(key) && value(key))
    .map((key) => [key, labels[key], `${value(key)} (${note})`]);
  if (consent.value === "not_obtainable" && value("consent_reason")) {
    kept.push(["consent_reason", review.dataset.reason, value("consent_reason")]);
  }
  fill(document.getElementById("ref-offline-receives"), sent);
  fill(document.getElementById("ref-offline-kept"), kept);
  document.getElementById("ref-offline-nothing-kept").hidden = kept.length > 0;
  document.getElementById("ref-offline-info-only").hidden = !infoOnly;
  document.getElementById("ref-offline-receives-title").textContent =
    review.dataset.receives.replace("{org}", service.dataset.organization || service.dataset.name || "");
  form.hidden = true;
  review.hidden = false;
  scrollTo(0, 0);
  document.getElementById("ref-offline-title").focus();
  return true;
}

function closeOfflineReview() {
  const review = document.getElementById("ref-offline-review");
  const form = document.getElementById("referral-form");
  if (!review || !form || review.hidden) return;
  review.hidden = true;
  form.hidden = false;
}

window.addEventListener("submit", (event) => {
  const form = event.target;
  // (the form has a field named "id": form.id is that field)
  if (navigator.onLine || !(form instanceof HTMLFormElement) || form.getAttribute("id") !== "referral-form") return;
  const step = event.submitter && event.submitter.name === "step" ? event.submitter.value : "";
  if (step !== "review") return;
  if (offlineReview(form)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("click", (event) => {
  if (!(event.target instanceof Element) || !event.target.closest("#ref-offline-change")) return;
  closeOfflineReview();
  const first = document.querySelector('#referral-form input[name="consent"]:checked');
  if (first) first.focus();
});
document.addEventListener("fieldapp:queued", closeOfflineReview);

// The top few services stay large choices, the rest under "More services", also after
// offline-app.js moved the crisis services first for the mental-health path offline.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("service-options");
  const more = list && list.querySelector(":scope > details.ref-more");
  if (!more) return;
  const top = list.querySelectorAll(":scope > label.ref-service");
  [...top].slice(3).reverse().forEach((label) => more.querySelector("summary").after(label));
  const first = list.querySelector('input[name="service_id"]');
  list.querySelectorAll('input[name="service_id"][id="service_id"]').forEach((i) => i.removeAttribute("id"));
  if (first) first.id = "service_id";
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
