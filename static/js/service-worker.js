// Piglist's service worker: makes the site installable and shows a page of its own when the
// network is gone. It keeps static files (styles, scripts, icons) and the offline page, and
// nothing else: never a page or an API answer, which differ from one member to another (the
// surprise rule) and go stale by the minute (an old "available" could have someone buy twice).
//
// Static files whose name carries a fingerprint never change, so they are served from the cache
// first; the others are fetched first and kept for when the network is gone. The site serves this
// script with the fingerprinted addresses in PRECACHE (piglist/webapp/routes.py), the ones the
// offline page names.

const CACHE = "piglist-static-v1";
const OFFLINE = "/offline";
const PRECACHE = [OFFLINE, "/static/css/app.css", "/static/img/piglist.svg"];
// Flask-Static-Digest's names (piglist/web/assets.py): app-<32 hex digits of md5>.css.
const FINGERPRINTED = /-[0-9a-f]{32}\.[a-z0-9]+$/i;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function fromNetworkKeeping(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

async function fromCacheFirst(request) {
  const kept = await caches.match(request);
  return kept ?? fromNetworkKeeping(request);
}

async function pageOrOffline(request) {
  try {
    return await fetch(request);
  } catch {
    return (await caches.match(OFFLINE)) ?? Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(pageOrOffline(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(FINGERPRINTED.test(url.pathname + url.search) ? fromCacheFirst(request) : fromNetworkKeeping(request));
  }
  // Everything else (API answers, frames, pictures, the live socket) goes to the network untouched.
});
