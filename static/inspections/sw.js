/* Service worker of the inspection phone flow (served at /inspections/sw.js, scope /inspections/).
 * The round page asks it to keep the page and its static files; requests go to the network first
 * and fall back to that copy when there is no connection. Answers are not handled here: the page
 * keeps them and sends them itself. */
"use strict";
var CACHE = "opsdesk-inspections-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) { return; }
  var urls = data.urls.filter(function (u) { return typeof u === "string" && u.charAt(0) === "/"; });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (u) {
      return fetch(u, { credentials: "same-origin" }).then(function (resp) {
        if (resp.ok) { return cache.put(u, resp); }
      }).catch(function () {});
    }));
  }).then(function () {
    if (event.source) { event.source.postMessage({ type: "cached" }); }
  }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (!(url.pathname.indexOf("/static/") === 0 || /^\/inspections\/rounds\/\d+\/do\/$/.test(url.pathname))) { return; }
  event.respondWith(fetch(req).then(function (resp) {
    if (resp.ok) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return resp;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  }));
});
