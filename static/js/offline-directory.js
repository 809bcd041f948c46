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

  // The snapshot this page searches: read from IndexedDB once (not at every keystroke), so its
  // search index is built once; replaced when a newer snapshot is stored.
  let loaded = null;

  async function currentSnapshot() {
    if (!loaded) loaded = await Outbox.getKv("directory").catch(() => null);
    return loaded;
  }

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
      const fresh = { etag: response.headers.get("ETag"), version: snapshot.version,
        generatedAt: snapshot.generated_at, services: snapshot.services || [], checkedAt: Date.now() };
      await Outbox.setKv("directory", fresh);
      loaded = fresh;
    }
  }

  // --- searching it ---------------------------------------------------------------------------

  // Lower case without accents ("Sécurité" -> "securite"); plain ASCII text skips normalize().
  const fold = (text) => {
    const value = String(text || "");
    return /[^\x00-\x7f]/.test(value)
      ? value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase() : value.toLowerCase();
  };

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

  // The snapshot is searched with MiniSearch (static/vendor/minisearch.js, vendored from npm):
  // every word must match (as typed, as a prefix, or within one or two typos for long words),
  // accents folded; a word in the name counts most, then the organization, the categories,
  // the description, as the server's bm25 weights do.  An exact name comes first; ties by name.
  // One index per snapshot, built when the page is idle or at the first search.  The library
  // is loaded only when a search needs it (the service worker keeps it on the phone), not on
  // every page.
  const LIBRARY = "/static/vendor/minisearch.js";
  const BOOST = { name: 10, org: 3, cats: 2, desc: 1 };
  const MAX_WORDS = 10;
  const FEW = 5;
  const indexes = new WeakMap();

  let library = null;

  function ready() {
    if (self.MiniSearch) return Promise.resolve();
    if (!library) {
      library = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = LIBRARY;
        script.onload = () => resolve();
        script.onerror = () => { library = null; reject(new Error("search library missing")); };
        document.head.append(script);
      });
    }
    return library;
  }

  function categoryLabels() {
    const labels = {};
    document.querySelectorAll('select[name="category"] option[value]').forEach((option) => {
      if (option.value) labels[option.value] = option.textContent.trim();
    });
    return labels;
  }

  function indexFor(services) {
    let found = indexes.get(services);
    if (found) return found;
    const labels = categoryLabels();
    const index = new self.MiniSearch({
      fields: Object.keys(BOOST),
      extractField: (service, field) => field === "cats"
        ? (service.cats || []).map((c) => labels[c] || c.replace(/_/g, " ")).join(" ")
        : service[field],
      processTerm: (term) => fold(term) || null,
    });
    index.addAll(services);
    found = { index, byId: new Map(services.map((s) => [s.id, s])),
      names: new Map(services.map((s) => [s.id, fold(s.name)])) };
    indexes.set(services, found);
    return found;
  }

  // A light English stemmer for query words: plural, -ing, -ed endings off, a doubled last
  // consonant undone ("counselling" -> "counsel", "families" -> "famil"); at least 4 letters.
  function stem(word) {
    if (word.length < 6) return word;
    const root = word.replace(/(ings?|ies|ed|s)$/, "");
    const single = /([^aeiou])\1$/.test(root) ? root.slice(0, -1) : root;
    return single.length >= 4 ? single : word;
  }

  const byName = (a, b) => String(a.name).localeCompare(String(b.name), undefined,
    { sensitivity: "base" }) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  // Services matching the criteria, best first (call ready() first when there are words).
  function search(services, criteria) {
    const now = localNow();
    const passes = (s) => !((criteria.category && !(s.cats || []).includes(criteria.category))
      || (criteria.population && !(s.pops || []).includes(criteria.population))
      || (criteria.language && !(s.langs || []).includes(criteria.language))
      || (criteria.referrals && !s.ref)
      || (criteria.open && !isOpen(s.hours, now)));
    const words = (fold(criteria.q).match(/[\p{L}\p{N}_]+/gu) || []).slice(0, MAX_WORDS);
    if (!words.length) return services.filter(passes).sort(byName);
    const { index, byId, names } = indexFor(services);
    const exact = fold(criteria.q).trim();
    // A word also matches its stem as a prefix ("counselling" finds "counsellors" and
    // "counsel", as the server's stemmed index does), scored below the word itself.
    const queries = words.map((word) => {
      const root = stem(word);
      return root === word ? word
        : { combineWith: "OR", queries: [word, { queries: [root], fuzzy: false }] };
    });
    const options = {
      boost: BOOST,
      // A one-letter word is taken as typed (as on the server), longer ones as prefixes.
      prefix: (term) => term.length > 1,
      weights: { prefix: 0.375, fuzzy: 0.1 },
      filter: (hit) => passes(byId.get(hit.id)),
    };
    // Typos are looked for only when the words as typed find few services (fuzzy matching
    // costs most), and then count well below the words themselves ("mental" before "dental").
    const typos = { ...options,
      fuzzy: (term) => (term.length >= 7 ? 2 : term.length >= 5 ? 1 : false) };
    const ranked = (hits) => hits
      .map((hit) => [names.get(hit.id) === exact, hit.score, byId.get(hit.id)])
      .sort((a, b) => (b[0] - a[0]) || (b[1] - a[1]) || byName(a[2], b[2]))
      .map((row) => row[2]);
    let found = ranked(index.search({ combineWith: "AND", queries }, options));
    // While a word is being started (one or two letters), no second try: it would be slow
    // and the next keystroke narrows the search anyway.
    if (found.length >= FEW || words[words.length - 1].length < 3) return found;
    if (words.some((word) => word.length >= 5)) {
      found = ranked(index.search({ combineWith: "AND", queries }, typos));
      if (found.length >= FEW) return found;
    }
    if (words.length < 2) return found;
    // Few services have every word: the server also matches the categories' synonyms in both
    // languages, which the snapshot does not carry; services with some of the words follow.
    const seen = new Set(found.map((s) => s.id));
    return found.concat(ranked(index.search({ combineWith: "OR", queries }, options))
      .filter((s) => !seen.has(s.id)));
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

  const labels = {};

  function optionLabel(name, value) {
    const key = name + ":" + value;
    if (!(key in labels)) {
      const option = form && form.querySelector(`select[name="${name}"] option[value="${CSS.escape(value)}"]`);
      labels[key] = option ? option.textContent.trim() : value;
    }
    return labels[key];
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

  let rendered = "";
  const FIRST_CARDS = 20;

  async function renderOffline() {
    if (!form || !results) return;
    const [snapshot] = await Promise.all([currentSnapshot(), ready()]);
    const wrap = el("div", "pwa-offline-directory");
    if (!snapshot) {
      wrap.append(el("p", "notice pwa-directory-note", t("directory_missing")));
      results.replaceChildren(wrap);
      return;
    }
    const when = new Date(snapshot.generatedAt || snapshot.checkedAt)
      .toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
    wrap.append(el("p", "notice pwa-directory-note", t("directory_as_of", { time: when })));
    const criteria = criteriaFrom(form);
    const now = localNow();
    // A keystroke fires both the input event and htmx's search request: render once.
    const key = JSON.stringify([snapshot.version, criteria, now]);
    if (key === rendered && results.querySelector(".pwa-offline-directory")) return;
    rendered = key;
    const found = search(snapshot.services, criteria);
    if (!found.length) {
      wrap.append(el("p", "dir-none", t("directory_none")));
    } else {
      wrap.append(el("p", "muted", t("results", { n: found.length })));
      const list = el("ul", "dir-list");
      found.slice(0, FIRST_CARDS).forEach((service) => list.append(card(service, now)));
      wrap.append(list);
      // The first screenful at once; the rest (up to 100) just after, unless typing went on.
      if (found.length > FIRST_CARDS) {
        setTimeout(() => {
          if (rendered !== key) return;
          const more = document.createDocumentFragment();
          found.slice(FIRST_CARDS, 100).forEach((service) => more.append(card(service, now)));
          list.append(more);
        }, 0);
      }
    }
    results.replaceChildren(wrap);
    // The index is built while the officer looks at the page, not at the first keystroke.
    (self.requestIdleCallback || ((fn) => setTimeout(fn, 200)))(() => indexFor(snapshot.services));
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
  self.FieldappDirectory = { search, ready, isOpen, refreshSnapshot, renderOffline };
})();
