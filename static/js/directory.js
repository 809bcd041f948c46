// Directory search: "Near me" asks for the position only when the officer taps the button,
// then submits it with the search form (lat/lon). Without JavaScript the button stays hidden;
// the "Near a place" field and the km select work in both modes.
"use strict";

(() => {
  // Only with JavaScript (htmx) do results follow the typing; the page renders the hint hidden.
  const hint = document.getElementById("dir-q-hint");
  if (hint && self.htmx) hint.hidden = false;
})();

(() => {
  const button = document.getElementById("dir-near-button");
  if (!button || !("geolocation" in navigator)) return;
  const form = button.closest("form");
  const status = document.getElementById("dir-near-status");
  const lat = document.getElementById("dir-lat");
  const lon = document.getElementById("dir-lon");
  const place = document.getElementById("dir-place");
  button.hidden = false;
  button.addEventListener("click", () => {
    button.disabled = true;
    if (status) status.textContent = button.dataset.locating || "";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        lat.value = position.coords.latitude.toFixed(5);
        lon.value = position.coords.longitude.toFixed(5);
        if (place) place.value = "";  // the position replaces a typed place
        button.disabled = false;
        if (status) status.textContent = "";
        form.requestSubmit();
      },
      () => {
        button.disabled = false;
        if (status) status.textContent = button.dataset.denied || "";
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 },
    );
  });
})();
