/* SILABU service worker: static files cache-first, pages network-first with the entry page kept for offline use.
   Served by /sw.js, which fills in the version (a hash of these assets) and the URLs below. */
"use strict";
const VERSION = "__VERSION__";
const ASSETS = ["__ASSETS__"];
const SHELLS = ["__SHELLS__"];
const STATIC_CACHE = "silabu-static-" + VERSION;
const PAGE_CACHE = "silabu-pages";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE)
    .then((cache) => cache.addAll(ASSETS))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("silabu-static-") && k !== STATIC_CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

const OFFLINE_PAGE = '<!doctype html><html lang="id"><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Luring · SILABU</title>' +
  '<body><h1>Anda sedang luring</h1><p>Halaman ini belum tersimpan di perangkat. Buka <a href="' + SHELLS[1] +
  '">Catat kegiatan</a> untuk mencatat secara luring; entri dikirim otomatis saat online.</p></body></html>';

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticCacheFirst(req, url));
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(pageNetworkFirst(req, url));
  }
});

// Static URLs carry the file's hash (?v=...): a hit is always the right version. A new version replaces the old
// ones of the same file; offline, a page kept from an earlier version still gets the file it names, newer or not.
async function staticCacheFirst(req, url) {
  const cache = await caches.open(STATIC_CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  try {
    const resp = await fetch(req);
    if (resp.ok) {
      const copy = resp.clone();
      const stale = url.searchParams.has("v") ? cache.delete(url.pathname, {ignoreSearch: true}) : Promise.resolve();
      stale.then(() => cache.put(req, copy));
    }
    return resp;
  } catch (err) {
    const other = await caches.match(url.pathname, {ignoreSearch: true});
    if (other) return other;
    throw err;
  }
}

async function pageNetworkFirst(req, url) {
  const shell = SHELLS.includes(url.pathname);
  try {
    const resp = await fetch(req);
    // Only the page shells, only real pages (not a redirect to the login page).
    if (shell && resp.ok && !resp.redirected && url.search === "") {
      const copy = resp.clone();
      caches.open(PAGE_CACHE).then((cache) => cache.put(url.pathname, copy));
    }
    return resp;
  } catch (err) {
    const cache = await caches.open(PAGE_CACHE);
    const hit = await cache.match(url.pathname);
    return hit || new Response(OFFLINE_PAGE, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
  }
}
