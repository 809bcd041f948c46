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

  // The snapshot this page searches: read from IndexedDB once (not at every keystroke);
  // replaced when a newer snapshot is stored.  (The search worker reads its own copy.)
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

  let clock = null; // one formatter (making one costs more than a search)
  function localNow() {
    const parts = {};
    clock = clock || new Intl.DateTimeFormat("en-GB", { timeZone: timezone, weekday: "short",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    clock.formatToParts(new Date())
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

  // Words are searched by a dedicated worker (offline-directory-worker.js: MiniSearch, vendored
  // from npm, over the stored snapshot), so neither building the index nor searching it holds
  // up the page; the page filters, asks, and draws the cards.  Every prefix, typo and ranking
  // rule is in the worker's file.
  const WORKER = "/static/js/offline-directory-worker.js";
  // What the worker's kept index is for ({version, labelsKey}; written by the worker beside it).
  const KEPT_FOR = "directory-index-for";
  let worker = null;
  let asked = 0;
  const waiting = new Map(); // seq -> resolve
  let allowedSent; // the `allowed` key the worker last had (undefined: none yet)
  let labelsSent = null; // the worker that has the category labels
  const stats = { workerMs: 0 }; // the worker's time spent on searches (bench/offline_search.py)

  function searcher() {
    if (!worker) {
      const started = new Worker(WORKER);
      started.addEventListener("message", (event) => {
        const answer = event.data || {};
        stats.workerMs += answer.ms || 0;
      if (answer.index) stats.index = answer.index;
        const resolve = waiting.get(answer.seq);
        if (!resolve) return;
        waiting.delete(answer.seq);
        resolve(answer);
      });
      started.addEventListener("error", () => {
        // A worker that failed (its file missing, say) answers nothing: no results rather
        // than a hang, and the next search starts a new one.
        started.terminate();
        if (worker === started) worker = null;
        waiting.forEach((resolve) => resolve({ ids: [], total: 0, error: "worker" }));
        waiting.clear();
        allowedSent = undefined;
      });
      worker = started;
    }
    return worker;
  }

  function ask(message) {
    asked += 1;
    const seq = asked;
    const started = searcher();
    // The worker indexes the categories with this page's labels (sent to each worker once).
    const labels = labelsSent === started ? undefined : labelsOfCategories();
    labelsSent = started;
    return new Promise((resolve) => {
      waiting.set(seq, resolve);
      started.postMessage({ labels, ...message, seq });
    });
  }

  // The category labels of the page's search form, indexed with the services' categories.
  let categoryLabels = null;
  function labelsOfCategories() {
    if (!categoryLabels) {
      categoryLabels = {};
      document.querySelectorAll('select[name="category"] option[value]').forEach((option) => {
        if (option.value) categoryLabels[option.value] = option.textContent.trim();
      });
    }
    return categoryLabels;
  }

  // Per services array: by id, the order by name (case and accents ignored, then id: made
  // when a listing without words first needs it), the ids the filters allowed last.
  const prepared = new WeakMap();
  function preparedFor(services) {
    let found = prepared.get(services);
    if (!found) {
      let sorted = null;
      found = { byId: new Map(services.map((s) => [s.id, s])),
        byName: () => {
          if (!sorted) {
            const collator = new Intl.Collator(undefined, { sensitivity: "base" });
            sorted = services.slice().sort((a, b) => collator.compare(String(a.name),
              String(b.name)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          }
          return sorted;
        },
        allowed: { key: null, ids: null }, version: undefined };
      prepared.set(services, found);
    }
    return found;
  }

  function passesFor(criteria, now) {
    return (s) => !((criteria.category && !(s.cats || []).includes(criteria.category))
      || (criteria.population && !(s.pops || []).includes(criteria.population))
      || (criteria.language && !(s.langs || []).includes(criteria.language))
      || (criteria.referrals && !s.ref)
      || (criteria.open && !isOpen(s.hours, now)));
  }

  const hasWords = (q) => /[\p{L}\p{N}_]/u.test(String(q || ""));

  // Services matching the criteria, best first: at once (an array) when there are no words,
  // else a promise of them from the worker.  `limit`: at most that many (all by default).
  function search(services, criteria, limit) {
    const now = localNow();
    const passes = passesFor(criteria, now);
    const prep = preparedFor(services);
    const { byId, byName, allowed } = prep;
    if (!hasWords(criteria.q)) {
      const listed = byName().filter(passes);
      const found = limit ? listed.slice(0, limit) : listed;
      found.total = listed.length;
      return found;
    }
    // The services the filters allow, sent to the worker only when they change.
    const filtered = criteria.category || criteria.population || criteria.language
      || criteria.referrals || criteria.open;
    const key = filtered ? JSON.stringify([criteria.category, criteria.population,
      criteria.language, criteria.referrals, criteria.open && now]) : "";
    if (allowed.key !== key) {
      allowed.key = key;
      allowed.ids = filtered ? services.filter(passes).map((s) => s.id) : null;
    }
    const message = { type: "search", version: prep.version, q: criteria.q,
      limit: limit || 0 };
    const sentKey = prep.version + "\n" + key;
    if (allowedSent !== sentKey) {
      message.allowed = allowed.ids;
      allowedSent = sentKey;
    }
    return ask(message).then((answer) => {
      const found = (answer.ids || []).map((id) => byId.get(id)).filter(Boolean);
      found.total = answer.total || 0;
      found.version = answer.version;
      return found;
    });
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

  const FIRST_CARDS = 10;
  const MAX_CARDS = 100;
  const IDLE_CARDS = 5;
  let rendered = ""; // the criteria (and snapshot, and minute) the results on screen are for
  let view = null; // the offline results' elements, kept and refilled at every keystroke
  let drawn = 0;
  // Cards drawn for this snapshot and minute, by service id: moved back, not rebuilt.
  let cards = { key: "", byId: new Map() };
  const indexed = new Set(); // snapshot versions the worker was asked to index

  function viewFor(snapshot) {
    if (!view || !results.contains(view.wrap)) {
      const wrap = el("div", "pwa-offline-directory");
      view = { wrap, note: el("p", "notice pwa-directory-note"), count: el("p", "muted"),
        none: el("p", "dir-none", t("directory_none")), list: el("ul", "dir-list"), when: "" };
      wrap.append(view.note);
      results.replaceChildren(wrap);
    }
    const when = snapshot.generatedAt || snapshot.checkedAt;
    if (view.when !== when) {
      view.when = when;
      view.note.textContent = t("directory_as_of", { time: new Date(when).toLocaleString(
        document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" }) });
    }
    return view;
  }

  function cardFor(service, now, key) {
    if (cards.key !== key || cards.byId.size > 1000) cards = { key, byId: new Map() };
    let node = cards.byId.get(service.id);
    if (!node) {
      node = card(service, now);
      cards.byId.set(service.id, node);
    }
    return node;
  }

  const idle = self.requestIdleCallback || ((fn) => setTimeout(fn, 0));

  // The results drawn: the cards already in the list that stay in place are left alone (a
  // keystroke often keeps the first cards), the others go; the first screenful is added at
  // once, the rest (up to 100) when the page is idle, a few at a time (a keystroke never waits
  // long behind them), unless other results came meanwhile.
  function draw(snapshot, found, now) {
    const shown = viewFor(snapshot);
    drawn += 1;
    const pass = drawn;
    const cardsKey = snapshot.version + " " + now.day + " " + now.time;
    if (!found.length) {
      shown.wrap.replaceChildren(shown.note, shown.none);
      return;
    }
    const count = t("results", { n: found.total });
    if (shown.count.textContent !== count) shown.count.textContent = count;
    const list = shown.list;
    const end = Math.min(found.length, MAX_CARDS);
    let same = 0;
    while (same < list.childElementCount && same < end
           && list.children[same] === cardFor(found[same], now, cardsKey)) same += 1;
    while (list.childElementCount > same) list.lastElementChild.remove();
    if (same < FIRST_CARDS) {
      list.append(...found.slice(same, FIRST_CARDS).map((s) => cardFor(s, now, cardsKey)));
    }
    if (shown.wrap.childNodes.length !== 3 || shown.wrap.lastChild !== list) {
      shown.wrap.replaceChildren(shown.note, shown.count, list);
    }
    let next = list.childElementCount;
    const more = () => {
      if (drawn !== pass) return;
      const chunk = [];
      while (next < end && chunk.length < IDLE_CARDS) {
        chunk.push(cardFor(found[next], now, cardsKey));
        next += 1;
      }
      list.append(...chunk);
      if (next < end) idle(more);
    };
    if (next < end) idle(more);
  }

  function showMissing() {
    view = null;
    rendered = "";
    const wrap = el("div", "pwa-offline-directory");
    wrap.append(el("p", "notice pwa-directory-note", t("directory_missing")));
    results.replaceChildren(wrap);
  }

  // One pass: the results for the form as it is now.  `again`: renderOffline was called
  // during the pass; another pass follows at once.
  let again = false;
  let running = null;

  async function renderOnce() {
    const snapshot = await currentSnapshot();
    if (!snapshot) {
      showMissing();
      return;
    }
    const criteria = criteriaFrom(form);
    const now = localNow();
    const key = JSON.stringify([snapshot.version, criteria, now]);
    if (key === rendered && view && results.contains(view.wrap)) return;
    preparedFor(snapshot.services).version = snapshot.version;
    const found = await search(snapshot.services, criteria, MAX_CARDS);
    // The form changed while the worker searched: this answer is not drawn, the next pass is.
    if (again && JSON.stringify(criteriaFrom(form)) !== JSON.stringify(criteria)) return;
    if (found.version !== undefined && found.version !== snapshot.version && loaded === snapshot) {
      loaded = null; // the phone stored a newer snapshot meanwhile: read it and search again
      again = true;
      return;
    }
    draw(snapshot, found, now);
    rendered = key;
    // The index is built while the officer looks at the page, not at the first keystroke.
    if (!indexed.has(snapshot.version)) {
      indexed.add(snapshot.version);
      ask({ type: "prepare", version: snapshot.version });
    }
  }

  // Online, on the directory page: when the stored snapshot has no index kept for it (and this
  // page's language), the worker builds and keeps one while the page is idle, so that the first
  // search with no signal loads it instead of building it.  The worker then stops (the page
  // searches on the server while online); a later offline search starts another, which loads it.
  async function keepIndexWhileOnline() {
    const snapshot = await currentSnapshot();
    if (!navigator.onLine || !snapshot || indexed.has(snapshot.version)) return;
    const kept = await Outbox.getKv(KEPT_FOR).catch(() => null);
    if (kept && kept.version === snapshot.version
        && kept.labelsKey === JSON.stringify(labelsOfCategories())) return;
    indexed.add(snapshot.version);
    idle(async () => {
      const answer = await ask({ type: "prepare", version: snapshot.version });
      if (navigator.onLine && waiting.size === 0 && worker) {
        worker.terminate();
        worker = null;
        labelsSent = null;
        allowedSent = undefined;
      }
      stats.keptWhileOnline = answer.version;
    });
  }

  // The offline results for the form; resolves once the screen shows them.  A keystroke
  // fires both the input event and htmx's search request: one pass, and one search in the
  // worker at a time, the last words winning.
  function renderOffline() {
    if (!form || !results) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await renderOnce();
      } while (again);
    })().finally(() => { running = null; });
    return running;
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

  refreshSnapshot(Boolean(form))
    .then(() => (form && results ? keepIndexWhileOnline() : null)).catch(() => {});
  window.addEventListener("online", () => refreshSnapshot(false).catch(() => {}));
  self.FieldappDirectory = { search, isOpen, refreshSnapshot, renderOffline,
    worker: searcher, ask, stats };
})();
