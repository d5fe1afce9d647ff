/* Verification pages: photo lightbox, keyboard shortcuts (j/k/v/r/n) and verify/return without a page reload.
   Everything here is an enhancement: without JavaScript the forms post and the links open normally. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";
  var LABELS = { submitted: "Diajukan", verified: "Terverifikasi", returned: "Dikembalikan", draft: "Draf" };

  function closest(el, selector) {
    while (el && el.nodeType === 1) {
      if (el.matches(selector)) { return el; }
      el = el.parentElement;
    }
    return null;
  }

  /* ---------- lightbox ---------- */
  var dialog = document.getElementById("v-lightbox");
  if (dialog && typeof dialog.showModal === "function") {
    var img = dialog.querySelector("img");
    var caption = dialog.querySelector(".v-lightbox-caption");
    document.addEventListener("click", function (ev) {
      var link = closest(ev.target, "a.v-thumb[data-full]");
      if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) { return; }
      ev.preventDefault();
      img.src = link.getAttribute("data-full");
      img.alt = "Foto bukti: " + (link.getAttribute("data-caption") || "");
      caption.textContent = link.getAttribute("data-caption") || "";
      dialog.showModal();
    });
    dialog.addEventListener("click", function (ev) {
      if (ev.target === dialog || ev.target === img) { dialog.close(); }
    });
    dialog.addEventListener("close", function () { img.removeAttribute("src"); });
  }

  /* ---------- verify / return in place ---------- */
  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".ventry")); }

  function message(card, text, ok) {
    var box = card.querySelector(".v-msg");
    if (!box) { return; }
    box.textContent = text || "";
    box.classList.toggle("v-ok", !!ok);
  }

  function count(scope, status) {
    var el = document.querySelector("[" + scope + '] [data-count="' + status + '"]');
    return el ? parseInt(el.textContent, 10) || 0 : 0;
  }

  /* The same words as the asn_state macro (_entry.html): "selesai" only when nothing waits and nothing is
     left unsubmitted (drafts, returned entries not yet handed in again). */
  function asnState() {
    var box = document.querySelector('.v-asn[aria-current="page"] [data-asn-state]');
    if (!box) { return; }
    var waiting = count("data-owner-counts", "submitted");
    var unsubmitted = count("data-owner-counts", "draft") + count("data-owner-counts", "returned");
    var total = waiting + unsubmitted + count("data-owner-counts", "verified");
    var cls = "status-draft", text = "belum ada entri";
    if (waiting) { cls = "status-submitted"; text = waiting + " menunggu"; }
    else if (unsubmitted) { text = unsubmitted + " belum diajukan"; }
    else if (total) { cls = "status-verified"; text = "selesai"; }
    box.innerHTML = "";
    var pill = document.createElement("span");
    pill.className = "status " + cls;
    pill.textContent = text;
    box.appendChild(pill);
    box.parentNode.parentNode.classList.toggle("v-asn-done", !waiting && !unsubmitted && total > 0);
  }

  function bump(status, delta) {
    ["data-owner-counts", "data-unit-counts"].forEach(function (scope) {
      var el = document.querySelector("[" + scope + '] [data-count="' + status + '"]');
      if (el) { el.textContent = String(Math.max(0, (parseInt(el.textContent, 10) || 0) + delta)); }
    });
    if (status === "submitted") {
      var value = count("data-owner-counts", "submitted");
      Array.prototype.forEach.call(document.querySelectorAll("[data-waiting]"), function (w) { w.textContent = String(value); });
      var all = document.querySelector(".v-verify-all");
      if (all && value === 0) { all.classList.add("hidden"); }
      var unitWaiting = count("data-unit-counts", "submitted");
      Array.prototype.forEach.call(document.querySelectorAll("[data-unit-waiting]"), function (w) { w.textContent = String(unitWaiting); });
      var wait = document.querySelector(".v-close-wait"), close = document.querySelector("form.v-close");
      if (wait && close) { wait.hidden = unitWaiting === 0; close.hidden = unitWaiting > 0; }
    }
    asnState();
  }

  function focusCard(card) {
    if (!card) { return; }
    cards().forEach(function (c) { c.classList.remove("v-focus"); });
    card.classList.add("v-focus");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function nextWaiting(after) {
    var list = cards();
    var start = list.indexOf(after);
    var order = list.slice(start + 1).concat(list.slice(0, Math.max(start, 0)));
    for (var i = 0; i < order.length; i++) {
      if (order[i].getAttribute("data-status") === "submitted" && order[i].querySelector(".js-verify")) { return order[i]; }
    }
    return null;
  }

  function applyResult(card, entry) {
    var before = card.getAttribute("data-status");
    card.setAttribute("data-status", entry.status);
    if (entry.version !== undefined) { card.setAttribute("data-version", String(entry.version)); }
    card.className = card.className.replace(/ventry-\w+/, "ventry-" + entry.status);
    var badge = card.querySelector(".status");
    if (badge) {
      badge.className = "status status-" + entry.status;
      badge.textContent = LABELS[entry.status] || entry.status;
    }
    if (entry.status !== "submitted") { card.classList.add("v-done"); }
    if (before !== entry.status) { bump(before, -1); bump(entry.status, 1); }
  }

  function send(form, card, body) {
    var url = form.getAttribute("data-api");
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    message(card, "Menyimpan…", true);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { status: resp.status, data: data }; });
    }).then(function (res) {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      if (res.status === 200) {
        applyResult(card, res.data);
        message(card, res.data.status === "verified" ? "Diverifikasi." : "Dikembalikan dengan catatan.", true);
        var next = nextWaiting(card);
        if (next) { focusCard(next); } else {
          var link = document.getElementById("v-next-asn");
          message(card, "Semua entri ASN ini sudah diperiksa." + (link ? " Tekan n untuk ASN berikutnya." : ""), true);
          if (link) { link.focus(); }
        }
        return;
      }
      var err = (res.data && res.data.error) || {};
      var text = err.message || "Gagal menyimpan. Muat ulang halaman lalu coba lagi.";
      if (err.fields && err.fields.note) { text = err.fields.note; }
      if (res.status === 409 && err.entry) { applyResult(card, err.entry); }
      message(card, text, false);
    }).catch(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      message(card, "Koneksi terputus; belum tersimpan. Coba lagi.", false);
    });
  }

  /* Forms that change a whole month ask once more (without JavaScript they simply post). */
  document.addEventListener("submit", function (ev) {
    var text = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  }, true);

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var isVerify = form.classList && form.classList.contains("js-verify");
    var isReturn = form.classList && form.classList.contains("js-return");
    if ((!isVerify && !isReturn) || !window.fetch || !form.getAttribute("data-api")) { return; }
    var card = closest(form, ".ventry");
    if (!card) { return; }
    ev.preventDefault();
    var body = { version: parseInt(card.getAttribute("data-version"), 10) };
    if (isReturn) {
      body.note = (form.elements.note.value || "").trim();
      if (!body.note) {
        message(card, "Catatan wajib diisi: tuliskan apa yang perlu diperbaiki ASN.", false);
        form.elements.note.focus();
        return;
      }
    }
    send(form, card, body);
  });

  /* ---------- keyboard shortcuts (desktop) ---------- */
  function current() {
    var active = closest(document.activeElement, ".ventry");
    return active || document.querySelector(".ventry.v-focus");
  }

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); return; }
    var ev = document.createEvent("Event");
    ev.initEvent("submit", true, true);
    if (form.dispatchEvent(ev)) { form.submit(); }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) { return; }
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (dialog && dialog.open) { return; }
    var list = cards();
    if (!list.length && ev.key !== "n") { return; }
    var card = current();
    var index = card ? list.indexOf(card) : -1;
    if (ev.key === "j") {
      ev.preventDefault();
      focusCard(list[Math.min(index + 1, list.length - 1)]);
    } else if (ev.key === "k") {
      ev.preventDefault();
      focusCard(list[Math.max(index - 1, 0)]);
    } else if (ev.key === "v" && card) {
      var verify = card.querySelector("form.js-verify");
      if (verify) { ev.preventDefault(); submitForm(verify); }
    } else if (ev.key === "r" && card) {
      var details = card.querySelector("details.v-return");
      if (details) {
        ev.preventDefault();
        details.open = true;
        var area = details.querySelector("textarea");
        if (area) { area.focus(); }
      }
    } else if (ev.key === "n") {
      var link = document.getElementById("v-next-asn");
      if (link) { ev.preventDefault(); window.location.href = link.href; }
    }
  });

  /* Verify-all answers with the next ASN's page itself (one request per ASN): show that page's own address, so
     a reload or a copied link opens the queue instead of posting again. */
  if (/\/verifikasi-semua$/.test(window.location.pathname) && window.history && window.history.replaceState) {
    var own = document.querySelector("nav.chips a.chip");
    if (own) { window.history.replaceState(null, "", own.getAttribute("href")); }
  }

  /* Land on the entry named in the address (after a plain form post) or on the first one waiting. */
  document.addEventListener("DOMContentLoaded", function () {
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (target && target.classList.contains("ventry")) { focusCard(target); }
  });
})();
