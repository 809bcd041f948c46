// fieldapp offline, page side: service worker, sync bar, form interception, logout guard,
// update prompt and install hint.  Words come from the #pwa-strings JSON island.
"use strict";

(function () {
  const body = document.body;
  const userKey = body.dataset.userKey;
  const Outbox = self.FieldappOutbox;
  if (!userKey || !Outbox) return;

  const canSync = body.dataset.sync === "1";
  const island = document.getElementById("pwa-strings");
  const T = island ? JSON.parse(island.textContent) : {};
  const t = (key, values) => {
    const singular = values && values.n === 1 && T[key + "_one"];
    return (singular || T[key] || key).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  };
  const $ = (id) => document.getElementById(id);
  const BASE_DELAY = Number(body.dataset.syncBaseMs || 2000);
  const TICK = 30 * 1000;
  const CLOCK_TOLERANCE = 5 * 60; // seconds the phone's clock may be off without a word

  // --- service worker -------------------------------------------------------------------------

  let reloading = false;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((reg) => {
      if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
      reg.addEventListener("updatefound", () => {
        const worker = reg.installing;
        if (!worker) return;
        worker.addEventListener("statechange", () => {
          if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
        });
      });
    }).catch(() => {});
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloading) location.reload();
    });
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data === "outbox-changed") refresh();
    });
    navigator.serviceWorker.ready.then((reg) => {
      // The offline page and the pages on the phone follow the interface language.
      if (reg.active) reg.active.postMessage({ type: "language", lang: document.documentElement.lang });
      warmPages(reg);
    }).catch(() => {});
  }

  function offerUpdate(worker) {
    const banner = $("pwa-update");
    if (!banner) return;
    banner.hidden = false;
    $("pwa-update-reload").onclick = () => {
      reloading = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  }

  // The officer's offline pages are put in this user's cache once per half hour while online.
  function warmPages(reg) {
    if (!canSync || !navigator.onLine || !reg.active) return;
    const last = Number(sessionStorage.getItem("fieldapp-warmed") || 0);
    if (Date.now() - last < 30 * 60 * 1000) return;
    sessionStorage.setItem("fieldapp-warmed", String(Date.now()));
    reg.active.postMessage({ type: "warm", userKey,
      urls: ["/contacts/new", "/directory/", "/contacts/", "/referrals/", "/referrals/new"] });
  }

  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then((done) => done || navigator.storage.persist()).catch(() => {});
  }

  // --- install hint (once, in a browser tab) --------------------------------------------------

  let installEvent = null;
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    installEvent = event;
    const button = $("pwa-install-now");
    if (button) button.hidden = false;
  });
  (function installHint() {
    // The server renders the hint until this cookie says it was shown (so nothing appears
    // after load).  A cookie, not localStorage: the logout's Clear-Site-Data wipes storage,
    // and the hint is meant once per phone, not once per login.
    const hint = $("pwa-install");
    if (!hint || hint.hidden) return;
    const standalone = matchMedia("(display-mode: standalone)").matches || navigator.standalone;
    if (standalone || document.cookie.includes("fieldapp_install_hint=1")) {
      hint.hidden = true;  // (a page from the phone's cache, or the installed app)
      return;
    }
    document.cookie = "fieldapp_install_hint=1; max-age=31536000; path=/; SameSite=Lax";
    // Without JavaScript "Got it" posts a form that sets the same cookie; here it just hides.
    $("pwa-install-dismiss").addEventListener("submit", (event) => {
      event.preventDefault();
      hint.hidden = true;
    });
    $("pwa-install-now").onclick = () => {
      hint.hidden = true;
      if (installEvent) installEvent.prompt();
    };
  })();

  // --- sync bar -------------------------------------------------------------------------------

  let lastResult = { state: "" };
  if ($("syncbar-text")) $("syncbar-text").hidden = false;  // rendered hidden for pages without JS

  function age(ms) {
    const minutes = Math.floor((Date.now() - ms) / 60000);
    if (minutes < 1) return t("just_now");
    if (minutes < 60) return t("minutes", { n: minutes });
    if (minutes < 48 * 60) return t("hours", { n: Math.floor(minutes / 60) });
    return t("days", { n: Math.floor(minutes / 1440) });
  }

  async function refresh() {
    const bar = $("syncbar");
    if (!bar) return;
    let entries = [];
    try { entries = await Outbox.entriesFor(userKey); } catch (e) { return; }
    const attention = entries.filter((e) => e.state === "attention");
    // Every state in words and an icon (templates/pwa/_shell.html), never by colour alone, and
    // never "All sent" while the phone has no network.
    const offline = !navigator.onLine || lastResult.state === "offline";
    let text;
    let state;
    if (!entries.length) {
      state = offline ? "offline" : "sent";
      text = offline ? t("offline_empty") : t("all_sent");
    } else {
      state = attention.length ? "attention" : offline ? "offline"
        : lastResult.state === "failed" ? "failed" : "waiting";
      const parts = [];
      if (offline) parts.push(t("offline"));
      else if (lastResult.state === "failed") parts.push(t("send_failed_retry"));
      parts.push(t("waiting", { n: entries.length }), t("oldest", { age: age(entries[0].createdAt) }));
      if (attention.length) parts.push(t("attention", { n: attention.length }));
      if (lastResult.state === "login") parts.push(t("login_needed"));
      text = parts.join(" · ");
    }
    if (sending) { state = "sending"; text = t("sending") + " " + text; }
    showWaitingContacts(entries);
    // Only what changed is written: each write lays the page out again (Lighthouse's TBT).
    const set = (element, key, value) => { if (element[key] !== value) element[key] = value; };
    set(bar.dataset, "state", state);
    set(bar.dataset, "count", String(entries.length));
    set($("syncbar-text"), "textContent", text);
    set($("syncbar-send"), "hidden", !entries.length);
    let receipts = [];
    try {
      const dayAgo = Date.now() - 24 * 3600 * 1000;
      receipts = ((await Outbox.getKv("receipts")) || [])
        .filter((r) => r.userKey === userKey && r.sentAt > dayAgo).reverse();
    } catch (e) { receipts = []; }
    const details = $("syncbar-details");
    set(details, "hidden", !entries.length && !receipts.length);
    const list = $("syncbar-list");
    const when = (ms) => {
      const date = new Date(ms);
      const today = date.toDateString() === new Date().toDateString();
      return date.toLocaleString(document.documentElement.lang || undefined,
        today ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" });
    };
    const sentItems = receipts.map((receipt) => {
      // Sent: the record's own page shows what happened next (received, answered).
      const li = document.createElement("li");
      li.dataset.state = "sent";
      const link = document.createElement("a");
      link.href = (receipt.kind === "referrals" ? "/referrals/" : "/contacts/") + encodeURIComponent(receipt.id);
      link.textContent = t(receipt.kind === "referrals" ? "kind_referral" : "kind_contact") + " · "
        + when(receipt.createdAt);
      li.append(link, " · " + t("sent_at", { time: when(receipt.sentAt) }));
      const status = partnerStatus[receipt.id];
      if (status) li.append(" · " + status);
      return li;
    });
    askPartnerStatus(receipts.filter((r) => r.kind === "referrals").map((r) => r.id));
    if (!entries.length && !sentItems.length && !list.childElementCount) return;
    list.replaceChildren(...entries.map((entry) => {
      const li = document.createElement("li");
      li.dataset.id = entry.id;
      li.dataset.state = entry.state;
      const label = t(entry.kind === "referrals" ? "kind_referral" : "kind_contact");
      li.textContent = label + " · " + when(entry.createdAt) + " · " + (entry.state === "attention"
        ? t("needs_attention") + ": " + (entry.status === "conflict" ? t("conflict")
          : t("server_error", { message: entry.message || "?" }))
        : t("on_phone"));
      if (entry.state === "attention" && entry.status === "conflict") {
        // Someone compares the two versions there; once resolved, the next sync lets it go.
        const review = document.createElement("a");
        review.href = "/sync/conflicts";
        review.textContent = t("review");
        li.append(" ", review);
      }
      if (entry.state === "attention") {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link syncbar-remove";
        remove.textContent = t("remove");
        remove.addEventListener("click", () => removeEntry(entry.id));
        li.append(" ", remove);
      }
      return li;
    }), ...sentItems);
  }

  // "My contacts": the contacts still in the outbox, first, marked "waiting to send" (the list
  // page carries the labels of their codes, so this works from the phone's cache).
  function showWaitingContacts(entries) {
    const section = $("contacts-waiting");
    const island = $("contacts-waiting-words");
    if (!section || !island) return;
    const L = JSON.parse(island.textContent);
    const items = [];
    for (const entry of entries) {
      for (const record of (entry.records && entry.records.contacts) || []) {
        const data = Object.fromEntries(record.entries || []);
        const li = document.createElement("li");
        li.className = "contacts-row contacts-row-waiting";
        li.dataset.id = record.id;
        const when = document.createElement("span");
        when.className = "contacts-row-when";
        const at = Date.parse(data.occurred_at || "") || entry.createdAt;
        when.textContent = new Date(at).toLocaleString(document.documentElement.lang || undefined,
          { dateStyle: "medium", timeStyle: "short" });
        const kind = document.createElement("strong");
        kind.textContent = L.kind[data.kind] || data.kind || "";
        const place = document.createElement("span");
        place.textContent = L.place[data.place_id] || data.place_text || "";
        const outcome = document.createElement("span");
        outcome.className = "hint";
        outcome.textContent = L.outcome[data.outcome] || data.outcome || "";
        const badge = document.createElement("span");
        badge.className = "badge badge-warn";
        badge.textContent = entry.state === "attention" ? L.words.attention : L.words.waiting;
        const row = document.createElement("div");
        row.className = "contacts-row-plain";
        row.append(when, kind, place, outcome, badge);
        li.append(row);
        items.push(li);
      }
    }
    $("contacts-waiting-list").replaceChildren(...items);
    section.hidden = !items.length;
  }

  // The officer may give up a record the server refused; the server audits the choice.
  async function discardOnServer(ids) {
    try {
      const token = await fetch("/api/csrf", { credentials: "same-origin", cache: "no-store" })
        .then((r) => r.json());
      await fetch("/api/sync/discard", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token.csrf_token },
        body: JSON.stringify({ ids }) });
    } catch (e) { /* offline: the choice is still the officer's, made explicitly */ }
  }

  async function removeEntry(id) {
    if (!window.confirm(t("remove_confirm"))) return;
    await discardOnServer([id]);
    await Outbox.discard([id]);
  }

  // Sent referrals: what the partner did since (received, accepted...), asked at most once a
  // minute while the list is open.
  const partnerStatus = {};
  let askedAt = 0;
  async function askPartnerStatus(ids) {
    const details = $("syncbar-details");
    if (!ids.length || !navigator.onLine || !details || !details.open) return;
    if (Date.now() - askedAt < 60 * 1000) return;
    askedAt = Date.now();
    const query = new URLSearchParams(ids.map((id) => ["id", id]));
    try {
      const response = await fetch("/api/sync/receipts?" + query, { credentials: "same-origin" });
      if (!response.ok) return;
      const answer = await response.json();
      for (const [id, facts] of Object.entries(answer.referrals || {})) partnerStatus[id] = facts.label;
      refresh();
    } catch (e) { /* offline again */ }
  }

  // --- sync triggers and backoff --------------------------------------------------------------

  let failures = 0;
  let nextAt = 0;
  let timer = null;
  let sending = false;

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(() => trigger(false), delay);
  }

  async function trigger(force) {
    if (!canSync || sending) return;
    if (!force && Date.now() < nextAt) return schedule(nextAt - Date.now());
    let entries;
    try { entries = await Outbox.entriesFor(userKey); } catch (e) { return; }
    if (!entries.length) { failures = 0; lastResult = { state: "empty" }; refresh(); return schedule(TICK); }
    sending = true;
    refresh();
    let result;
    try {
      result = await Outbox.sync({ ifIdle: true });
    } catch (e) {
      result = { state: "failed" };
    }
    sending = false;
    if (result.state === "busy") {
      // The service worker (or another tab) is sending: look again shortly.
      schedule(BASE_DELAY);
      return result;
    }
    lastResult = result;
    if (result.state === "sent" || result.state === "empty") {
      failures = 0;
      nextAt = 0;
      schedule(TICK);
    } else if (result.state === "login") {
      failures = 0;
      schedule(TICK); // the next login's page load sends them
    } else {
      // offline, a failed request, or records the server refused: back off, with jitter, and
      // no sooner than the server asked (Retry-After).
      failures += 1;
      const delay = Outbox.nextDelay(failures, result.retryAfter, BASE_DELAY);
      nextAt = Date.now() + delay;
      schedule(delay);
    }
    if (typeof result.clockOffset === "number") showClockOffset(result.clockOffset);
    refresh();
    return result;
  }

  // --- the phone's clock ----------------------------------------------------------------------

  // Times logged on a phone whose clock is off are corrected by the server, but the officer
  // should set the clock right: say so when it is more than CLOCK_TOLERANCE off.
  function showClockOffset(seconds) {
    const banner = $("pwa-clock");
    if (!banner) return;
    const minutes = Math.round(Math.abs(seconds) / 60);
    banner.hidden = !(Math.abs(seconds) > CLOCK_TOLERANCE);
    $("pwa-clock-text").textContent = minutes >= 120
      ? t("clock_off_hours", { n: Math.round(minutes / 60) }) : t("clock_off", { n: minutes });
  }

  // The page says when the server made it.  Far from the phone's clock: either the clock is
  // off or the page came from the phone's cache, so the server is asked before saying a word.
  async function checkClock() {
    const rendered = Date.parse(body.dataset.serverNow || "");
    if (Number.isNaN(rendered) || Math.abs(rendered - Date.now()) / 1000 <= CLOCK_TOLERANCE) return;
    if (!navigator.onLine) return;
    try {
      const asked = Date.now();
      const response = await fetch("/api/csrf", { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const serverNow = Date.parse((await response.json()).server_now);
      if (!Number.isNaN(serverNow)) showClockOffset((serverNow - (asked + Date.now()) / 2) / 1000);
    } catch (e) { /* offline after all: the next sync answer tells */ }
  }
  checkClock();

  // A page opened from the phone's cache carries an old CSRF token (they last an hour): once
  // the network is back, its forms and htmx requests get a fresh one.
  const loadedAt = Date.now();
  async function refreshTokens() {
    try {
      const response = await fetch("/api/csrf", { credentials: "same-origin", cache: "no-store" });
      if (Outbox.showsSessionEnded(response)) return Outbox.forgetSession();
      if (!response.ok) return;
      const token = (await response.json()).csrf_token;
      document.querySelectorAll('input[name="csrf_token"]').forEach((input) => { input.value = token; });
      body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": token }));
    } catch (e) { /* still offline */ }
  }

  Outbox.onChange(refresh);
  if (typeof BroadcastChannel !== "undefined") {
    new BroadcastChannel(Outbox.LOCK).onmessage = () => refresh();
  }
  window.addEventListener("online", () => {
    if (lastResult.state === "offline") lastResult = { state: "" };
    nextAt = 0; trigger(true); refreshTokens(); checkClock(); });
  window.addEventListener("offline", refresh);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    trigger(false);
    if (Date.now() - loadedAt > 30 * 60 * 1000) refreshTokens();
  });
  const detailsBox = $("syncbar-details");
  if (detailsBox) detailsBox.addEventListener("toggle", () => { if (detailsBox.open) refresh(); });
  const sendButton = $("syncbar-send");
  if (sendButton) sendButton.addEventListener("click", () => { nextAt = 0; trigger(true); });
  refresh();
  trigger(true);

  // --- forms: offline or failing -> the outbox ------------------------------------------------

  const uuid = Outbox.uuid;

  function outboxKind(form) {
    if (form.dataset.outbox) return form.dataset.outbox;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return null;
    const action = new URL(form.getAttribute("action") || location.href, location.href).pathname;
    return Outbox.OUTBOX_ACTIONS[action] || null;
  }

  // The hidden time of a contact form is when the page was made, which for a page opened from
  // the phone's cache may be hours ago: unless the officer typed a time, it is the moment of saving.
  function stampSavingTime(form) {
    const typed = form.elements.namedItem("occurred_local");
    const hidden = form.elements.namedItem("occurred_at");
    if (hidden && !(typed && typed.value)) hidden.value = new Date().toISOString();
  }

  function recordsFrom(kind, form, submitter) {
    return Outbox.recordsFromEntries(kind, [...new FormData(form, submitter || undefined).entries()]);
  }

  // A page opened from the phone's cache carries the ids it had when cached: every outbox
  // form gets fresh ones, and the referral form takes its contact/person/service from the URL.
  function freshIds(form) {
    for (const name of ["id", "new_person_id"]) {
      const input = form.querySelector(`input[type=hidden][name="${name}"]`);
      if (input) input.value = uuid();
    }
  }
  document.querySelectorAll("form").forEach((form) => {
    const kind = outboxKind(form);
    if (!kind) return;
    freshIds(form);
    if (kind !== "referrals") return;
    const params = new URLSearchParams(location.search);
    for (const name of ["contact_id", "person_id"]) {
      const input = form.querySelector(`input[type=hidden][name="${name}"]`);
      if (input && !input.value && params.get(name)) input.value = params.get(name);
    }
    // The mental-health path, also for a contact queued on the phone: urgent, crisis first
    // (the page lists the crisis services last, marked, when it was kept without a contact).
    if (params.get("path") === "mental_health") {
      const path = form.querySelector('input[type=hidden][name="path"]');
      if (path) path.value = "mental_health";
      const urgent = form.querySelector('input[name="urgency"][value="urgent"]');
      if (urgent) urgent.checked = true;
      const list = form.querySelector("#service-options");
      const legend = list && list.querySelector("legend");
      if (legend) [...list.querySelectorAll("[data-crisis]")].reverse().forEach((l) => legend.after(l));
    }
    const service = params.get("service_id");
    const radio = service && form.querySelector(`input[name="service_id"][value="${CSS.escape(service)}"]`);
    if (radio && !form.querySelector('input[name="service_id"]:checked')) radio.checked = true;
  });

  function announce(form, message) {
    let notice = form.parentNode.querySelector(".pwa-saved");
    if (!notice) {
      notice = document.createElement("p");
      notice.className = "notice pwa-saved";
      notice.setAttribute("role", "status");
      form.parentNode.insertBefore(notice, form);
    }
    notice.textContent = message;
    notice.scrollIntoView({ block: "nearest" });
  }

  async function keep(form, kind, submitter) {
    const { id, records, personId, then, mentalHealth } = recordsFrom(kind, form, submitter);
    await Outbox.add({ id, kind, userKey, records });
    form.reset();
    freshIds(form); // the next record gets new ids
    form.dispatchEvent(new CustomEvent("fieldapp:queued", { bubbles: true, detail: { id, kind } }));
    announce(form, t("saved_offline"));
    refresh();
    if (kind === "contacts" && then === "refer") {
      const params = new URLSearchParams({ contact_id: id });
      if (personId) params.set("person_id", personId);
      if (mentalHealth) params.set("path", "mental_health");
      location.assign("/referrals/new?" + params);
    }
  }

  // Offline: the page keeps the record itself and stays on the form.  Online: the browser
  // posts the form as usual; if that fails (no network after all, or a server error) the
  // service worker keeps the record and brings the officer back here with ?queued=<id>.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id === "logout-form") return;
    const kind = outboxKind(form);
    if (kind === "contacts") stampSavingTime(form);
    const search = event.submitter && event.submitter.name === "step" && event.submitter.value === "find";
    if (!kind || navigator.onLine) return; // (the server validates every record when it syncs)
    if (search) { event.preventDefault(); return; } // a service search is no record to queue
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(form, kind, event.submitter);
  }, true);

  (async function queuedByServiceWorker() {
    const params = new URLSearchParams(location.search);
    const queued = params.get("queued");
    if (!queued) return;
    params.delete("queued");
    history.replaceState(null, "", location.pathname + (params.size ? "?" + params : ""));
    const entries = await Outbox.entriesFor(userKey).catch(() => []);
    const form = [...document.querySelectorAll("form")].find((f) => outboxKind(f));
    if (form && entries.some((e) => e.id === queued)) announce(form, t("saved_offline"));
  })();
  Outbox.setKv("userKey", userKey).catch(() => {});

  function htmxFailure(event) {
    const elt = event.detail && event.detail.elt;
    const form = elt && (elt.tagName === "FORM" ? elt : elt.closest("form"));
    if (!form) return;
    const kind = outboxKind(form);
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (kind && (event.type === "htmx:sendError" || status >= 500)) keep(form, kind);
  }
  document.addEventListener("htmx:sendError", htmxFailure);
  document.addEventListener("htmx:responseError", htmxFailure);
  // An htmx request answered 401 (the session ended; htmx then follows HX-Redirect).
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status === 401) Outbox.forgetSession();
  });

  // --- logout: never lose queued records silently ---------------------------------------------

  async function clearDevice() {
    try { await Outbox.clearDevice(); } catch (e) { /* no caches */ }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "clear" });
    }
    sessionStorage.removeItem("fieldapp-warmed");
  }

  const logoutForm = $("logout-form");
  if (logoutForm) {
    let confirmed = false;
    logoutForm.addEventListener("submit", async (event) => {
      if (confirmed) return;
      event.preventDefault();
      let entries = [];
      try { entries = await Outbox.entriesFor(userKey); } catch (e) { entries = []; }
      if (!entries.length) {
        await clearDevice();
        confirmed = true;
        return HTMLFormElement.prototype.submit.call(logoutForm);
      }
      askBeforeLogout(entries);
    });

    const dialog = $("pwa-logout");
    const describe = (entries) => {
      $("pwa-logout-text").textContent = t("logout_queued", { n: entries.length });
      $("pwa-logout-discard").textContent = t("discard", { n: entries.length });
    };
    const askBeforeLogout = (entries) => {
      if (!dialog) return;
      describe(entries);
      dialog.showModal();
    };
    if (dialog) {
      $("pwa-logout-stay").onclick = () => dialog.close();
      $("pwa-logout-send").onclick = async () => {
        nextAt = 0;
        await trigger(true);
        const left = await Outbox.entriesFor(userKey);
        if (!left.length) {
          dialog.close();
          await clearDevice();
          confirmed = true;
          return HTMLFormElement.prototype.submit.call(logoutForm);
        }
        describe(left);
        $("pwa-logout-text").textContent += " " + t("send_failed");
      };
      $("pwa-logout-discard").onclick = async () => {
        const entries = await Outbox.entriesFor(userKey);
        const ids = entries.map((e) => e.id);
        await discardOnServer(ids);
        await Outbox.discard(ids);
        dialog.close();
        await clearDevice();
        confirmed = true;
        HTMLFormElement.prototype.submit.call(logoutForm);
      };
    }
  }

  self.FieldappApp = { trigger, refresh, clearDevice, recordsFrom };
})();
