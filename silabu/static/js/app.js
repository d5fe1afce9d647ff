/* SILABU on every page: API calls with the CSRF token, the offline outbox, the service worker. */
(function () {
  "use strict";
  var S = (window.SILABU = window.SILABU || {});

  S.meta = function (name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.content : "";
  };
  S.token = function () { return S.meta("csrf-token"); };

  S.refreshToken = async function () {
    var r = await fetch("/entri/csrf", {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (!r.ok) throw S.err(r.status, "Sesi berakhir. Silakan masuk lagi.");
    var token = (await r.json()).csrf_token, m = document.querySelector('meta[name="csrf-token"]');
    if (!m) { m = document.createElement("meta"); m.name = "csrf-token"; document.head.appendChild(m); }
    m.content = token;
    return token;
  };

  S.err = function (status, message, fields, code, details) {
    var e = new Error(message);
    e.status = status; e.fields = fields || null; e.code = code || ""; e.details = details || null;
    e.network = !status;
    return e;
  };

  function errorOf(status, data) {
    var body = (data && data.error) || {};
    return S.err(status, body.message || "Permintaan gagal (" + status + ").", body.fields, body.code, body);
  }

  /* JSON call to /api/v1; a stale CSRF token (a page cached in an earlier session) is renewed once. */
  S.api = async function (method, url, body, retried) {
    var headers = {Accept: "application/json", "X-CSRFToken": S.token()}, r, data = null;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      r = await fetch(url, {method: method, headers: headers, credentials: "same-origin",
                            body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      throw S.err(0, "Tidak ada koneksi ke server.");
    }
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.status === 400 && data && data.error && data.error.code === "csrf_failed" && !retried) {
      await S.refreshToken();
      return S.api(method, url, body, true);
    }
    if (!r.ok) throw errorOf(r.status, data);
    return data;
  };

  /* One evidence file, with upload progress (fetch cannot report it). */
  S.upload = function (entryId, blob, name, onProgress, retried) {
    return new Promise(function (resolve, reject) {
      var x = new XMLHttpRequest(), fd = new FormData();
      x.open("POST", "/api/v1/entries/" + entryId + "/evidence");
      x.setRequestHeader("X-CSRFToken", S.token());
      x.setRequestHeader("Accept", "application/json");
      if (onProgress) x.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      x.onload = function () {
        var data = null;
        try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
        if (x.status >= 200 && x.status < 300) return resolve(data);
        if (x.status === 400 && data && data.error && data.error.code === "csrf_failed" && !retried) {
          return S.refreshToken().then(function () { return S.upload(entryId, blob, name, onProgress, true); })
            .then(resolve, reject);
        }
        reject(errorOf(x.status, data));
      };
      x.onerror = x.ontimeout = function () { reject(S.err(0, "Koneksi terputus saat mengunggah.")); };
      fd.append("file", blob, name);
      x.send(fd);
    });
  };

  /* Save (create or update) an entry, upload its files, submit it if asked. ``rec`` is also the outbox record:
     it is updated as steps succeed, so a resend after a lost connection continues where it stopped. */
  S.sendEntry = async function (rec, ui) {
    ui = ui || {};
    var entry, failed = [], warnings = [];
    if (rec.entry_id) entry = await S.api("PATCH", "/api/v1/entries/" + rec.entry_id, rec.data);
    else entry = await S.api("POST", "/api/v1/entries", Object.assign({client_uuid: rec.client_uuid}, rec.data,
                                                                       rec.confirm_duplicate ? {confirm_duplicate: true} : {}));
    rec.entry_id = entry.id;
    (entry.warnings || []).forEach(function (w) { if (warnings.indexOf(w) < 0) warnings.push(w); });
    if (ui.saved) await ui.saved(rec, entry);
    /* Saved evidence marked "Hapus" on the edit form goes after the typed changes are safe, before new files. */
    while (rec.remove && rec.remove.length) {
      try {
        await S.api("DELETE", "/api/v1/evidence/" + rec.remove[0]);
      } catch (e) {
        if (e.status !== 404) throw e; /* already gone */
      }
      rec.remove.shift();
      if (ui.saved) await ui.saved(rec, entry);
    }
    while (rec.files && rec.files.length) {
      var f = rec.files[0], row = ui.fileRow ? ui.fileRow(f) : null;
      try {
        var ev = await S.upload(entry.id, f.blob, f.name, row && row.progress);
        if (ev && ev.taken_at && ev.taken_at.slice(0, 10) !== entry.entry_date) {
          warnings.push("Foto '" + ev.original_name + "' diambil pada " + S.dmy(ev.taken_at) + ", bukan pada tanggal entri.");
        }
        if (row) row.done(ev);
      } catch (e) {
        if (e.network || e.status === 401 || e.status >= 500) throw e;
        failed.push(f.name + ": " + e.message);
        if (row) row.fail(e.message);
      }
      rec.files.shift();
      if (ui.saved) await ui.saved(rec, entry);
    }
    if (!failed.length && rec.action === "submit" && entry.status !== "submitted") {
      entry = await S.api("POST", "/api/v1/entries/" + entry.id + "/submit");
    }
    return {entry: entry, failed: failed, warnings: warnings};
  };

  /* client_uuids this device has sent or queued: a form page that still carries one (Back after saving, a page
     shell the service worker kept) is a copy of a form already saved and must not send it again. */
  var USED = "silabu-used-uuids";
  S.markUsed = function (cu) {
    try {
      var list = JSON.parse(localStorage.getItem(USED) || "[]");
      if (list.indexOf(cu) < 0) list.push(cu);
      localStorage.setItem(USED, JSON.stringify(list.slice(-100)));
    } catch (e) { /* storage unavailable: the server's client_uuid rule still holds */ }
  };
  S.isUsed = function (cu) {
    try { return JSON.parse(localStorage.getItem(USED) || "[]").indexOf(cu) >= 0; } catch (e) { return false; }
  };

  S.dmy = function (iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4); };

  S.uuid = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  };

  /* The outbox: entries typed while offline, with their files as Blobs, in IndexedDB. */
  function idb() {
    return new Promise(function (resolve, reject) {
      var r = indexedDB.open("silabu", 1);
      r.onupgradeneeded = function () { r.result.createObjectStore("outbox", {keyPath: "client_uuid"}); };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function store(mode, fn) {
    return idb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("outbox", mode), req = fn(t.objectStore("outbox"));
        t.oncomplete = function () { db.close(); resolve(req && req.result); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }
  S.outbox = {
    put: function (rec) { return store("readwrite", function (s) { return s.put(rec); }); },
    remove: function (key) { return store("readwrite", function (s) { return s.delete(key); }); },
    mine: function () {
      var me = S.meta("silabu-user");
      return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
        return (all || []).filter(function (r) { return me && r.user === me; });
      });
    }
  };

  var flushing = false;
  S.flush = async function () {
    if (flushing || !navigator.onLine || !S.meta("silabu-user") || !window.indexedDB) return;
    flushing = true;
    var sent = 0;
    try {
      var recs = await S.outbox.mine();
      for (var i = 0; i < recs.length; i++) {
        var rec = recs[i];
        if (rec.error) continue;
        try {
          var res = await S.sendEntry(rec, {saved: function (r) { return S.outbox.put(r); }});
          if (res.failed.length) {
            rec.error = "Entri tersimpan sebagai draf, tetapi berkas ditolak: " + res.failed.join("; ");
            await S.outbox.put(rec);
          } else {
            await S.outbox.remove(rec.client_uuid);
            sent++;
          }
        } catch (e) {
          if (e.network || e.status === 401 || e.status >= 500) break;
          rec.error = e.message + (e.fields ? " " + Object.values(e.fields).join(" ") : "");
          rec.duplicate = e.code === "possible_duplicate";
          await S.outbox.put(rec);
        }
      }
    } catch (e) {
      /* IndexedDB unavailable: nothing was queued on this device. */
    } finally {
      flushing = false;
    }
    if (sent) S.notice(sent + " entri dari perangkat telah terkirim.", "success");
    S.showOutbox();
  };

  S.notice = function (text, kind) {
    var main = document.getElementById("main");
    if (!main) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + (kind || "info");
    p.setAttribute("role", "status");
    p.textContent = text;
    main.insertBefore(p, main.firstChild);
  };

  S.showOutbox = async function () {
    var main = document.getElementById("main"), box = document.getElementById("outbox");
    if (!main || !window.indexedDB) return;
    var recs = [];
    try { recs = await S.outbox.mine(); } catch (e) { return; }
    if (!recs.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "outbox"; box.className = "flash flash-warning"; box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = "";
    var waiting = recs.filter(function (r) { return !r.error; }).length, p = document.createElement("p");
    p.textContent = waiting ? waiting + " entri tersimpan di perangkat, akan dikirim saat online." : "";
    box.appendChild(p);
    recs.filter(function (r) { return r.error; }).forEach(function (r) {
      var line = document.createElement("p"), b = document.createElement("button");
      line.textContent = "Entri " + S.dmy(r.data.entry_date || "") + " (" + (r.data.activity || "").slice(0, 40) +
        ") tidak terkirim: " + r.error + " ";
      b.type = "button"; b.className = "linklike"; b.textContent = "Buang dari perangkat";
      b.addEventListener("click", function () { S.outbox.remove(r.client_uuid).then(S.showOutbox); });
      if (r.duplicate) {
        var again = document.createElement("button");
        again.type = "button"; again.className = "linklike"; again.textContent = "Kirim juga";
        again.addEventListener("click", function () {
          r.confirm_duplicate = true; delete r.error; delete r.duplicate;
          S.outbox.put(r).then(S.flush);
        });
        line.appendChild(again);
        line.appendChild(document.createTextNode(" \u00b7 "));
      }
      line.appendChild(b);
      box.appendChild(line);
    });
  };

  /* A message for the next page, after the entry form finished with JavaScript. */
  S.flashNext = function (text, kind) {
    try { sessionStorage.setItem("silabu-flash", JSON.stringify({text: text, kind: kind || "success"})); } catch (e) { /* ignore */ }
  };

  document.addEventListener("DOMContentLoaded", function () {
    try {
      var f = JSON.parse(sessionStorage.getItem("silabu-flash") || "null");
      if (f) { sessionStorage.removeItem("silabu-flash"); S.notice(f.text, f.kind); }
    } catch (e) { /* ignore */ }
    if (navigator.onLine) S.flush(); else S.showOutbox();
    /* Leaving a shared phone: the cached pages go with the session. */
    document.querySelectorAll('form[action$="/keluar"]').forEach(function (form) {
      form.addEventListener("submit", function () { if (window.caches) caches.delete("silabu-pages"); });
    });
  });
  window.addEventListener("online", function () { S.flush(); });

  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* offline use only */ });
    });
  }
})();
