// fieldapp offline directory search, in a dedicated Web Worker (started by offline-directory.js):
// the directory snapshot the phone keeps in IndexedDB, indexed with MiniSearch once per
// snapshot, off the page's thread.  The page posts the words typed and the services its
// filters allow; the worker answers with the ids of the services found, best first.
"use strict";

// Both files are in the service worker's precache, so this works with no network.
importScripts("/static/vendor/minisearch.js", "/offline/outbox.js");

// A word in the name counts most, then the organization, the categories, the description, as
// the server's bm25 weights do.
const BOOST = { name: 10, org: 3, cats: 2, desc: 1 };
const FIELDS = Object.keys(BOOST);
const MAX_WORDS = 10;
const FEW = 5;

// Lower case without accents ("Sécurité" -> "securite"); plain ASCII text skips normalize().
const fold = (text) => {
  const value = String(text || "");
  return /[^\x00-\x7f]/.test(value)
    ? value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase() : value.toLowerCase();
};

// A light English stemmer for query words: plural, -ing, -ed endings off, a doubled last
// consonant undone ("counselling" -> "counsel", "families" -> "famil"); at least 4 letters.
function stem(word) {
  if (word.length < 6) return word;
  const root = word.replace(/(ings?|ies|ed|s)$/, "");
  const single = /([^aeiou])\1$/.test(root) ? root.slice(0, -1) : root;
  return single.length >= 4 ? single : word;
}

// --- the index: one per snapshot (and set of category labels) --------------------------------

// {version, labelsKey, index, exactNames: folded name -> Set of ids, order: id -> rank by name}
let current = null;
// The index as built last, serialized, kept beside the snapshot: loading it is several times
// faster than building it again (bench/offline_search.py), and every visit to the directory
// page starts a new worker.  Gone with the snapshot when the phone is cleared (logout).
const KEPT = "directory-index";
// What it is for, {version, labelsKey}: a small record the page reads to know, without loading
// the index, whether one is kept for its snapshot.
const KEPT_FOR = "directory-index-for";
// How the index in use came: "kept" (loaded) or "built" (bench/offline_search.py, the tests).
let came = null;

const indexOptions = (labels) => ({
  fields: FIELDS,
  extractField: (service, field) => field === "cats"
    ? (service.cats || []).map((c) => labels[c] || c.replace(/_/g, " ")).join(" ")
    : service[field],
  processTerm: (term) => fold(term) || null,
});

function ready(version, labelsKey, index, names, order) {
  // The services by their name as typed (folded), for an exact name to come first.
  const exactNames = new Map();
  names.forEach(([id, name]) => {
    if (!exactNames.has(name)) exactNames.set(name, new Set());
    exactNames.get(name).add(id);
  });
  return { version, labelsKey, index, exactNames, order: new Map(order.map((id, i) => [id, i])) };
}

// The stored snapshot indexed (and the result kept): {found, kept (to store)}.
async function build(labels, labelsKey) {
  const stored = await FieldappOutbox.getKv("directory").catch(() => null);
  const services = stored ? stored.services || [] : [];
  const version = stored ? stored.version : null;
  const index = new MiniSearch(indexOptions(labels));
  index.addAll(services);
  // Ties go by name as the page lists them (case and accents ignored), then by id.
  const collator = new Intl.Collator(undefined, { sensitivity: "base" });
  const order = services.slice().sort((a, b) => collator.compare(String(a.name), String(b.name))
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((s) => s.id);
  const names = services.map((s) => [s.id, fold(s.name)]);
  return { found: ready(version, labelsKey, index, names, order),
    kept: { version, labelsKey, index: JSON.stringify(index), names, order } };
}

// The index kept for this snapshot and these labels, loaded; null if there is none (or it
// cannot be read: it is built again).
async function load(version, labels, labelsKey) {
  const kept = await FieldappOutbox.getKv(KEPT).catch(() => null);
  if (!kept || kept.labelsKey !== labelsKey || kept.version !== version) return null;
  try {
    return ready(kept.version, labelsKey, MiniSearch.loadJSON(kept.index, indexOptions(labels)),
      kept.names, kept.order);
  } catch (error) {
    return null;
  }
}

// The index of the page's snapshot (`version`, as the page read it; undefined: the one indexed
// last, if any): built again only when the page has another version or other category labels
// (its language) and none is kept for them.
async function indexFor(version, labels, labelsKey = JSON.stringify(labels)) {
  if (current && (version === undefined || current.version === version)
      && current.labelsKey === labelsKey) return current;
  if (version === undefined) { // (asked without a snapshot: the stored one's)
    const stored = await FieldappOutbox.getKv("directory").catch(() => null);
    version = stored ? stored.version : null;
  }
  current = await load(version, labels, labelsKey);
  came = "kept";
  if (!current) {
    const { found, kept } = await build(labels, labelsKey);
    current = found;
    came = "built";
    await FieldappOutbox.setKv(KEPT, kept)
      .then(() => FieldappOutbox.setKv(KEPT_FOR, { version: kept.version, labelsKey }))
      .catch(() => {});
  }
  return current;
}

// --- searching it ---------------------------------------------------------------------------

// The services a query finds among `allowed`: [{id, score}], in no order.  MiniSearch's own
// search() makes a result object per hit (matched terms and fields, stored fields) and sorts
// them all, which was most of a two-letter word's time; only ids and scores are needed here,
// so they come from its executeQuery (MiniSearch 7.2.0, pinned in package.json), scored as
// search() scores them (times the number of query words matched).
function hitsOf(index, query, options, allowed) {
  const hits = [];
  for (const [short, { score, terms }] of index.executeQuery(query, options)) {
    const id = index._documentIds.get(short);
    if (!allowed || allowed.has(id)) hits.push({ id, score: score * (terms.length || 1) });
  }
  return hits;
}

// Hits ranked: an exact name first, then the score, then the name.  Only the first `limit`
// (0: all) are put in order, with any tied with the last of them, so that the ids are those a
// full sort would give: {ids, total}.
function ranked({ exactNames, order }, hits, exact, limit) {
  const named = exactNames.get(exact);
  const firsts = named ? hits.filter((hit) => named.has(hit.id)) : [];
  let rest = firsts.length ? hits.filter((hit) => !named.has(hit.id)) : hits;
  const room = limit ? Math.max(0, limit - firsts.length) : rest.length;
  if (room < rest.length) {
    const scores = Float64Array.from(rest, (hit) => hit.score).sort();
    const least = room ? scores[scores.length - room] : Infinity;
    rest = rest.filter((hit) => hit.score >= least);
  }
  const byScoreThenName = (a, b) => (b.score - a.score) || (order.get(a.id) - order.get(b.id));
  const ids = firsts.sort(byScoreThenName).concat(rest.sort(byScoreThenName))
    .map((hit) => hit.id);
  return { ids: limit ? ids.slice(0, limit) : ids, total: hits.length };
}

// The services with the words among `allowed` (a Set; null: all), best first: every word
// must match (as typed, as a prefix, or within one or two typos for long words): {ids, total}.
function search(found, q, allowed, limit) {
  const { index } = found;
  const words = (fold(q).match(/[\p{L}\p{N}_]+/gu) || []).slice(0, MAX_WORDS);
  if (!words.length) return { ids: [], total: 0 };
  const exact = fold(q).trim();
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
  };
  // Typos are looked for only when the words as typed find few services (fuzzy matching
  // costs most), and then count well below the words themselves ("mental" before "dental").
  const typos = { ...options,
    fuzzy: (term) => (term.length >= 7 ? 2 : term.length >= 5 ? 1 : false) };
  let hits = hitsOf(index, { combineWith: "AND", queries }, options, allowed);
  // While a word is being started (one or two letters), no second try: it would be slow
  // and the next keystroke narrows the search anyway.
  if (hits.length >= FEW || words[words.length - 1].length < 3) {
    return ranked(found, hits, exact, limit);
  }
  if (words.some((word) => word.length >= 5)) {
    hits = hitsOf(index, { combineWith: "AND", queries }, typos, allowed);
    if (hits.length >= FEW) return ranked(found, hits, exact, limit);
  }
  if (words.length < 2) return ranked(found, hits, exact, limit);
  const all = ranked(found, hits, exact, 0);
  // Few services have every word: the server also matches the categories' synonyms in both
  // languages, which the snapshot does not carry; services with some of the words follow.
  const seen = new Set(all.ids);
  const some = ranked(found, hitsOf(index, { combineWith: "OR", queries }, options, allowed)
    .filter((hit) => !seen.has(hit.id)), exact, limit ? Math.max(0, limit - all.total) : 0);
  const ids = all.ids.concat(some.ids);
  return { ids: limit ? ids.slice(0, limit) : ids, total: all.total + some.total };
}

// --- the page's messages, answered in order ---------------------------------------------------

// {type: "prepare", version, labels?}: load or build the index now (the page is idle).
// {type: "search", seq, version, q, labels?, allowed, limit}: `allowed`, the ids the page's
//   filters allow (null: all; left out: as last time); answered {seq, version, ids (at most
//   `limit`; 0: all), total, ms (the worker's time)}.
let allowed = null;
let queue = Promise.resolve();

self.addEventListener("message", (event) => {
  const data = event.data || {};
  queue = queue.then(() => answer(data)).catch((error) => {
    self.postMessage({ seq: data.seq, error: String(error && error.message || error) });
  });
});

// The category labels the page indexes the services with (sent once per worker).
let labels = {};
let labelsKey = "{}";

async function answer(data) {
  if (data.labels) {
    labels = data.labels;
    labelsKey = JSON.stringify(labels);
  }
  if (data.type === "prepare") {
    const started = performance.now();
    const found = await indexFor(data.version, labels, labelsKey);
    self.postMessage({ seq: data.seq, version: found.version, index: came,
      ms: performance.now() - started });
  } else if (data.type === "search") {
    if (data.allowed !== undefined) allowed = data.allowed ? new Set(data.allowed) : null;
    const started = performance.now();
    const found = await indexFor(data.version, labels, labelsKey);
    const { ids, total } = search(found, data.q, allowed, data.limit || 0);
    self.postMessage({ seq: data.seq, version: found.version, total, ids, index: came,
      ms: performance.now() - started });
  }
}
