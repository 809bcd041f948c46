// Log-contact form glue: "use my location" (coordinates only when tapped, then the nearest
// known places), Enter-to-search, chips that collapse, Save's summary, templates offline.
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
    hideNearest(button.closest("form"));
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
    showNearest(button.closest("form"), position.coords.latitude, position.coords.longitude);
  }, () => { status.textContent = button.dataset.failed; },
  { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
});

function hideNearest(form) {
  const box = form && form.querySelector("#near-places");
  if (!box) return;
  const chosen = box.querySelector("input:checked");
  form.querySelectorAll(".chip[data-near-twin]").forEach((label) => {
    label.hidden = false;
    delete label.dataset.nearTwin;
    const input = label.querySelector("input");
    if (chosen && input.value === chosen.value) input.checked = true;
  });
  box.replaceChildren();
  box.hidden = true;
}

// The nearest known places, after the favourites: the server ranks them (contacts.near_places,
// the directory's own distance); with no network the phone ranks the places this (cached) page
// lists.  A place shown among the nearest leaves its place in "All schools and sites".
async function showNearest(form, lat, lon) {
  const box = form && form.querySelector("#near-places");
  if (!box) return;
  let chips = null;
  if (navigator.onLine) {
    try {
      const query = new URLSearchParams({ lat: lat.toFixed(6), lon: lon.toFixed(6) });
      const response = await fetch(box.dataset.url + "?" + query,
        { credentials: "same-origin", headers: { "HX-Request": "true" } });
      if (response.ok) {
        const found = new DOMParser().parseFromString(await response.text(), "text/html");
        chips = [...found.body.querySelectorAll("label.chip")];
      }
    } catch (e) { /* no network after all: rank on the phone */ }
  }
  if (chips === null) chips = nearestOnThePhone(form, lat, lon);
  form.querySelectorAll(".chip[data-near-twin]").forEach((label) => {
    label.hidden = false;
    delete label.dataset.nearTwin;
  });
  const chosen = form.querySelector('input[name="place_id"]:checked');
  for (const chip of chips) {
    const input = chip.querySelector("input");
    const twin = [...form.querySelectorAll('input[name="place_id"]')]
      .find((other) => other.value === input.value && !box.contains(other));
    if (twin) {
      twin.closest(".chip").hidden = true;
      twin.closest(".chip").dataset.nearTwin = "";
    }
    input.checked = !!(chosen && chosen.value === input.value);
  }
  box.replaceChildren(...chips.map((chip) => document.importNode(chip, true)));
  box.hidden = !chips.length;
}

// Offline only: rank the page's places by an equirectangular approximation (exact enough to
// order places within a city).  Online the directory's great-circle distance ranks them.
function nearestOnThePhone(form, lat, lon) {
  const offered = form.querySelectorAll(".contacts-more .chip[data-lat]");
  const scale = Math.cos(lat * Math.PI / 180);
  return [...offered].map((label) => {
    const dy = Number(label.dataset.lat) - lat;
    const dx = (Number(label.dataset.lon) - lon) * scale;
    return { label, far: dx * dx + dy * dy };
  }).sort((a, b) => a.far - b.far).slice(0, 3).map(({ label }) => {
    const chip = label.cloneNode(true);
    chip.classList.add("chip-near");
    chip.querySelector("input").checked = false;
    return chip;
  });
}

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
  const text = picked.length ? what.dataset.separator + picked.join(" · ") : "";
  if (what.textContent !== text) what.textContent = text;  // (a write lays the page out again)
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

// A template (or "repeat last contact") opened offline: the page comes from the phone's cache,
// made without it.  Fill the template in from the page's own copy of the templates, or say
// plainly that it could not be done.
(function templateOffline() {
  const island = document.getElementById("contact-templates");
  const form = document.querySelector(".contact-form");
  const note = document.getElementById("template-note");
  if (!island || !form || !note) return;
  const data = JSON.parse(island.textContent);
  const params = new URLSearchParams(location.search);
  const wanted = params.get("template");
  let message = "";
  if (wanted && data.applied !== wanted) {
    const template = data.templates[wanted];
    if (!template) {
      message = data.words.unknown;
    } else {
      for (const [name, value] of Object.entries(template.values)) {
        for (const one of Array.isArray(value) ? value : [value]) {
          const input = form.querySelector(`input[name="${CSS.escape(name)}"][value="${CSS.escape(one)}"]`);
          if (input && !input.checked) {
            input.checked = true;
            input.dispatchEvent(new Event("change", { bubbles: true }));
          }
        }
      }
      message = data.words.filled.replace("{name}", template.label);
    }
  } else if (params.get("repeat") === "last" && data.applied !== "repeat") {
    message = data.words.repeat;
  }
  if (message) {
    note.textContent = message;
    note.hidden = false;
  }
})();
