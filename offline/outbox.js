// fieldapp outbox: records made on the phone wait in IndexedDB until the server has them.
// Shared by the pages and the service worker (no DOM in here).  One entry per form submission,
// keyed by the client UUID of its main record; an entry may carry several records (a contact
// and the new person it names).  An entry leaves the phone only once the server answered
// "created" or "unchanged" for every one of its records.
"use strict";

(function (global) {
  const DB_NAME = "fieldapp";
  const DB_VERSION = 1;
  const OUTBOX = "outbox";
  const KV = "kv";
  const LOCK = "fieldapp-outbox";
  // Answers that say the request itself is wrong (malformed, too large): the chunk is split
  // until the one entry at fault is found, and only it needs attention.  Every other failure
  // (5xx, 429, 507, a network error, a timeout) is the server's or the network's: the entries
  // stay waiting and are sent again after a backoff, however many times it takes.
  const REQUEST_WRONG = new Set([400, 413]);
  const BACKOFF_BASE = 2000; // ms (the pages pass the server's PWA_BACKOFF_BASE_MS)
  const MAX_DELAY = 5 * 60 * 1000;
  const MAX_RETRY_AFTER = 60 * 60 * 1000;
  const BATCH_KEYS = ["people", "contacts", "referrals"];
  const RECEIPTS = 10;
  const CHUNK = 200; // entries per request (the server takes up to 1000 records)
  const USER_CACHE_PREFIX = "fieldapp-user-"; // the service worker's per-user page caches
  const LOGIN_PATH = "/login";

  // --- IndexedDB, opened per operation and closed at once (so logout can delete it) -------

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "id" });
        if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close();
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("IndexedDB blocked"));
    });
  }

  async function withStore(name, mode, work) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(name, mode);
        let result;
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("aborted"));
        const request = work(tx.objectStore(name));
        if (request) request.onsuccess = () => { result = request.result; };
      });
    } finally {
      db.close();
    }
  }

  const all = () => withStore(OUTBOX, "readonly", (s) => s.getAll());
  const put = (entry) => withStore(OUTBOX, "readwrite", (s) => s.put(entry));
  const remove = (id) => withStore(OUTBOX, "readwrite", (s) => s.delete(id));
  const getKv = (key) => withStore(KV, "readonly", (s) => s.get(key));
  const setKv = (key, value) => withStore(KV, "readwrite", (s) => s.put(value, key));

  async function entriesFor(userKey) {
    const entries = await all();
    return entries.filter((e) => e.userKey === userKey).sort((a, b) => a.createdAt - b.createdAt);
  }

  // --- adding ---------------------------------------------------------------------------------

  /** Queue one submission: records is {people: [...], contacts: [...], referrals: [...]}. */
  async function add(entry) {
    const now = Date.now();
    const stored = Object.assign({ createdAt: now, attempts: 0, state: "waiting", message: "" },
      entry);
    await put(stored);
    notify();
    requestBackgroundSync();
    return stored;
  }

  function requestBackgroundSync() {
    if (!global.navigator || !navigator.serviceWorker) return;
    const registration = global.registration || null; // inside the service worker
    const ready = registration ? Promise.resolve(registration) : navigator.serviceWorker.ready;
    ready.then((reg) => reg.sync && reg.sync.register(LOCK)).catch(() => {});
  }

  // --- sending --------------------------------------------------------------------------------

  let sending = null; // the sync running in this context, if any

  /** Send what is due.  Resolves to {state, sent, left, status, message}.
   *  With {ifIdle: true} (the pages), a sync already running elsewhere (the service worker's
   *  Background Sync, another tab) is not doubled: the answer is {state: "busy"}. */
  function sync(options) {
    if (sending) return sending;
    const opts = options || {};
    const run = (lock) => (lock === null ? { state: "busy" } : syncOnce(opts));
    const locked = global.navigator && navigator.locks
      ? navigator.locks.request(LOCK, { ifAvailable: Boolean(opts.ifIdle) }, run) : run();
    sending = locked.finally(() => { sending = null; notify(); });
    return sending;
  }

  // A request on a failing network must not hold the outbox lock for ever.
  const timeout = (ms) => (typeof AbortSignal !== "undefined" && AbortSignal.timeout
    ? AbortSignal.timeout(ms) : undefined);

  async function freshToken() {
    const response = await fetch("/api/csrf", { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json" }, signal: timeout(15000) });
    if (response.status === 401 || response.redirected) return { login: true };
    if (!response.ok) return { status: response.status, retryAfter: retryAfter(response) };
    const body = await response.json();
    return { token: body.csrf_token, userKey: response.headers.get("X-Fieldapp-User") };
  }

  async function syncOnce() {
    // A Retry-After holds for every sender on this phone (pages, the service worker).
    const retryAt = Number(await getKv("retryAt").catch(() => 0)) || 0;
    const wait = retryAt - Date.now();
    if (wait > 0 && wait <= MAX_RETRY_AFTER) return { state: "failed", retryAfter: wait };
    let session;
    try {
      session = await freshToken();
    } catch (error) {
      return { state: "offline" };
    }
    if (session.login) {
      await forgetSession();
      return { state: "login" };
    }
    if (!session.token) return serverFault([], session.status, "", session.retryAfter);
    // Only this session's user's records: another user's stay queued for their next login.
    const entries = await entriesFor(session.userKey);
    if (!entries.length) return { state: "empty", sent: 0, left: 0 };
    // Oldest first, in chunks the server accepts (a referral never precedes its contact).
    let sent = 0;
    let left = 0;
    let clockOffset; // the server's clock minus the phone's, in seconds
    for (let start = 0; start < entries.length; start += CHUNK) {
      const result = await sendChunk(entries.slice(start, start + CHUNK), session.token);
      if (result.state === "login") await forgetSession();
      if (result.state !== "done") {
        return Object.assign(result, { sent: sent + (result.sent || 0),
          left: left + (result.left || 0) });
      }
      sent += result.sent;
      left += result.left;
      if (result.clockOffset !== undefined) clockOffset = result.clockOffset;
    }
    await setKv("lastSync", Date.now());
    return { state: left ? "attention" : "sent", sent, left, clockOffset };
  }

  async function sendChunk(entries, token) {
    const batch = { people: [], contacts: [], referrals: [] };
    for (const entry of entries) {
      for (const key of BATCH_KEYS) {
        for (const record of (entry.records[key] || [])) batch[key].push(record);
      }
    }
    let response;
    try {
      response = await fetch("/api/sync", {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token,
          Accept: "application/json" },
        // The phone's clock as it sends: the server corrects the records' times by its offset.
        body: JSON.stringify(Object.assign({ device_now: new Date().toISOString() }, batch)),
        signal: timeout(60000),
      });
    } catch (error) {
      return { state: "offline" };
    }
    if (response.status === 401) return { state: "login" };
    if (!response.ok) {
      let message = "";
      try { message = (await response.json()).error || ""; } catch (e) { /* not JSON */ }
      if (!REQUEST_WRONG.has(response.status)) {
        return serverFault(entries, response.status, message, retryAfter(response));
      }
      if (entries.length > 1) return splitAndSend(entries, token);
      return refused(entries[0], response.status, message);
    }
    let answer;
    try {
      answer = await response.json();
    } catch (error) {  // a proxy's page, a cut-off answer: the server's fault, not the records'
      return serverFault(entries, response.status, "", null);
    }
    if (typeof answer.clock_offset_seconds === "number") {
      await setKv("clockOffset", { seconds: answer.clock_offset_seconds, at: Date.now() });
    }
    const byId = {};
    for (const key of BATCH_KEYS) {
      for (const result of (answer.results[key] || [])) byId[key + ":" + result.id] = result;
    }
    let sent = 0;
    let left = 0;
    const receipts = [];
    for (const entry of entries) {
      const problems = [];
      for (const key of BATCH_KEYS) {
        for (const record of (entry.records[key] || [])) {
          const result = byId[key + ":" + record.id];
          if (!result) problems.push({ status: "missing" });
          else if (result.status !== "created" && result.status !== "unchanged") problems.push(result);
        }
      }
      if (!problems.length) {
        await remove(entry.id);
        receipts.push({ id: entry.id, kind: entry.kind, userKey: entry.userKey,
          createdAt: entry.createdAt, sentAt: Date.now() });
        sent += 1;
      } else {
        left += 1;
        entry.attempts += 1;
        entry.state = "attention"; // the server refused it: retrying as is will not help
        entry.status = problems[0].status;
        entry.message = describe(problems[0]);
        await put(entry);
      }
    }
    if (receipts.length) {
      // The last few sent records, so the officer sees them leave the phone (ids only).
      const kept = ((await getKv("receipts")) || []).concat(receipts).slice(-RECEIPTS);
      await setKv("receipts", kept);
    }
    return { state: "done", sent, left, clockOffset: answer.clock_offset_seconds };
  }

  /** Halves of a chunk the server found wrong as a whole, in order (a contact still goes
   *  before the referral that names it), so that only the entry at fault is held back. */
  async function splitAndSend(entries, token) {
    const half = Math.ceil(entries.length / 2);
    let sent = 0;
    let left = 0;
    let clockOffset;
    for (const part of [entries.slice(0, half), entries.slice(half)]) {
      const result = await sendChunk(part, token);
      if (result.state !== "done") {
        return Object.assign(result, { sent: sent + (result.sent || 0), left });
      }
      sent += result.sent;
      left += result.left;
      if (result.clockOffset !== undefined) clockOffset = result.clockOffset;
    }
    return { state: "done", sent, left, clockOffset };
  }

  async function refused(entry, status, message) {
    entry.attempts += 1;
    entry.lastStatus = status;
    entry.state = "attention";
    entry.status = "refused";
    entry.message = message || "HTTP " + status;
    await put(entry);
    return { state: "done", sent: 0, left: 1 };
  }

  function describe(result) {
    const errors = result.errors || {};
    return Object.keys(errors).map((field) => errors[field]).join(" ");
  }

  /** The server (or something on the way) failed: the entries stay as they are, waiting, and
   *  the caller backs off (nextDelay) and tries again; nothing is given up. */
  async function serverFault(entries, status, message, retryAfterMs) {
    for (const entry of entries) {
      entry.attempts += 1;
      entry.lastStatus = status;
      await put(entry);
    }
    if (retryAfterMs) await setKv("retryAt", Date.now() + Math.min(retryAfterMs, MAX_RETRY_AFTER));
    return { state: "failed", status, message, retryAfter: retryAfterMs };
  }

  /** The server's Retry-After (seconds, or an HTTP date) in ms, or null. */
  function retryAfter(response) {
    const value = response.headers.get("Retry-After");
    if (!value) return null;
    const seconds = Number(value);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
    return Number.isFinite(ms) && ms > 0 ? ms : null;
  }

  /** How long to wait after `failures` failed attempts in a row: doubling from `baseMs`,
   *  capped at MAX_DELAY, with jitter (between half and all of that ceiling) so the phones a
   *  busy server turned away do not all come back at the same moment; and never sooner than
   *  the server's Retry-After (ms), itself spread over a fifth more. */
  function nextDelay(failures, retryAfterMs, baseMs) {
    const base = baseMs > 0 ? baseMs : BACKOFF_BASE;
    const ceiling = Math.min(MAX_DELAY, base * 2 ** Math.max(0, failures - 1));
    const backoff = ceiling / 2 + Math.random() * ceiling / 2;
    if (!(retryAfterMs > 0)) return backoff;
    const asked = Math.min(retryAfterMs, MAX_RETRY_AFTER);
    return Math.max(backoff, asked + Math.random() * asked / 5);
  }

  // --- clearing (logout, or a session the server ended) ---------------------------------------

  /** Remove entries the officer chose to give up; waits for a running sync, which would
   *  otherwise write back an entry it had read before. */
  async function discard(ids) {
    const run = async () => { for (const id of ids) await remove(id); };
    await (global.navigator && navigator.locks ? navigator.locks.request(LOCK, run) : run());
    notify();
  }

  function deleteDatabase() {
    return new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
  }

  async function databaseExists() {
    // (Opening the database to look inside would create it on a phone that has none.)
    if (!indexedDB.databases) return true;
    return (await indexedDB.databases()).some((d) => d.name === DB_NAME);
  }

  /** The one way user data leaves the phone.  At logout: every cache and the database.  When
   *  the server ended the session ({sessionEnded: true}): the user's cached pages, and the
   *  database too unless it still holds records not sent, which wait for the next login of the
   *  same user (as at logout, queued records are never dropped silently); the receipts go. */
  async function clearDevice(options) {
    const sessionEnded = Boolean(options && options.sessionEnded);
    if (typeof caches !== "undefined") {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => !sessionEnded || n.startsWith(USER_CACHE_PREFIX))
        .map((n) => caches.delete(n)));
    }
    if (sessionEnded && await databaseExists() && (await all()).length) {
      await withStore(KV, "readwrite", (s) => s.delete("receipts"));
    } else {
      await deleteDatabase();
    }
  }

  /** Whether a response says the session has ended: a 401, or the login page (reached by a
   *  redirect, which fetch follows silently, or asked for: it shows to nobody logged in). */
  function showsSessionEnded(response) {
    if (!response || response.status === 401) return Boolean(response);
    if (!response.url) return false;
    const path = new URL(response.url).pathname;
    return path === LOGIN_PATH && (response.redirected || !response.headers.get("X-Fieldapp-User"));
  }

  const forgetSession = () => clearDevice({ sessionEnded: true }).catch(() => {});

  // --- from a submitted form to records (the pages and the service worker both do this) ----

  // Forms whose records go through the outbox: marked data-outbox, or known by their action.
  const OUTBOX_ACTIONS = { "/contacts/new": "contacts", "/referrals/new": "referrals" };
  // Referrals still travel as named fields (the referrals area's sync parses them so).
  const ARRAYS = new Set(["shared"]);
  const NUMBERS = new Set(["person_birth_year"]);
  const REFERRAL_FIELDS = ["service_id", "contact_id", "person_id", "consent", "consent_reason",
    "shared", "urgency", "handoff_note", "preferred_contact", "person_name", "person_phone",
    "person_birth_year"];
  // Not part of a record: the page's token, and the time the phone resolves itself.
  const NOT_SENT = new Set(["csrf_token", "id", "occurred_at", "occurred_local"]);

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function fields(entries) {
    const data = {};
    for (const [name, raw] of entries) {
      if (name === "csrf_token" || typeof raw !== "string") continue;
      const value = raw.trim();
      if (ARRAYS.has(name) || name in data) {
        data[name] = [].concat(data[name] === undefined ? [] : data[name], value === "" ? [] : [value]);
      } else {
        data[name] = value;
      }
    }
    for (const name of ARRAYS) if (typeof data[name] === "string") data[name] = data[name] ? [data[name]] : [];
    return data;
  }

  function clean(value, name) {
    if (value === undefined || value === "") return null;
    if (NUMBERS.has(name)) return Number.isFinite(Number(value)) ? Number(value) : value;
    return value;
  }

  function deviceTime(value) {
    // A typed date-time is the phone's local time; otherwise the moment of saving (a page
    // opened from the phone's cache carries the time it was cached, not now).
    const date = value ? new Date(value) : new Date();
    return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
  }

  /** [name, value] pairs of a submitted form -> {id, records, personId, then}.
   *  A contact is sent as the very entries the online form posts (the server parses both
   *  with the same form class: fieldapp/contacts/forms.py), with the time resolved here. */
  function recordsFromEntries(kind, entries) {
    const data = fields(entries);
    const id = data.id || uuid();
    const records = { people: [], contacts: [], referrals: [] };
    if (kind === "referrals") {
      const referral = { id, created_at: new Date().toISOString() };
      for (const name of REFERRAL_FIELDS) if (name in data) referral[name] = clean(data[name], name);
      referral.shared = data.shared || [];
      records.referrals.push(referral);
      return { id, records, personId: referral.person_id, then: data.then };
    }
    const sent = entries.filter(([name, value]) => typeof value === "string" && !NOT_SENT.has(name));
    sent.push(["occurred_at", deviceTime(data.occurred_local)]);
    records.contacts.push({ id, entries: sent, saved_at: new Date().toISOString() });
    // The person the referral form opens with: the one typed here, else the one chosen.
    const typed = data.new_alias && data.is_group !== "1";
    return { id, records, personId: (typed ? data.new_person_id : data.person_id) || null,
      then: data.then, mentalHealth: data.kind === "mental_health" };
  }

  // --- change notification (pages listen to update their sync bar) ----------------------------

  const listeners = [];
  function notify() {
    for (const listener of listeners) {
      try { listener(); } catch (e) { /* a listener's bug must not stop the outbox */ }
    }
    if (typeof BroadcastChannel !== "undefined") {
      try {
        const channel = new BroadcastChannel(LOCK);
        channel.postMessage("changed");
        channel.close();
      } catch (e) { /* no channel: the page refreshes on its own triggers */ }
    }
  }
  function onChange(listener) { listeners.push(listener); }

  global.FieldappOutbox = {
    add, sync, entriesFor, discard, deleteDatabase, clearDevice, showsSessionEnded,
    forgetSession, onChange, getKv, setKv, notify,
    requestBackgroundSync, recordsFromEntries, uuid, nextDelay, OUTBOX_ACTIONS, DB_NAME, LOCK,
    MAX_DELAY,
  };
})(self);
