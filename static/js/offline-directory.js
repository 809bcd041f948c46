// fieldapp offline directory: keeps the directory snapshot on the phone (ETag-checked) and,
// with no network, answers the directory page's search from it with the same filters.
"use strict";

(function () {
  const body = document.body;
  const Outbox = self.FieldappOutbox;
  if (!body.dataset.userKey || !Outbox) return;
  const island = document.getElementById("pwa-strings");
  const T = island ? JSON.parse(island.textContent) : {};
  const t = (key, values) => (T[key] || key).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  const SNAPSHOT_URL = "/api/directory/snapshot";
  const CHECK_EVERY = 15 * 60 * 1000;
  const timezone = body.dataset.timezone || undefined;

  // --- keeping the snapshot -------------------------------------------------------------------

  async function refreshSnapshot(force) {
    if (!navigator.onLine) return;
    const stored = await Outbox.getKv("directory").catch(() => null);
    if (!force && stored && Date.now() - (stored.checkedAt || 0) < CHECK_EVERY) return;
    const headers = { Accept: "application/json" };
    if (stored && stored.etag) headers["If-None-Match"] = stored.etag;
    let response;
    try {
      response = await fetch(SNAPSHOT_URL, { credentials: "same-origin", headers, cache: "no-cache" });
    } catch (e) { return; }
    if (response.status === 304 && stored) {
      stored.checkedAt = Date.now();
      await Outbox.setKv("directory", stored);
    } else if (response.ok) {
      const snapshot = await response.json();
      await Outbox.setKv("directory", { etag: response.headers.get("ETag"), version: snapshot.version,
        generatedAt: snapshot.generated_at, services: snapshot.services || [], checkedAt: Date.now() });
    }
  }

  // --- searching it ---------------------------------------------------------------------------

  const fold = (text) => String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

  function localNow() {
    const parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: timezone, weekday: "short", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date())
      .forEach((p) => { parts[p.type] = p.value; });
    const day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday);
    return { day, time: parts.hour + ":" + parts.minute };
  }

  function isOpen(hours, now) {
    if (hours === "24/7") return true;
    if (!Array.isArray(hours)) return false;
    const yesterday = (now.day + 6) % 7;
    return hours.some(([day, opens, closes]) => {
      if (closes > opens || closes === opens) return day === now.day && now.time >= opens && now.time < closes;
      // Overnight: open late on `day`, until `closes` the next morning.
      return (day === now.day && now.time >= opens) || (day === yesterday && now.time < closes);
    });
  }

  // Words in the name count most, then in the categories; ties by name.
  function score(service, words) {
    const name = fold(service.name);
    const cats = fold((service.cats || []).join(" "));
    return words.reduce((sum, w) => sum + (name.includes(w) ? 2 : 0) + (cats.includes(w) ? 1 : 0), 0);
  }

  function search(services, criteria) {
    const words = fold(criteria.q).split(/\s+/).filter(Boolean);
    const now = localNow();
    return services.filter((s) => {
      const text = fold([s.name, s.org, s.desc, (s.cats || []).join(" "), s.address].join(" "));
      if (!words.every((w) => text.includes(w))) return false;
      if (criteria.category && !(s.cats || []).includes(criteria.category)) return false;
      if (criteria.population && !(s.pops || []).includes(criteria.population)) return false;
      if (criteria.language && !(s.langs || []).includes(criteria.language)) return false;
      if (criteria.referrals && !s.ref) return false;
      if (criteria.open && !isOpen(s.hours, now)) return false;
      return true;
    }).map((s) => [score(s, words), s])
      .sort((a, b) => b[0] - a[0] || String(a[1].name).localeCompare(String(b[1].name)))
      .map((pair) => pair[1]);
  }

  // --- the directory page ---------------------------------------------------------------------

  const form = document.querySelector("form.dir-search");
  const results = document.getElementById("dir-results");

  function criteriaFrom(formElement) {
    const data = new FormData(formElement);
    return { q: data.get("q") || "", category: data.get("category") || "",
      population: data.get("population") || "", language: data.get("language") || "",
      open: data.get("open") === "1", referrals: data.get("referrals") === "1" };
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function optionLabel(name, value) {
    const option = form && form.querySelector(`select[name="${name}"] option[value="${CSS.escape(value)}"]`);
    return option ? option.textContent.trim() : value;
  }

  function card(service, now) {
    const li = el("li", "dir-card");
    const h2 = el("h2", "dir-name");
    const link = el("a", "", service.name);
    link.href = "/directory/services/" + encodeURIComponent(service.id);
    h2.append(link);
    li.append(h2);
    if (service.org && service.org !== service.name) li.append(el("p", "dir-org", service.org));
    const open = service.hours === "24/7" ? t("open_24_7") : isOpen(service.hours, now) ? t("open_now")
      : (Array.isArray(service.hours) && service.hours.length ? t("closed_now") : "");
    if (open) li.append(el("p", "dir-hours", open));
    if (service.phone) {
      const actions = el("div", "dir-actions");
      const call = el("a", "button primary dir-call", t("call", { phone: service.phone }));
      call.href = "tel:" + service.phone.replace(/[^\d+]/g, "");
      actions.append(call);
      li.append(actions);
    }
    if (service.address) li.append(el("p", "dir-address", service.address));
    if ((service.langs || []).length) {
      const langs = el("p", "dir-langs");
      service.langs.forEach((code) => langs.append(el("span", "dir-lang", optionLabel("language", code))));
      li.append(langs);
    }
    if (service.ref) li.append(el("p", "dir-referrals", t("accepts_referrals")));
    return li;
  }

  async function renderOffline() {
    if (!form || !results) return;
    const snapshot = await Outbox.getKv("directory").catch(() => null);
    const wrap = el("div", "pwa-offline-directory");
    if (!snapshot) {
      wrap.append(el("p", "notice pwa-directory-note", t("directory_missing")));
      results.replaceChildren(wrap);
      return;
    }
    const when = new Date(snapshot.generatedAt || snapshot.checkedAt)
      .toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
    wrap.append(el("p", "notice pwa-directory-note", t("directory_as_of", { time: when })));
    const found = search(snapshot.services, criteriaFrom(form));
    const now = localNow();
    if (!found.length) {
      wrap.append(el("p", "dir-none", t("directory_none")));
    } else {
      wrap.append(el("p", "muted", t("results", { n: found.length })));
      const list = el("ul", "dir-list");
      found.slice(0, 100).forEach((service) => list.append(card(service, now)));
      wrap.append(list);
    }
    results.replaceChildren(wrap);
  }

  if (form && results) {
    // Offline, the page's own search requests are answered here instead of by the server.
    document.addEventListener("htmx:beforeRequest", (event) => {
      if (navigator.onLine || !form.contains(event.detail.elt)) return;
      event.preventDefault();
      renderOffline();
    });
    document.addEventListener("htmx:sendError", (event) => {
      if (form.contains(event.detail.elt)) renderOffline();
    });
    form.addEventListener("submit", (event) => {
      if (navigator.onLine) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      renderOffline();
    }, true);
    form.addEventListener("input", () => { if (!navigator.onLine) renderOffline(); });
    window.addEventListener("offline", renderOffline);
    if (!navigator.onLine) renderOffline();
  }

  refreshSnapshot(Boolean(form)).catch(() => {});
  window.addEventListener("online", () => refreshSnapshot(false).catch(() => {}));
  self.FieldappDirectory = { search, isOpen, refreshSnapshot, renderOffline };
})();
