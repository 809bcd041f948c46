// fieldapp service worker.  One versioned cache for the shell (the server stamps VERSION from
// the content of the precached files, so any change to them is a new version); one cache per
// user for the officer's offline pages, never served to anyone else and cleared at logout.
"use strict";

const VERSION = "__VERSION__";
const SHELL = "fieldapp-shell-" + VERSION;
const USER_PREFIX = "fieldapp-user-";
const PRECACHE = __PRECACHE__;
const OFFLINE_PAGE = "/offline.html";
// Pages an officer needs on patrol: network first, this user's last copy when offline.
const OFFLINE_PAGES = [/^\/contacts\/new$/, /^\/contacts\/$/, /^\/directory\/$/,
  /^\/directory\/services\/[^/]+$/, /^\/referrals\/$/, /^\/referrals\/new$/,
  /^\/referrals\/[^/]+$/];
const HOMES = ["/contacts/new", "/directory/", "/referrals/"];

importScripts("/offline/outbox.js");

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("fieldapp-shell-") && n !== SHELL)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "skip-waiting") self.skipWaiting();
  else if (data.type === "warm") event.waitUntil(warm(data.urls || []));
  else if (data.type === "clear") event.waitUntil(FieldappOutbox.clearDevice());
  else if (data.type === "language") event.waitUntil(followLanguage(data.lang || ""));
});

// Background Sync: send the outbox even if the page was closed when the signal came back.
self.addEventListener("sync", (event) => {
  if (event.tag !== FieldappOutbox.LOCK) return;
  event.waitUntil((async () => {
    const result = await FieldappOutbox.sync();
    const clients = await self.clients.matchAll();
    clients.forEach((client) => client.postMessage("outbox-changed"));
    if (result.state === "offline" || result.state === "failed") throw new Error("retry later");
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (request.mode !== "navigate") return;
    const kind = request.method === "POST" && FieldappOutbox.OUTBOX_ACTIONS[url.pathname];
    event.respondWith(kind ? postOrKeep(request, url, kind)
      : fetch(request).then(watched, () => offlinePage()));
    return;
  }
  if (PRECACHE.includes(url.pathname) && !url.search) {
    event.respondWith(caches.match(url.pathname, { cacheName: SHELL })
      .then((hit) => hit || fetch(request)));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Other static files: the network first (never stale), this version's copy offline.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        event.waitUntil(caches.open(SHELL).then((cache) => cache.put(url.pathname, copy)));
      }
      return response;
    }).catch(async () => (await caches.match(url.pathname, { cacheName: SHELL })) || Response.error()));
    return;
  }
  if (request.mode !== "navigate") return; // API calls, htmx fragments: network only
  if (isOfflinePage(url) || url.pathname === "/") {
    event.respondWith(networkFirst(event, request, url));
  } else {
    event.respondWith(fetch(request).then(watched, () => offlinePage()));
  }
});

// A page that shows the session has ended (401, or the login page, also at the end of a
// redirect) takes the user's cached pages with it before it is shown: offline, they are gone.
async function watched(response) {
  if (FieldappOutbox.showsSessionEnded(response)) await FieldappOutbox.forgetSession();
  return response;
}

function isOfflinePage(url) {
  return OFFLINE_PAGES.some((pattern) => pattern.test(url.pathname));
}

// The pages on the phone speak the language they were fetched in.  A page tells the worker its
// language on every load; after a switch, the offline page and this user's cached pages are
// fetched again (with the session's cookie, so in the new language).
async function followLanguage(lang) {
  const cached = await caches.match(OFFLINE_PAGE, { cacheName: SHELL });
  const cachedLang = cached ? (/<html lang="([^"]*)"/.exec(await cached.text()) || [])[1] : null;
  if (!lang || cachedLang === lang) return;
  try {
    const fresh = await fetch(OFFLINE_PAGE, { credentials: "same-origin", cache: "no-store" });
    if (fresh.ok) await (await caches.open(SHELL)).put(OFFLINE_PAGE, fresh);
  } catch (error) {
    return; // offline: the next page load tries again
  }
  const names = (await caches.keys()).filter((n) => n.startsWith(USER_PREFIX));
  for (const name of names) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      try {
        const response = await watched(await fetch(request.url, { credentials: "same-origin",
          cache: "no-store" }));
        if (FieldappOutbox.showsSessionEnded(response)) return;
        if (storable(response)) await cache.put(request.url, response);
      } catch (error) {
        return; // offline again: keep what we have
      }
    }
  }
}

async function offlinePage() {
  return (await caches.match(OFFLINE_PAGE, { cacheName: SHELL })) || Response.error();
}

function storable(response) {
  return response.ok && response.status === 200 && response.type === "basic"
    && !response.redirected && response.headers.get("X-Fieldapp-User");
}

async function userCache(key) {
  // A new user on this phone: the previous user's pages go at once.
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(USER_PREFIX) && n !== USER_PREFIX + key)
    .map((n) => caches.delete(n)));
  return caches.open(USER_PREFIX + key);
}

async function networkFirst(event, request, url) {
  try {
    const response = await watched(await fetch(request));
    if (storable(response) && url.pathname !== "/") {
      const copy = response.clone();
      event.waitUntil(userCache(response.headers.get("X-Fieldapp-User"))
        .then((cache) => cache.put(url.href, copy)));
    }
    return response;
  } catch (error) {
    return (await cachedPage(url)) || offlinePage();
  }
}

async function cachedPage(url) {
  const names = (await caches.keys()).filter((n) => n.startsWith(USER_PREFIX));
  const wanted = url.pathname === "/" ? HOMES.map((p) => new URL(p, url).href) : [url.href];
  for (const name of names) {
    const cache = await caches.open(name);
    for (const href of wanted) {
      const hit = (await cache.match(href, { ignoreVary: true }))
        || (await cache.match(href, { ignoreVary: true, ignoreSearch: true }));
      if (hit) return hit;
    }
  }
  return null;
}

async function warm(urls) {
  for (const path of urls) {
    const url = new URL(path, self.location.origin);
    if (!isOfflinePage(url)) continue;
    try {
      const response = await watched(await fetch(url.href, { credentials: "same-origin",
        cache: "no-store" }));
      if (FieldappOutbox.showsSessionEnded(response)) return;
      if (storable(response)) {
        const cache = await userCache(response.headers.get("X-Fieldapp-User"));
        await cache.put(url.href, response);
      }
    } catch (error) {
      return; // offline again: keep what we have
    }
  }
}

// A contact or referral form posted while the network fails (or the server errs): keep the
// record in the outbox and go back to the form, which says it is saved on the phone.
async function postOrKeep(request, url, kind) {
  const copy = request.clone();
  try {
    const response = await fetch(request);
    if (response.status < 500) return watched(response);
  } catch (error) { /* no network: keep it below */ }
  const userKey = await FieldappOutbox.getKv("userKey").catch(() => null);
  if (!userKey) return offlinePage();
  const form = await copy.formData();
  // The referral form's "Search" is no record: it needs the server (nothing is queued).
  if (form.get("step") === "find") return offlinePage();
  const { id, records, personId, then, mentalHealth } = FieldappOutbox.recordsFromEntries(kind, [...form.entries()]);
  await FieldappOutbox.add({ id, kind, userKey, records });
  const back = new URL(url.pathname, url);
  if (kind === "contacts" && then === "refer") {
    back.pathname = "/referrals/new";
    back.searchParams.set("contact_id", id);
    if (personId) back.searchParams.set("person_id", personId);
    if (mentalHealth) back.searchParams.set("path", "mental_health");
  }
  back.searchParams.set("queued", id);
  return Response.redirect(back.href, 303);
}
