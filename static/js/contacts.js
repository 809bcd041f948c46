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
