/* The inspection round on a phone (issue #14): CI by CI, item by item, offline first.
 * Answers live in localStorage (key insp:r<round>), photos as blobs in IndexedDB, and are sent to
 * the answer API when the connection is there; each answer carries a UUID made here, so a resend
 * after a dropped connection is accepted once. A service worker (/inspections/sw.js) keeps the page
 * and its static files so a reload in a plant room without signal still opens the round. */
(function () {
  "use strict";
  var root = document.getElementById("insp");
  var dataEl = document.getElementById("round-data");
  if (!root || !dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var t = function (name) { return root.getAttribute("data-t-" + name) || name; };
  var KEY = "insp:r" + data.id;
  var state = load();
  var current = null; // the CI shown
  var syncing = false;

  function load() {
    var s = null;
    try { s = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { s = null; }
    s = s || {};
    s.answers = s.answers || {};
    s.drafts = s.drafts || {};
    (data.counted || []).forEach(function (c) {
      var k = "p:" + c.part;
      if (!s.answers[k]) { s.answers[k] = { uuid: c.uuid, part: c.part, counted: String(c.counted), sent: true }; }
    });
    (data.answered || []).forEach(function (a) {
      var k = a.ci + ":" + a.item;
      if (!s.answers[k]) {
        s.answers[k] = { uuid: a.uuid, ci: a.ci, item: a.item, passed: a.passed, reading: a.reading,
          choice: a.choice, text: a.text, note: a.note, sent: true, finding: a.finding, photo: a.photo };
      }
    });
    return s;
  }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- photos in IndexedDB ------------------------------------------------------------------
  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("opsdesk-inspections", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("photos"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function photoPut(key, blob) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("photos", "readwrite");
        tx.objectStore("photos").put(blob, key);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function photoGet(key) {
    return db().then(function (d) {
      return new Promise(function (resolve) {
        var req = d.transaction("photos").objectStore("photos").get(key);
        req.onsuccess = function () { resolve(req.result || null); };
        req.onerror = function () { resolve(null); };
      });
    });
  }

  // --- helpers ------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function itemById(id) { return data.items.filter(function (i) { return i.id === id; })[0]; }
  function outOfLimits(item, value) {
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) { return false; }
    var v = Number(value);
    return (item.min !== null && v < Number(item.min)) || (item.max !== null && v > Number(item.max));
  }
  function answeredCount(ci) {
    return data.items.filter(function (i) { return state.answers[ci.id + ":" + i.id]; }).length;
  }
  function pending() {
    return Object.keys(state.answers).filter(function (k) { return !state.answers[k].sent && !state.answers[k].error; });
  }
  function status() {
    var n = pending().length;
    var line = (navigator.onLine ? t("online") : t("offline")) + " · " + (n ? n + " " + t("pending") : t("sent"));
    if (root.getAttribute("data-offline-ready") === "1") { line += " · " + t("ready"); }
    document.getElementById("insp-status").textContent = line;
    root.setAttribute("data-pending", String(n));
  }

  // --- the CI list ----------------------------------------------------------------------------------
  // A store check: each part of the storeroom with a count box; a count joins the same offline
  // queue as the answers (a UUID made here, accepted once by the server).
  function renderParts(list) {
    (data.parts || []).forEach(function (p) {
      var key = "p:" + p.id;
      var a = state.answers[key];
      var li = el("li", { "class": "insp-part card", "data-part": String(p.id) });
      li.appendChild(el("strong", {}, p.name));
      li.appendChild(el("span", { "class": "muted small mono" }, " " + p.part_number));
      var row = el("div", { "class": "insp-scan-row" });
      var input = el("input", { type: "number", min: "0", step: "1", inputmode: "numeric", "class": "insp-reading",
        "aria-label": t("counted") + " " + p.name, id: "insp-part-" + p.id });
      if (a) { input.value = a.counted; }
      var b = el("button", { type: "button", "class": "btn btn-primary insp-big" }, t("save"));
      if (a && a.sent) { input.disabled = true; b.disabled = true; }
      b.addEventListener("click", function () {
        var v = input.value.trim();
        if (!/^[0-9]+$/.test(v)) { input.focus(); return; }
        state.answers[key] = { uuid: uuid(), part: p.id, counted: v, answered_at: new Date().toISOString() };
        save(); status(); renderList(); sync();
      });
      row.appendChild(input);
      row.appendChild(b);
      li.appendChild(row);
      var mark = a ? (a.error ? t("error") + ": " + a.error : (a.sent ? t("sent") : t("unsent"))) : "";
      li.appendChild(el("span", { "class": "insp-mark small" + (a && a.error ? " insp-out" : "") }, mark));
      list.appendChild(li);
    });
  }

  function renderList() {
    var list = document.getElementById("insp-cis");
    list.textContent = "";
    if (data.mode === "store") { renderParts(list); return; }
    data.cis.forEach(function (ci) {
      var done = answeredCount(ci);
      var li = el("li");
      var b = el("button", { type: "button", "class": "insp-ci-btn" + (done === data.items.length ? " is-done" : ""),
        "data-ci": String(ci.id) });
      b.appendChild(el("strong", {}, ci.name));
      b.appendChild(el("span", { "class": "muted small" }, [ci.location, ci.site].filter(Boolean).join(" · ")));
      b.appendChild(el("span", { "class": "insp-count" }, done + "/" + data.items.length + " " + t("done")));
      b.addEventListener("click", function () { openCi(ci.id); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function openCi(id) {
    current = data.cis.filter(function (c) { return c.id === id; })[0];
    if (!current) { return; }
    state.lastCi = id; save();
    document.getElementById("insp-pick").hidden = true;
    document.getElementById("insp-ci").hidden = false;
    document.getElementById("insp-ci-name").textContent = current.name;
    document.getElementById("insp-ci-where").textContent = [current["class"], current.location, current.site]
      .filter(Boolean).join(" · ");
    var box = document.getElementById("insp-items");
    box.textContent = "";
    data.items.forEach(function (item) { box.appendChild(renderItem(item)); });
    window.scrollTo(0, 0);
  }

  function backToList() {
    current = null; state.lastCi = null; save();
    document.getElementById("insp-ci").hidden = true;
    document.getElementById("insp-pick").hidden = false;
    renderList();
  }

  // --- one item -----------------------------------------------------------------------------------
  function draftOf(key) {
    if (!state.drafts[key]) {
      var a = state.answers[key];
      state.drafts[key] = a ? { passed: a.passed, reading: a.reading, choice: a.choice, text: a.text, note: a.note,
        photoKey: null, hasPhoto: !!(a.photo || a.photoKey) } : {};
    }
    return state.drafts[key];
  }

  function renderItem(item) {
    var key = current.id + ":" + item.id;
    var draft = draftOf(key);
    var card = el("div", { "class": "insp-item", "data-item": String(item.id), "data-kind": item.kind });
    card.appendChild(el("h3", {}, item.text));
    var mark = el("p", { "class": "insp-mark small" });
    function refresh() {
      var a = state.answers[key];
      var out = item.kind === "reading" && outOfLimits(item, draft.reading);
      card.classList.toggle("is-out", out);
      card.classList.toggle("is-answered", !!a);
      card.classList.toggle("is-finding", !!(a && a.finding));
      var bits = [];
      if (out) { bits.push(t("out")); }
      if (item.photo && !draft.hasPhoto) { bits.push(t("photo-needed")); }
      if (a && a.error) { bits.push(t("error") + ": " + a.error); }
      else if (a) { bits.push(a.sent ? "✓" : t("unsent")); }
      if (a && a.incident) { bits.push(a.incident); }
      mark.textContent = bits.join(" · ");
    }
    function commit() {
      var ok = item.kind === "pass_fail" ? (draft.passed === true || draft.passed === false)
        : item.kind === "reading" ? (draft.reading !== undefined && draft.reading !== null && draft.reading !== "" && !isNaN(Number(draft.reading)))
        : item.kind === "choice" ? !!draft.choice : !!(draft.text && draft.text.trim());
      if (!ok || (item.photo && !draft.hasPhoto)) { save(); refresh(); status(); return; }
      var prev = state.answers[key];
      state.answers[key] = { uuid: uuid(), ci: current.id, item: item.id, passed: draft.passed === undefined ? null : draft.passed,
        reading: draft.reading, choice: draft.choice || "", text: draft.text || "", note: draft.note || "",
        photoKey: draft.photoKey || null, photo: !!(draft.photoKey || (prev && prev.photo)),
        answered_at: new Date().toISOString(), sent: false, error: "" };
      draft.photoKey = null; // a photo goes with one answer
      save(); refresh(); status(); sync();
    }
    var body = el("div", { "class": "insp-answer" });
    if (item.kind === "pass_fail") {
      [[true, t("pass"), "insp-pass"], [false, t("fail"), "insp-fail"]].forEach(function (opt) {
        var b = el("button", { type: "button", "class": "btn insp-big " + opt[2], "aria-pressed": String(draft.passed === opt[0]) }, opt[1]);
        b.addEventListener("click", function () {
          draft.passed = opt[0];
          body.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", "false"); });
          b.setAttribute("aria-pressed", "true");
          commit();
        });
        body.appendChild(b);
      });
    } else if (item.kind === "reading") {
      var id = "r-" + key.replace(":", "-");
      var label = el("label", { "for": id, "class": "small muted" },
        t("limits") + ": " + (item.min === null ? "–" : item.min) + " … " + (item.max === null ? "–" : item.max) + " " + item.unit);
      var input = el("input", { id: id, type: "text", inputmode: "decimal", "class": "insp-reading", autocomplete: "off" });
      input.value = draft.reading || "";
      input.addEventListener("input", function () { draft.reading = input.value.trim().replace(",", "."); save(); refresh(); });
      input.addEventListener("change", commit);
      body.appendChild(label);
      var row = el("div", { "class": "insp-reading-row" });
      row.appendChild(input);
      row.appendChild(el("span", { "class": "insp-unit" }, item.unit));
      body.appendChild(row);
    } else if (item.kind === "choice") {
      item.options.forEach(function (opt) {
        var b = el("button", { type: "button", "class": "btn insp-big" + (item.findings.indexOf(opt[0]) >= 0 ? " insp-fail" : ""),
          "aria-pressed": String(draft.choice === opt[0]), "data-value": opt[0] }, opt[1]);
        b.addEventListener("click", function () {
          draft.choice = opt[0];
          body.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", "false"); });
          b.setAttribute("aria-pressed", "true");
          commit();
        });
        body.appendChild(b);
      });
    } else {
      var ta = el("textarea", { rows: "3", "class": "insp-text" });
      ta.value = draft.text || "";
      ta.addEventListener("input", function () { draft.text = ta.value; save(); });
      ta.addEventListener("change", commit);
      body.appendChild(ta);
    }
    card.appendChild(body);
    var note = el("input", { type: "text", "class": "insp-note", placeholder: t("note"), "aria-label": t("note") });
    note.value = draft.note || "";
    note.addEventListener("input", function () { draft.note = note.value; save(); });
    note.addEventListener("change", function () { if (state.answers[key]) { commit(); } });
    card.appendChild(note);
    var photoLabel = el("label", { "class": "btn insp-photo" + (item.photo ? " is-required" : "") }, t("photo"));
    var file = el("input", { type: "file", accept: "image/*", capture: "environment", "class": "visually-hidden" });
    photoLabel.appendChild(file);
    var thumb = el("img", { "class": "insp-thumb", alt: "" });
    thumb.hidden = true;
    file.addEventListener("change", function () {
      var f = file.files && file.files[0];
      if (!f) { return; }
      var pk = "p-" + uuid();
      photoPut(pk, f).then(function () {
        draft.photoKey = pk; draft.hasPhoto = true; save();
        var reader = new FileReader();
        reader.onload = function () { thumb.src = reader.result; thumb.hidden = false; };
        reader.readAsDataURL(f);
        commit();
      });
    });
    card.appendChild(photoLabel);
    card.appendChild(thumb);
    card.appendChild(mark);
    refresh();
    return card;
  }

  // --- sending --------------------------------------------------------------------------------------
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function sendOne(key) {
    var a = state.answers[key];
    var form = new FormData();
    var url = a.part !== undefined ? data.count_url : data.answer_url;
    ["uuid", "ci", "item", "part", "counted", "choice", "text", "note", "answered_at"].forEach(function (f) {
      if (a[f] !== undefined && a[f] !== null) { form.append(f, a[f]); }
    });
    if (a.passed === true || a.passed === false) { form.append("passed", a.passed ? "true" : "false"); }
    if (a.reading !== undefined && a.reading !== null && a.reading !== "") { form.append("reading", a.reading); }
    var withPhoto = a.photoKey ? photoGet(a.photoKey) : Promise.resolve(null);
    return withPhoto.then(function (blob) {
      if (blob) { form.append("photo", blob, blob.name || "photo.jpg"); }
      return fetch(url, { method: "POST", body: form, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "Accept": "application/json" } });
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        var now = state.answers[key];
        if (!now || now.uuid !== a.uuid) { return true; } // replaced meanwhile: the newer one goes next
        if (resp.status === 200 || resp.status === 201) {
          now.sent = true; now.finding = !!body.finding; now.incident = body.incident_number || "";
        } else if (resp.status === 400) {
          now.error = Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ") || String(resp.status);
        } else {
          return false; // 403 (session), 5xx: try again later
        }
        save();
        return true;
      });
    });
  }
  function sync() {
    if (syncing || !navigator.onLine) { status(); return; }
    var keys = pending();
    if (!keys.length) { status(); return; }
    syncing = true;
    var chain = Promise.resolve(true);
    keys.forEach(function (k) {
      chain = chain.then(function (go) { return go ? sendOne(k) : false; });
    });
    chain.catch(function () { return false; }).then(function () {
      syncing = false; status();
      if (current) { openCiKeepScroll(); } else { renderList(); }
    });
  }
  function openCiKeepScroll() {
    var y = window.scrollY; openCi(current.id); window.scrollTo(0, y);
  }

  // --- wiring -------------------------------------------------------------------------------------
  document.getElementById("insp-back").textContent = "← " + t("back");
  document.getElementById("insp-next").textContent = t("next") + " →";
  document.getElementById("insp-back").addEventListener("click", backToList);
  document.getElementById("insp-next").addEventListener("click", function () {
    var i = data.cis.indexOf(current);
    if (i >= 0 && i + 1 < data.cis.length) { openCi(data.cis[i + 1].id); } else { backToList(); }
  });
  document.getElementById("insp-scan").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = document.getElementById("insp-code").value.trim().toLowerCase();
    if (data.mode === "store") {
      var part = (data.parts || []).filter(function (p) {
        return [String(p.id), p.part_number, p.name].some(function (v) { return v && String(v).toLowerCase() === code; });
      })[0];
      if (part) { document.getElementById("insp-part-" + part.id).focus(); }
      else { document.getElementById("insp-status").textContent = t("notfound"); }
      return;
    }
    var hit = data.cis.filter(function (c) {
      return [String(c.id), c.name, c.serial, c.asset_tag].some(function (v) { return v && String(v).toLowerCase() === code; });
    })[0];
    if (hit) { openCi(hit.id); } else { document.getElementById("insp-status").textContent = t("notfound"); }
  });
  // Camera scan (scan.js): the decoded text goes into the code box and is looked up like a typed one.
  var scanStop = null;
  var scanBtn = document.getElementById("insp-scan-camera");
  var video = document.getElementById("insp-video");
  function scanEnd() {
    if (scanStop) { scanStop(); scanStop = null; }
    video.hidden = true;
    scanBtn.textContent = t("scan");
  }
  if (scanBtn && window.OpsdeskScan) {
    scanBtn.textContent = t("scan");
    scanBtn.addEventListener("click", function () {
      if (scanStop) { scanEnd(); return; }
      video.hidden = false;
      scanBtn.textContent = t("scan-stop");
      scanStop = window.OpsdeskScan.start(video, root.getAttribute("data-scan-lib"), function (text) {
        scanStop = null;
        scanEnd();
        document.getElementById("insp-code").value = text;
        document.getElementById("insp-scan").requestSubmit();
      }, function () {
        scanStop = null;
        scanEnd();
        document.getElementById("insp-status").textContent = t("scan-none");
      });
    });
  } else if (scanBtn) {
    scanBtn.hidden = true;
  }
  window.addEventListener("online", sync);
  window.addEventListener("offline", status);
  setInterval(sync, 5000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "cached") { root.setAttribute("data-offline-ready", "1"); status(); }
    });
    navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: "/inspections/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = [location.pathname];
      document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]").forEach(function (n) {
        urls.push(n.getAttribute("src") || n.getAttribute("href"));
      });
      reg.active.postMessage({ type: "cache", urls: urls });
    }).catch(function () { /* no offline reload, answers are still kept */ });
  }

  renderList();
  if (state.lastCi && data.mode !== "store") { openCi(state.lastCi); }
  status();
  sync();
})();
