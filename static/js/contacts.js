// Log-contact form glue: "use my location" (coordinates only when tapped) and Enter-to-search.
"use strict";

// "Use my location" needs JavaScript and geolocation: rendered hidden, revealed here (also
// when htmx swaps the form in again).
function revealLocationButton() {
  const button = document.getElementById("use-location");
  if (button && navigator.geolocation) button.hidden = false;
}
revealLocationButton();
document.addEventListener("htmx:afterSettle", revealLocationButton);

document.addEventListener("click", (event) => {
  const button = event.target.closest("#use-location");
  if (!button) return;
  const lat = document.getElementById("lat");
  const lon = document.getElementById("lon");
  const status = document.getElementById("location-status");
  if (lat.value) {
    lat.value = lon.value = "";
    status.textContent = "";
    button.textContent = button.dataset.label || button.textContent;
    return;
  }
  if (!navigator.geolocation) { status.textContent = button.dataset.failed; return; }
  button.dataset.label = button.textContent;
  navigator.geolocation.getCurrentPosition((position) => {
    lat.value = position.coords.latitude.toFixed(6);
    lon.value = position.coords.longitude.toFixed(6);
    status.textContent = button.dataset.done;
    button.textContent = button.dataset.clear;
  }, () => { status.textContent = button.dataset.failed; },
  { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
});

// Enter in a person search box searches instead of saving the whole form.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.target.type !== "search") return;
  const button = event.target.parentElement.querySelector("button[hx-post]");
  if (button) { event.preventDefault(); button.click(); }
});

// A vocabulary collapses to its choice once chosen ("Change" opens it again), and Save says
// what will be saved.  Without JavaScript every chip stays on screen and Save just says Save.
function saveSummary(form) {
  const what = form.querySelector(".contacts-save-what");
  if (!what) return;
  const picked = [];
  for (const name of ["kind", "populations", "outcome"]) {
    form.querySelectorAll(`input[name="${name}"]:checked`).forEach((input) => {
      picked.push(input.nextElementSibling.textContent.trim());
    });
  }
  what.textContent = picked.length ? what.dataset.separator + picked.join(" · ") : "";
}

document.addEventListener("change", (event) => {
  const input = event.target;
  const form = input.closest(".contact-form");
  if (!form || !input.matches(".chip input")) return;
  const field = input.closest("fieldset[data-collapse]");
  if (field && input.checked && input.value) {
    field.dataset.collapsed = "";
    const more = field.querySelector("details.contacts-more");
    if (more && !more.contains(input)) more.open = false;
    const change = field.querySelector(".chip-change");
    if (change) change.hidden = false;
  }
  saveSummary(form);
});

document.addEventListener("click", (event) => {
  const change = event.target.closest(".chip-change");
  if (!change) return;
  const field = change.closest("fieldset[data-collapse]");
  delete field.dataset.collapsed;
  change.hidden = true;
});

document.querySelectorAll(".contact-form").forEach(saveSummary);
