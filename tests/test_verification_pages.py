"""SOP step 3 through the pages: the Kasubag's queue, verify/return, verify-all, close/reopen, exports,
the Sekretaris's oversight and the Plh/Plt page."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import openpyxl
import pytest
import time_machine
from conftest import PDF
from PIL import Image
from sqlalchemy import select

from silabu.core.audit import history
from silabu.entries.evidence import add_evidence
from silabu.entries.models import Entry, EntryStatus
from silabu.verification import services

DEC_1 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOV = "2026-11"


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 120, 90)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.fixture()
def frozen():
    with time_machine.travel(DEC_1, tick=False):
        yield


@pytest.fixture()
def kul(frozen, make_kasubag, make_asn, make_entry, db):
    kasubag = make_kasubag("KUL", name="Agus Pratama")
    ani = make_asn("KUL", name="Ani Wulandari")
    budi = make_asn("KUL", name="Budi Santoso")
    ani_entries = [make_entry(ani, date(2026, 11, d)) for d in (2, 3)]
    add_evidence(ani_entries[0], ani, "daftar_hadir.jpg", _jpeg())
    add_evidence(ani_entries[0], ani, "notulen.pdf", PDF)
    db.session.commit()
    from silabu.entries import services as entries

    for e in ani_entries:
        entries.submit_entry(e, ani)
    budi_entries = [make_entry(budi, date(2026, 11, d), "submitted") for d in (4, 5)]
    db.session.commit()
    return kasubag, ani, budi, ani_entries, budi_entries


def _queue_url(asn=None, **kw):
    url = f"/verifikasi/KUL/{NOV}"
    params = ([f"asn={asn}"] if asn else []) + [f"{k}={v}" for k, v in kw.items()]
    return url + ("?" + "&".join(params) if params else "")


def test_queue_page_groups_by_asn_with_evidence_and_empty_days(kul, login_as):
    kasubag, ani, budi, ani_entries, _ = kul
    client = login_as(kasubag)
    resp = client.get(_queue_url())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Ani Wulandari" in html and "Budi Santoso" in html
    assert 'loading="lazy"' in html and "<dialog" in html
    assert 'target="_blank"' in html and "notulen.pdf" in html
    assert "Hari kerja tanpa entri (19)" in html  # 21 working days in November, Ani filled 2
    # the 19 empty days after Ani's two are one row, not 19 (the first entry stays on a phone's first screen)
    assert "Rabu, 4 November 2026 s.d. Senin, 30 November 2026" in html
    assert "Tidak ada entri pada 19 hari kerja ini." in html and html.count("v-day-empty") == 1
    assert f'name="version" value="{ani_entries[0].version}"' in html
    assert "verification.css" in html and "verification.js" in html
    assert "<script>" not in html and ' style="' not in html and " onclick=" not in html
    assert "Senin, 2 November 2026" in html


def test_asn_and_other_units_kasubag_do_not_see_the_queue(kul, make_kasubag, client, login_as):
    _, ani, *_ = kul
    login_as(ani)
    resp = client.get(_queue_url())
    assert resp.status_code == 403 and "hanya dapat dibuka oleh Kepala Sub Bagian unit itu" in resp.get_data(True)
    resp = client.get("/verifikasi/")
    assert resp.status_code == 403 and "Halaman verifikasi hanya untuk Kepala Sub Bagian" in resp.get_data(True)
    client.post("/keluar")
    login_as(make_kasubag("TPH"))
    # another unit's queue exists and is named on the page: refused with the reason, in Bahasa Indonesia
    resp = client.get(_queue_url())
    page = resp.get_data(as_text=True)
    reason = ("Antrean verifikasi Sub Bagian Keuangan, Umum dan Logistik hanya dapat dibuka oleh Kepala Sub Bagian "
              "unit itu (atau Plh/Plt-nya) dan Sekretaris.")
    assert resp.status_code == 403 and reason in page
    assert client.get(f"/verifikasi/KUL/{NOV}/data-kinerja.xlsx").status_code == 403
    # a unit that does not exist is the only "Unit tidak ditemukan"
    resp = client.get(f"/verifikasi/XYZ/{NOV}")
    assert resp.status_code == 404 and "Unit tidak ditemukan." in resp.get_data(as_text=True)
    # another unit's entry is not visible to this Kasubag in any form: 404
    assert client.post(f"/verifikasi/entri/{kul[3][0].id}/verifikasi", data={}).status_code == 404


def test_verify_from_the_page_with_the_seen_version(kul, login_as, db):
    kasubag, ani, _, ani_entries, _ = kul
    client = login_as(kasubag)
    entry = ani_entries[0]
    resp = client.post(f"/verifikasi/entri/{entry.id}/verifikasi",
                       data={"version": entry.version, "next_entry": ani_entries[1].id})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#e{ani_entries[1].id}")
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == EntryStatus.VERIFIED


def test_page_with_a_stale_version_does_not_overwrite_the_other_verifier(kul, login_as, db):
    kasubag, ani, _, ani_entries, _ = kul
    entry = ani_entries[0]
    seen = entry.version
    services.return_entry(entry, kasubag, "Kurang foto.")
    db.session.commit()
    client = login_as(kasubag)
    resp = client.post(f"/verifikasi/entri/{entry.id}/verifikasi", data={"version": seen}, follow_redirects=True)
    assert "baru saja diubah" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == EntryStatus.RETURNED


def test_return_without_a_note_rerenders_the_form_with_the_message(kul, login_as, db):
    kasubag, _, _, ani_entries, _ = kul
    client = login_as(kasubag)
    entry = ani_entries[0]
    resp = client.post(f"/verifikasi/entri/{entry.id}/kembalikan", data={"version": entry.version, "note": " "})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Catatan wajib diisi" in html and 'aria-invalid="true"' in html
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == EntryStatus.SUBMITTED
    resp = client.post(f"/verifikasi/entri/{entry.id}/kembalikan",
                       data={"version": entry.version, "note": "Lampirkan daftar hadir."})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).return_note == "Lampirkan daftar hadir."


def test_verify_all_then_the_queue_moves_to_the_next_asn(kul, login_as, db):
    kasubag, ani, budi, ani_entries, budi_entries = kul
    client = login_as(kasubag)
    resp = client.post(f"/verifikasi/KUL/{NOV}/asn/{ani.id}/verifikasi-semua")
    # The answer is Budi's queue page itself (one request per ASN), with what was done said on it.
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert f"2 entri {ani.name} diverifikasi." in page
    assert f'action="/verifikasi/KUL/{NOV}/asn/{budi.id}/verifikasi-semua"' in page
    assert "Verifikasi semua (<span data-waiting>2</span>)" in page
    db.session.expire_all()
    assert all(db.session.get(Entry, e.id).status == EntryStatus.VERIFIED for e in ani_entries)
    assert all(db.session.get(Entry, e.id).status == EntryStatus.SUBMITTED for e in budi_entries)
    assert "data-waiting>2<" in client.get(_queue_url(budi.id)).get_data(as_text=True)


def test_verify_all_of_the_last_asn_shows_the_month_ready_to_close(kul, login_as, db):
    kasubag, ani, budi, *_ = kul
    client = login_as(kasubag)
    client.post(f"/verifikasi/KUL/{NOV}/asn/{ani.id}/verifikasi-semua")
    resp = client.post(f"/verifikasi/KUL/{NOV}/asn/{budi.id}/verifikasi-semua")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Semua entri yang dapat Anda verifikasi bulan ini sudah selesai." in page
    assert "verifikasi-semua" not in page and f'action="/verifikasi/KUL/{NOV}/tutup"' in page
    again = client.post(f"/verifikasi/KUL/{NOV}/asn/{budi.id}/verifikasi-semua")  # a re-sent form changes nothing
    assert again.status_code == 200 and f"Tidak ada entri {budi.name} yang menunggu verifikasi." in again.get_data(
        as_text=True)


def test_close_and_reopen_from_the_pages(kul, login_as, db):
    kasubag, ani, budi, *_ = kul
    client = login_as(kasubag)
    resp = client.post(f"/verifikasi/KUL/{NOV}/tutup", follow_redirects=True)
    assert "Masih ada 4 entri yang menunggu verifikasi" in resp.get_data(as_text=True)
    assert not services.month_is_closed(kasubag.unit_id, NOV)
    for owner in (ani, budi):
        client.post(f"/verifikasi/KUL/{NOV}/asn/{owner.id}/verifikasi-semua")
    resp = client.post(f"/verifikasi/KUL/{NOV}/tutup", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "ditutup" in html and "Buka kembali" in html
    assert services.month_is_closed(kasubag.unit_id, NOV)
    resp = client.post(f"/verifikasi/KUL/{NOV}/buka-kembali", data={"reason": ""})
    assert resp.status_code == 422 and "Alasan membuka kembali wajib diisi." in resp.get_data(as_text=True)
    resp = client.post(f"/verifikasi/KUL/{NOV}/buka-kembali", data={"reason": "Koreksi jumlah."})
    assert resp.status_code == 302
    db.session.expire_all()
    assert not services.month_is_closed(kasubag.unit_id, NOV)


def test_entry_page_shows_the_whole_history(kul, login_as, db):
    kasubag, ani, _, ani_entries, _ = kul
    entry = ani_entries[0]
    services.return_entry(entry, kasubag, "Kurang foto.")
    db.session.commit()
    from silabu.entries import services as entries

    entries.submit_entry(entry, ani)
    db.session.commit()
    html = login_as(kasubag).get(f"/verifikasi/entri/{entry.id}").get_data(as_text=True)
    for label in ("Dibuat", "Diajukan", "Dikembalikan", "Diajukan ulang", "Kurang foto."):
        assert label in html
    assert len(history("entries", entry.id)) == 4


def test_exports_are_the_softfile_with_kop_table_per_asn_and_signature(kul, login_as, db):
    kasubag, ani, budi, *_ = kul
    services.verify_all(ani, NOV, kasubag)
    db.session.commit()
    client = login_as(kasubag)
    resp = client.get(f"/verifikasi/KUL/{NOV}/data-kinerja.xlsx")
    assert resp.status_code == 200 and "spreadsheetml" in resp.mimetype
    assert "data-kinerja-terverifikasi-KUL-2026-11.xlsx" in resp.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["Rekap", "Rincian"]
    rekap = [str(c) for row in book["Rekap"].iter_rows(values_only=True) for c in row if c is not None]
    assert "KPU KABUPATEN KUDUS" in rekap and "Jl. Ganesha No. 4, Kudus" in rekap
    assert "DATA KINERJA ASN HASIL VERIFIKASI" in rekap and "Bulan: November 2026" in rekap
    assert "Ani Wulandari" in rekap and "Budi Santoso" in rekap
    # November is still open: a provisional softfile that says so, with no signature block
    assert any(c.startswith("DOKUMEN SEMENTARA") for c in rekap) and f"NIP. {kasubag.nip}" not in rekap
    rincian = list(book["Rincian"].iter_rows(values_only=True))
    assert rincian[0][:4] == ("No", "Tanggal", "Nama", "NIP") and book["Rincian"].freeze_panes == "A2"
    assert {(r[2], r[3]) for r in rincian[1:]} == {(ani.name, ani.nip)} and len(rincian) == 3  # Budi's still wait
    assert rincian[1][1] == datetime(2026, 11, 2) and book["Rincian"].auto_filter.ref == "A1:O3"
    pdf = client.get(f"/verifikasi/KUL/{NOV}/data-kinerja.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert len(pdf.data) > 2000


def test_oversight_page_is_for_the_sekretaris_and_shows_overdue_units(kul, make_user, client, login_as):
    kasubag = kul[0]
    login_as(kasubag)
    assert client.get("/verifikasi/pantauan").status_code == 403
    client.post("/keluar")
    sekretaris = make_user("SEK", "sekretaris")
    with time_machine.travel(datetime(2026, 12, 4, 3, 0, tzinfo=UTC), tick=False):
        login_as(sekretaris)
        html = client.get(f"/verifikasi/pantauan?month={NOV}").get_data(as_text=True)
    assert "1 unit terlambat" in html and "KUL (4 menunggu)" in html and "Terlambat" in html


def test_admin_appoints_a_plh_who_then_verifies_on_behalf_of_the_unit(kul, make_user, make_kasubag, client,
                                                                       login_as, db):
    kasubag, ani, _, ani_entries, _ = kul
    plh = make_kasubag("TPH", name="Nur Nugroho")
    login_as(kasubag)
    assert client.get("/verifikasi/delegasi").status_code == 403
    client.post("/keluar")
    login_as(make_user("SEK", "admin"))
    bad = client.post("/verifikasi/delegasi", data={"unit_id": kasubag.unit_id, "delegate_id": plh.id, "kind": "Plh",
                                                    "start_date": "2026-12-05", "end_date": "2026-12-01"})
    assert bad.status_code == 422 and "tidak boleh sebelum" in bad.get_data(as_text=True)
    ok = client.post("/verifikasi/delegasi", data={"unit_id": kasubag.unit_id, "delegate_id": plh.id, "kind": "Plh",
                                                   "start_date": "2026-12-01", "end_date": "2026-12-04",
                                                   "reason": "Kasubag cuti"})
    assert ok.status_code == 302
    client.post("/keluar")
    login_as(plh)
    assert client.get(_queue_url()).status_code == 200
    entry = ani_entries[0]
    client.post(f"/verifikasi/entri/{entry.id}/verifikasi", data={"version": entry.version})
    ev = history("entries", entry.id)[-1]
    assert ev.action == "entry.verify" and ev.actor_id == plh.id
    assert ev.on_behalf_of == "a.n. Sub Bagian Keuangan, Umum dan Logistik"


def test_index_lists_the_units_to_verify(kul, login_as):
    html = login_as(kul[0]).get(f"/verifikasi/?month={NOV}").get_data(as_text=True)
    assert "Sub Bagian Keuangan, Umum dan Logistik" in html and "4 menunggu Anda" in html
    assert re.search(r"Masa verifikasi November 2026: 30 November 2026 s\.d\. 3 Desember 2026", html)


def test_full_verification_of_a_unit_month_takes_few_requests(kul, login_as, db):
    """The queue page, then one verify-all per ASN (each answers with the next ASN's page), then close: the path
    the benchmark measures. At most one request per ASN plus opening the queue and the close."""
    kasubag, ani, budi, *_ = kul
    client = login_as(kasubag)
    page = client.get(_queue_url())
    requests = 1
    while True:
        m = re.search(r'action="(/verifikasi/KUL/2026-11/asn/\d+/verifikasi-semua)"', page.get_data(as_text=True))
        if not m:
            break
        page = client.post(m.group(1))
        requests += 1
        assert page.status_code == 200
    assert f'action="/verifikasi/KUL/{NOV}/tutup"' in page.get_data(as_text=True)
    client.post(f"/verifikasi/KUL/{NOV}/tutup")
    requests += 1
    assert services.month_is_closed(kasubag.unit_id, NOV)
    assert requests == 1 + 2 + 1
    assert not db.session.scalars(select(Entry).where(Entry.status == EntryStatus.SUBMITTED)).all()


def test_page_script_verifies_through_the_api_with_the_session_and_csrf_token(kul, app, login_as, db):
    kasubag, _, _, ani_entries, _ = kul
    client = login_as(kasubag)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get(_queue_url()).get_data(as_text=True)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        entry = ani_entries[0]
        api = re.search(rf'data-api="(/api/v1/entries/{entry.id}/verify)"', html).group(1)
        refused = client.post(api, json={"version": entry.version})
        assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
        resp = client.post(api, json={"version": entry.version}, headers={"X-CSRFToken": token})
        assert resp.status_code == 200 and resp.json["status"] == "verified"
        again = client.post(f"/api/v1/entries/{entry.id}/return", json={"note": "x", "version": entry.version},
                            headers={"X-CSRFToken": token})
        assert again.status_code == 409 and again.json["error"]["entry"]["status"] == "verified"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_index_points_to_other_months_with_waiting_entries(kul, make_entry, login_as):
    kasubag, ani, *_ = kul
    make_entry(ani, date(2026, 12, 1), "submitted")
    html = login_as(kasubag).get(f"/verifikasi/?month={NOV}").get_data(as_text=True)
    assert "Juga menunggu verifikasi Anda" in html and "Desember 2026 (1 entri)" in html
    assert services.waiting_by_period(kasubag) == {NOV: 4, "2026-12": 1}


def _staff_state(page: str, name: str) -> str:
    """The state pill of ``name`` in the queue's staff list, as the reader sees it."""
    item = re.search(r'<span class="v-asn-name">' + re.escape(name) + r'</span>\s*<span class="v-asn-meta small">'
                     r'<span data-asn-state><span class="status [\w-]+">([^<]+)</span>', page)
    assert item, f"{name} is not in the staff list"
    return item.group(1)


def test_selesai_in_the_staff_list_means_nothing_left_to_verify_and_nothing_unsubmitted(kul, login_as, make_entry,
                                                                                        db):
    kasubag, ani, budi, *_ = kul
    make_entry(budi, date(2026, 11, 6))  # a draft Budi never handed in
    db.session.commit()
    client = login_as(kasubag)
    page = client.get(_queue_url()).get_data(as_text=True)
    assert _staff_state(page, ani.name) == "2 menunggu" and _staff_state(page, budi.name) == "2 menunggu"
    client.post(f"/verifikasi/KUL/{NOV}/asn/{ani.id}/verifikasi-semua")
    page = client.post(f"/verifikasi/KUL/{NOV}/asn/{budi.id}/verifikasi-semua").get_data(as_text=True)
    assert _staff_state(page, ani.name) == "selesai"
    assert _staff_state(page, budi.name) == "1 belum diajukan"  # nothing to verify, but a draft is left


def test_without_javascript_a_verify_answers_with_the_counts_already_updated(kul, login_as, db):
    kasubag, ani, _, ani_entries, _ = kul
    client = login_as(kasubag)
    page = client.get(_queue_url(ani.id)).get_data(as_text=True)
    assert "Hanya menunggu (<span data-waiting>2</span>)" in page and 'data-count="submitted">4<' in page
    resp = client.post(f"/verifikasi/entri/{ani_entries[0].id}/verifikasi", data={"version": ani_entries[0].version},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Hanya menunggu (<span data-waiting>1</span>)" in page
    assert 'data-count="submitted">3<' in page  # the unit's count, in the month card
    assert _staff_state(page, ani.name) == "1 menunggu"


def test_verify_all_is_one_button_label(kul, login_as):
    kasubag, ani, budi, *_ = kul
    page = login_as(kasubag).get(_queue_url(ani.id)).get_data(as_text=True)
    # one label inside the button: the flex button lays out one block, not three pieces of text
    assert ('<button type="submit" class="btn btn-ok btn-block v-btn"><span class="v-btn-label">Verifikasi semua '
            f'(<span data-waiting>2</span>) lalu lanjut ke {budi.name}</span></button>') in page


def test_a_fully_verified_open_month_offers_the_close_and_its_deadline_not_an_empty_queue(kul, login_as):
    kasubag, ani, budi, *_ = kul
    client = login_as(kasubag)
    page = client.get(f"/verifikasi/?month={NOV}").get_data(as_text=True)
    assert "4 menunggu Anda" in page and "Siap ditutup" not in page
    client.post(f"/verifikasi/KUL/{NOV}/asn/{ani.id}/verifikasi-semua")
    client.post(f"/verifikasi/KUL/{NOV}/asn/{budi.id}/verifikasi-semua")
    page = client.get(f"/verifikasi/?month={NOV}").get_data(as_text=True)
    assert "Tidak ada antrean" not in page and "Siap ditutup" in page
    assert "Batas penutupan: <strong>Kamis, 3 Desember 2026</strong>" in page
    assert f'action="/verifikasi/KUL/{NOV}/tutup"' in page and "Tutup bulan November 2026</button>" in page
    queue = client.get(_queue_url()).get_data(as_text=True)
    assert "Tutup bulan paling lambat Kamis, 3 Desember 2026" in queue
    assert re.search(r'<form method="post" action="/verifikasi/KUL/2026-11/tutup" class="v-close" data-confirm', queue)


def test_an_entry_read_in_the_pleno_packets_is_refused_with_the_reason_others_stay_not_found(kul, rendatin, login_as,
                                                                                            db):
    kasubag, ani, _, ani_entries, budi_entries = kul
    services.verify_entry(ani_entries[0], kasubag)
    db.session.commit()
    client = login_as(rendatin)
    resp = client.get(f"/verifikasi/entri/{ani_entries[0].id}")
    assert resp.status_code == 403 and "data entri yang sudah diverifikasi Anda baca di paket pleno bulanan" in \
        resp.get_data(as_text=True)
    assert client.get(f"/api/v1/entries/{ani_entries[0].id}").status_code == 403
    # a submitted entry is in no packet: for Rendatin it does not exist, like one that never did
    assert client.get(f"/verifikasi/entri/{budi_entries[0].id}").status_code == 404
    assert client.get("/verifikasi/entri/999999").status_code == 404
