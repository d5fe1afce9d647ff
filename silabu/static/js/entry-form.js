/* The entry form with JavaScript: code filter and favourites, unit prefill, photos shrunk in the browser,
   uploads with progress, and the offline outbox. Without JavaScript the same form posts as multipart. */
(function () {
  "use strict";
  var S = window.SILABU, form = document.getElementById("entry-form");
  if (!S || !form) return;
  var FIELDS = ["entry_date", "output_code", "activity", "output", "quantity", "unit", "start_time", "end_time"];
  var LONG_SIDE = 1600, QUALITY = 0.8;
  var sel = document.getElementById("f-output_code"), filter = document.getElementById("code-filter");
  var star = document.getElementById("fav-star"), count = document.getElementById("code-count");
  var unit = document.getElementById("f-unit"), status = document.getElementById("form-status");
  var list = document.getElementById("upload-list");
  var inputs = [document.getElementById("f-camera"), document.getElementById("f-files")];
  var clicked = null;

  document.querySelectorAll(".js-only").forEach(function (el) { el.classList.remove("hidden"); });
  var chosenList = document.getElementById("chosen-list"), evidenceBox = document.getElementById("evidence");
  var chosen = []; /* files picked (camera or picker), shown as removable previews until the form is saved */
  var confirmed = false; /* "Ya, simpan juga" after the server said a similar entry exists */
  /* A page shell the service worker kept from an earlier day must not default to that day. */
  var dateInput = form.elements.entry_date, now = new Date();
  var localToday = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  if (!form.dataset.entryId && dateInput.value === form.dataset.today && localToday > form.dataset.today) {
    dateInput.value = localToday;
    dateInput.max = localToday;
  }

  /* Output codes: one model, the <select> rebuilt from it (hiding <option>s does not work on iOS). */
  function read(group) {
    var og = sel.querySelector('optgroup[data-group="' + group + '"]');
    return og ? Array.prototype.map.call(og.children, function (o) {
      return {value: o.value, text: o.textContent, unit: o.dataset.unit || "", id: o.dataset.id};
    }) : [];
  }
  var recent = read("recent"), all = read("all"), placeholder = sel.options[0], favs = {};
  sel.querySelectorAll("option[data-fav]").forEach(function (o) { favs[o.dataset.id] = true; });

  /* Words in any order, case and punctuation ignored ("laporan bmn"); codes found through colleagues'
     activities come from the server ("rapat", "SPM") under their own group. */
  function words(text) { return (text.toLowerCase().match(/[0-9a-z]+/g) || []).slice(0, 8); }
  var viaActivity = [], asked = "", timer = null;
  function matches(c, ws) {
    var t = " " + words(c.text).join(" ");
    return ws.every(function (w) { return t.indexOf(w) >= 0; });
  }
  function askServer() {
    var q = words(filter.value).join(" ");
    if (!q || q === asked || !navigator.onLine) return;
    asked = q;
    S.api("GET", "/api/v1/output-codes?limit=50&q=" + encodeURIComponent(q)).then(function (r) {
      if (words(filter.value).join(" ") !== q) return;
      var byValue = {};
      all.forEach(function (c) { byValue[c.value] = c; });
      var ws = words(q);
      viaActivity = r.items.map(function (it) { return byValue[it.code]; })
        .filter(function (c) { return c && !matches(c, ws); });
      render(true);
    }).catch(function () { /* offline or refused: the local list stands */ });
  }

  function render(fromServer) {
    var ws = words(filter.value), q = ws.length > 0, cur = sel.value, kept = false, first = null, n = 0;
    if (fromServer !== true) {
      viaActivity = [];
      clearTimeout(timer);
      if (q) timer = setTimeout(askServer, 250);
    }
    var groups = [["Favorit", all.filter(function (c) { return favs[c.id]; })], ["Terakhir dipakai", recent],
                  ["Semua kode", all], ["Dari kegiatan yang pernah dicatat", viaActivity]];
    var frag = document.createDocumentFragment();
    frag.appendChild(placeholder);
    groups.forEach(function (g) {
      var items = g[0] === "Dari kegiatan yang pernah dicatat" ? g[1] :
                  g[1].filter(function (c) { return !q || matches(c, ws); });
      if (!items.length) return;
      var og = document.createElement("optgroup");
      og.label = g[0];
      items.forEach(function (c) {
        var o = new Option(c.text, c.value);
        o.dataset.unit = c.unit; o.dataset.id = c.id;
        if (c.value === cur && !kept) { o.selected = true; kept = true; }
        og.appendChild(o);
        first = first || o;
      });
      if (g[0] === "Semua kode" || g[0] === "Dari kegiatan yang pernah dicatat") n += items.length;
      frag.appendChild(og);
    });
    sel.textContent = "";
    sel.appendChild(frag);
    count.textContent = !q ? "" : first ? n + " kode cocok." :
      "Tidak ada kode yang cocok dengan \u201c" + filter.value.trim() + "\u201d. Coba kata lain atau hapus pencarian.";
    count.classList.toggle("error", q && !first);
    if (!kept) {
      if (first && q) first.selected = true; else placeholder.selected = true;
      changed();
    }
    updateStar();
  }

  function current() { return sel.options[sel.selectedIndex]; }
  var autoUnit = (current() && current().dataset.unit) || "";
  if (unit && !unit.value) unit.value = autoUnit;

  /* The unit follows the code's default unless the ASN typed their own. */
  var chosenCode = document.getElementById("code-chosen");
  function showChosen() {
    var o = current();
    chosenCode.textContent = o && o.value ? "Terpilih: " + o.textContent : "";
  }
  function changed() {
    var o = current(), u = (o && o.dataset.unit) || "";
    showChosen();
    if (unit && (!unit.value || unit.value === autoUnit)) unit.value = u;
    autoUnit = u;
    updateStar();
  }

  function updateStar() {
    var o = current(), id = o && o.dataset.id, on = !!(id && favs[id]);
    star.disabled = !id;
    star.setAttribute("aria-pressed", on ? "true" : "false");
    star.textContent = on ? "\u2605" : "\u2606";
    star.setAttribute("aria-label", on ? "Hapus kode terpilih dari favorit" : "Tandai kode terpilih sebagai favorit");
  }

  filter.addEventListener("input", render);
  filter.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); sel.focus(); } });
  sel.addEventListener("change", changed);
  star.addEventListener("click", async function () {
    var o = current();
    if (!o || !o.dataset.id) return;
    try {
      var r = await S.api("POST", form.dataset.favorite.replace("/0/", "/" + o.dataset.id + "/"));
      if (r.favorite) favs[o.dataset.id] = true; else delete favs[o.dataset.id];
      render();
      setStatus(r.favorite ? "Kode ditambahkan ke favorit." : "Kode dihapus dari favorit.");
    } catch (e) {
      setStatus(e.network ? "Favorit tidak dapat diubah saat luring." : e.message, "is-error");
    }
  });
  updateStar();
  showChosen();

  /* Long text: a running count against the limit instead of a silent cut (the server refuses what is over). */
  form.querySelectorAll("[data-counter-for]").forEach(function (out) {
    var area = document.getElementById(out.dataset.counterFor), max = Number(area.dataset.max);
    function count() {
      var n = area.value.trim().length, over = n - max;
      out.textContent = over > 0 ? n + "/" + max + " karakter \u2014 kelebihan " + over + ", persingkat dulu."
                                 : n + "/" + max + " karakter";
      out.classList.toggle("error", over > 0);
    }
    area.addEventListener("input", count);
    count();
  });

  /* A form whose client_uuid this device already sent is a copy of a saved form (Back after saving, a page
     shell kept for offline use): it starts again empty, with a fresh client_uuid, instead of saving twice. */
  function freshIfUsed() {
    var cu = form.elements.client_uuid, saved = history.state && history.state.silabuSaved;
    if (!cu || !(saved || S.isUsed(cu.value))) return;
    history.replaceState(Object.assign({}, history.state, {silabuSaved: false}), "");
    form.reset();
    cu.value = S.uuid();
    list.textContent = "";
    var dup = document.getElementById("duplicate");
    if (dup) dup.remove();
    render();
    setStatus("Entri dari formulir ini sudah tersimpan. Formulir dikosongkan untuk entri berikutnya.");
  }
  window.addEventListener("pageshow", freshIfUsed);

  function askDuplicate(e) {
    var old = document.getElementById("duplicate");
    if (old) old.remove();
    var box = document.createElement("div"), p = document.createElement("p"), b = document.createElement("button");
    box.id = "duplicate"; box.className = "flash flash-warning duplicate-box"; box.setAttribute("role", "alert");
    p.textContent = e.message + " ";
    var existing = e.details && e.details.existing;
    if (existing) {
      var a = document.createElement("a");
      a.href = form.dataset.detail.replace(/0$/, existing.id); a.textContent = "Lihat entri yang sudah ada";
      p.appendChild(a);
    }
    b.type = "button"; b.className = "btn btn-small"; b.textContent = "Ya, ini kegiatan lain: simpan juga";
    b.addEventListener("click", function () {
      confirmed = true;
      box.remove();
      form.requestSubmit(clicked || undefined);
    });
    box.appendChild(p); box.appendChild(b);
    status.insertAdjacentElement("beforebegin", box);
    b.focus();
  }

  /* The evidence area: two buttons (camera, files) over hidden inputs, each pick added to a preview list. */
  evidenceBox.classList.add("enhanced");
  function renderChosen() {
    chosenList.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    chosenList.textContent = "";
    chosen.forEach(function (file, i) {
      var li = document.createElement("li"), name = document.createElement("span"), b = document.createElement("button");
      if (/^image\//.test(file.type || "")) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file); img.alt = ""; img.width = 56; img.height = 56;
        li.appendChild(img);
      } else {
        var chip = document.createElement("span");
        chip.className = "doc-chip"; chip.setAttribute("aria-hidden", "true");
        chip.textContent = (file.name.split(".").pop() || "berkas").toUpperCase();
        li.appendChild(chip);
      }
      name.className = "name";
      name.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      b.type = "button"; b.className = "btn btn-small btn-secondary"; b.textContent = "Batal";
      b.setAttribute("aria-label", "Batal unggah " + file.name);
      b.addEventListener("click", function () { chosen.splice(i, 1); renderChosen(); });
      li.appendChild(name); li.appendChild(b);
      chosenList.appendChild(li);
    });
    chosenList.classList.toggle("hidden", !chosen.length);
  }
  inputs.forEach(function (inp) {
    inp.addEventListener("change", function () {
      Array.prototype.forEach.call(inp.files || [], function (f) { chosen.push(f); });
      inp.value = "";
      renderChosen();
      checkPhotoDates();
    });
  });
  form.querySelectorAll("input[name=remove_evidence]").forEach(function (box) {
    box.addEventListener("change", function () { box.closest("li").classList.toggle("removing", box.checked); });
  });

  /* The photo-date warning, while the entry can still be fixed: the EXIF date of each chosen JPEG against the
     entry's date. "Simpan & ajukan" then needs a second tap; a draft saves at once. */
  var dateWarning = document.getElementById("photo-date-warning"), dateAcknowledged = false;
  async function takenDate(file) {
    if (file.silabuTaken !== undefined) return file.silabuTaken;
    var day = null;
    try {
      if (/jpe?g$/i.test(file.type || file.name)) day = exifDate(new Uint8Array(await file.slice(0, 131072).arrayBuffer()));
    } catch (e) { day = null; }
    file.silabuTaken = day;
    return day;
  }
  function exifDate(b) {
    if (b[0] !== 0xFF || b[1] !== 0xD8) return null;
    var i = 2;
    while (i + 10 < b.length && b[i] === 0xFF) {
      var marker = b[i + 1], len = (b[i + 2] << 8) | b[i + 3];
      if (marker === 0xE1 && String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]) === "Exif") {
        var t = i + 10, dv = new DataView(b.buffer, b.byteOffset), le = b[t] === 0x49;
        var tag = function (ifd, wanted) {
          var n = dv.getUint16(t + ifd, le);
          for (var k = 0; k < n; k++) {
            var e = t + ifd + 2 + k * 12;
            if (dv.getUint16(e, le) === wanted) return dv.getUint32(e + 8, le);
          }
          return null;
        };
        var text = function (off) {
          return off === null ? null : String.fromCharCode.apply(null, b.subarray(t + off, t + off + 10));
        };
        var ifd0 = dv.getUint32(t + 4, le), sub = tag(ifd0, 0x8769);
        var raw = (sub !== null && text(tag(sub, 0x9003))) || text(tag(ifd0, 0x0132));
        return raw && /^\d{4}:\d{2}:\d{2}$/.test(raw) ? raw.replace(/:/g, "-") : null;
      }
      if (marker === 0xDA) return null;
      i += 2 + len;
    }
    return null;
  }
  async function checkPhotoDates() {
    var day = form.elements.entry_date.value, lines = [];
    for (var i = 0; i < chosen.length; i++) {
      var taken = await takenDate(chosen[i]);
      if (taken && day && taken !== day) {
        lines.push("Foto \u2018" + chosen[i].name + "\u2019 diambil pada " + S.dmy(taken) + ", bukan pada tanggal entri (" +
                   S.dmy(day) + ").");
      }
    }
    dateAcknowledged = false;
    dateWarning.textContent = lines.length ? lines.join(" ") + " Periksa tanggal entri atau fotonya sebelum mengajukan." : "";
    dateWarning.classList.toggle("hidden", !lines.length);
    return lines.length > 0;
  }
  form.elements.entry_date.addEventListener("change", checkPhotoDates);

  /* Photos: about 1600 px on the long side, JPEG 0.8, upright; EXIF time and place kept for the server. */
  async function shrink(file) {
    var type = (file.type || "").toLowerCase(), name = file.name || "foto.jpg", bmp;
    if (!/^image\/(jpeg|png|webp)$/.test(type) || !window.createImageBitmap) return {name: name, blob: file};
    try {
      bmp = await createImageBitmap(file, {imageOrientation: "from-image"});
    } catch (e) {
      return {name: name, blob: file}; /* a format this browser cannot decode: the server converts it */
    }
    var scale = Math.min(1, LONG_SIDE / Math.max(bmp.width, bmp.height));
    if (scale === 1 && type === "image/jpeg" && file.size < 1500000) { bmp.close(); return {name: name, blob: file}; }
    var c = document.createElement("canvas"), ctx;
    c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
    ctx = c.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height); /* transparency on white, as the server does */
    ctx.drawImage(bmp, 0, 0, c.width, c.height);
    bmp.close();
    var blob = await new Promise(function (resolve) { c.toBlob(resolve, "image/jpeg", QUALITY); });
    if (!blob || blob.size >= file.size) return {name: name, blob: file};
    if (type === "image/jpeg") blob = await withExif(file, blob);
    return {name: name.replace(/\.[^.]*$/, "") + ".jpg", blob: blob};
  }

  /* Canvas drops EXIF; copy the original's APP1 segment back with Orientation set to 1 (pixels are upright now). */
  async function withExif(file, blob) {
    try {
      var seg = exifSegment(new Uint8Array(await file.slice(0, 131072).arrayBuffer()));
      if (!seg) return blob;
      var body = new Uint8Array(await blob.arrayBuffer());
      return new Blob([body.subarray(0, 2), seg, body.subarray(2)], {type: "image/jpeg"});
    } catch (e) {
      return blob;
    }
  }

  function exifSegment(b) {
    if (b[0] !== 0xFF || b[1] !== 0xD8) return null;
    var i = 2;
    while (i + 10 < b.length && b[i] === 0xFF) {
      var marker = b[i + 1], len = (b[i + 2] << 8) | b[i + 3];
      if (marker === 0xE1 && String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]) === "Exif") {
        if (i + 2 + len > b.length) return null;
        var seg = b.slice(i, i + 2 + len), t = 10, le = seg[t] === 0x49;
        var dv = new DataView(seg.buffer), ifd = dv.getUint32(t + 4, le), n = dv.getUint16(t + ifd, le);
        for (var k = 0; k < n; k++) {
          var e = t + ifd + 2 + k * 12;
          if (dv.getUint16(e, le) === 0x0112) dv.setUint16(e + 8, 1, le);
        }
        return seg;
      }
      if (marker === 0xDA) return null;
      i += 2 + len;
    }
    return null;
  }

  function setStatus(text, cls) {
    status.className = "form-status" + (cls ? " " + cls : "");
    status.textContent = text || "";
  }

  function busy(on) { form.setAttribute("aria-busy", on ? "true" : "false"); }

  function clearErrors() {
    form.querySelectorAll(".field .error").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby");
    });
  }

  function showErrors(fields) {
    var other = [], focus = null;
    Object.keys(fields).forEach(function (name) {
      var input = document.getElementById("f-" + (name === "evidence" || name === "file" ? "files" : name));
      var box = input && input.closest(".field");
      if (!box) { other.push(fields[name]); return; }
      var msg = document.createElement("small");
      msg.className = "error"; msg.id = "e-" + name; msg.textContent = fields[name];
      box.classList.add("has-error");
      input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", msg.id);
      (name === "evidence" || name === "file" ? list : input).insertAdjacentElement(name === "evidence" || name === "file" ? "beforebegin" : "afterend", msg);
      focus = focus || input;
    });
    if (focus) focus.focus();
    return other;
  }

  function fileRow(f) {
    var li = document.createElement("li"), name = document.createElement("span");
    var bar = document.createElement("progress"), st = document.createElement("span");
    name.className = "name";
    name.textContent = f.name + " (" + Math.max(1, Math.round(f.blob.size / 1024)) + " KB)";
    bar.max = 1; bar.value = 0;
    bar.setAttribute("aria-label", "Unggah " + f.name);
    li.appendChild(name); li.appendChild(bar); li.appendChild(st);
    list.appendChild(li);
    return {
      progress: function (p) { bar.value = p; },
      done: function () { bar.value = 1; st.className = "ok"; st.textContent = "\u2713 terunggah"; },
      fail: function (m) { li.className = "failed"; bar.remove(); st.className = "bad"; st.textContent = m; }
    };
  }

  async function saveOffline(rec) {
    var withoutFiles = false;
    try {
      await S.outbox.put(rec);
    } catch (e) {
      try {
        /* Some browsers cannot keep files in IndexedDB: keep at least what was typed. */
        if (!rec.files.length) throw e;
        rec.files = [];
        withoutFiles = true;
        await S.outbox.put(rec);
      } catch (e2) {
        busy(false);
        setStatus("Tidak ada koneksi dan entri tidak dapat disimpan di perangkat. Jangan tutup halaman ini; coba lagi saat online.", "is-error");
        return;
      }
    }
    busy(false);
    list.textContent = "";
    chosen = [];
    renderChosen();
    if (!rec.entry_id) {
      S.markUsed(rec.client_uuid);
      form.reset();
      form.elements.client_uuid.value = S.uuid();
      render();
    }
    setStatus("Tersimpan di perangkat, akan dikirim saat online." +
              (withoutFiles ? " Berkas tidak dapat disimpan di perangkat: lampirkan lagi setelah entri terkirim." : ""),
              "is-offline");
    S.showOutbox();
  }

  form.addEventListener("click", function (e) {
    var b = e.target.closest("button[type=submit]");
    if (b) clicked = b;
  });

  form.addEventListener("submit", async function (ev) {
    var btn = ev.submitter || clicked;
    ev.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    if (btn && btn.value === "submit" && !dateAcknowledged && await checkPhotoDates()) {
      dateAcknowledged = true;
      setStatus("Tanggal foto berbeda dengan tanggal entri. Perbaiki dulu, atau tekan \u201cSimpan & ajukan\u201d " +
                "sekali lagi untuk tetap mengajukan.", "is-error");
      dateWarning.focus();
      return;
    }
    busy(true);
    clearErrors();
    list.textContent = "";
    var data = {};
    FIELDS.forEach(function (n) { data[n] = form.elements[n] ? form.elements[n].value : ""; });
    var rec = {client_uuid: form.elements.client_uuid ? form.elements.client_uuid.value : S.uuid(),
               entry_id: form.dataset.entryId ? Number(form.dataset.entryId) : null, user: S.meta("silabu-user"),
               action: btn && btn.value === "submit" ? "submit" : "draft", data: data, files: [],
               created_at: new Date().toISOString()};
    var box = form.elements.confirm_duplicate;
    if (confirmed || (box && box.checked)) rec.confirm_duplicate = true;
    confirmed = false;
    rec.remove = Array.prototype.map.call(form.querySelectorAll("input[name=remove_evidence]:checked"),
                                          function (b) { return Number(b.value); });
    setStatus("Menyiapkan berkas\u2026");
    for (var i = 0; i < chosen.length; i++) rec.files.push(await shrink(chosen[i]));
    if (!navigator.onLine) return saveOffline(rec);
    setStatus("Menyimpan\u2026");
    var res;
    var savedNow = false;
    try {
      res = await S.sendEntry(rec, {fileRow: fileRow, saved: function (r, entry) {
        savedNow = true;
        if (!form.dataset.entryId && form.elements.client_uuid) {
          S.markUsed(rec.client_uuid);
          /* Back to this page (from the history, re-fetched or not) finds the mark and starts a new form. */
          history.replaceState(Object.assign({}, history.state, {silabuSaved: true}), "");
        }
        form.dataset.entryId = entry.id;
      }});
    } catch (e) {
      if (e.network) return saveOffline(rec);
      busy(false);
      if (e.code === "possible_duplicate") {
        setStatus("Entri belum tersimpan.", "is-error");
        askDuplicate(e);
        return;
      }
      var other = e.fields ? showErrors(e.fields) : [e.message];
      /* Only a refusal of the submit step (e.g. evidence required) follows a save; a 409 says what the entry is. */
      var prefix = e.status === 409 ? "" : savedNow ? "Entri tersimpan sebagai draf. " :
                   rec.entry_id ? "Perubahan belum tersimpan. " : "Entri belum tersimpan. ";
      setStatus(prefix + (other.length ? other.join(" ") : "Periksa isian yang ditandai merah."), "is-error");
      return;
    }
    chosen = [];
    renderChosen();
    var entry = res.entry;
    if (res.failed.length) {
      busy(false);
      setStatus("Entri tersimpan sebagai draf, tetapi berkas berikut ditolak: " + res.failed.join(" ") +
                " Pilih berkas lain lalu simpan lagi.", "is-error");
      return;
    }
    var submitted = entry.status === "submitted";
    if (submitted) {  /* waiting for the verifier now: nothing on this page may send it again */
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }
    var msg = submitted ? "Entri diajukan ke verifikator." : "Entri tersimpan sebagai draf.";
    var next = submitted ? form.dataset.home : form.dataset.detail.replace(/0$/, entry.id);
    if (res.warnings.length) {
      busy(false);
      setStatus(msg + " Perhatian: " + res.warnings.join(" "), "is-offline");
      var a = document.createElement("a");
      a.href = next; a.className = "btn btn-small"; a.textContent = "Lanjutkan";
      status.appendChild(document.createTextNode(" "));
      status.appendChild(a);
      return;
    }
    S.flashNext(msg, "success");
    window.location.assign(next);
  });
})();
