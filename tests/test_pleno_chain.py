"""The monthly chain a pleno can trust (issue 12): guarded finalization, hasil pleno, one story per packet."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import time_machine
from sqlalchemy import select

from silabu.core.errors import Conflict, ValidationFailed
from silabu.pleno.models import Packet, PacketStatus
from tests.test_pleno_packet import NOW, blob, build
from tests.test_pleno_rollup import PERIOD


def test_packet_lists_each_verified_entry_of_the_month_once(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    ws = openpyxl.load_workbook(io.BytesIO(blob(p, ".xlsx")))["Entri Terverifikasi"]
    headers = [c.value for c in ws[4]]
    assert headers == ["No", "Tanggal", "Nama", "NIP", "Unit", "Kode Output", "Kegiatan", "Output", "Jumlah",
                       "Satuan", "Bukti Dukung", "Diverifikasi oleh", "Waktu Verifikasi"]
    rows = [dict(zip(headers, r)) for r in ws.iter_rows(min_row=5, values_only=True)]
    ani = closed_month["ani"]
    # Ani's three verified entries of KUL (closed); Tono's submitted one of TPH (open) is not there.
    assert [(r["Tanggal"].date(), r["Jumlah"]) for r in rows] == [(date(2026, 10, 5), 2), (date(2026, 10, 6), 3),
                                                                  (date(2026, 10, 7), 4)]
    assert {r["Nama"] for r in rows} == {ani.name} and {r["NIP"] for r in rows} == {ani.nip}
    assert [r["Bukti Dukung"] for r in rows] == [1, 0, 2] and {r["Unit"] for r in rows} == {"KUL"}
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:M7"


def test_finalizing_a_packet_not_yet_presented_is_refused(db, closed_month, rendatin):
    from silabu.pleno.services import finalize

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False), pytest.raises(Conflict) as exc:
        finalize(p, rendatin, "12/BA", "2026-11-05", "", acknowledge_incomplete=True, reason="x")
    assert exc.value.code == "packet_not_presented"
    db.session.rollback()
    assert db.session.get(Packet, p.id).status == PacketStatus.DRAFT


def test_an_open_unit_refuses_finalize_listing_units_and_counts(db, closed_month, rendatin):
    from silabu.pleno.services import finalize, mark_presented

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        db.session.commit()
        with pytest.raises(Conflict) as exc:
            finalize(p, rendatin, "12/BA", "2026-11-05", "Disetujui")
    assert exc.value.code == "incomplete_month"
    # the Sekretariat (only the Sekretaris, who does not log) is never a missing unit
    assert [(u["code"], u["entries"]) for u in exc.value.details["units"]] == [("RDI", 0), ("TPH", 1)]
    assert exc.value.details["entries_missing"] == 1 and "TPH" in exc.value.message
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationFailed) as exc:
        finalize(p, rendatin, "12/BA", "2026-11-05", "Disetujui", acknowledge_incomplete=True, reason="  ")
    assert "reason" in exc.value.fields
    db.session.rollback()
    assert db.session.get(Packet, p.id).status == PacketStatus.PRESENTED


def test_an_acknowledged_incomplete_month_is_final_with_its_reason_and_what_was_missing(db, closed_month, rendatin):
    from silabu.core.audit import history
    from silabu.pleno.services import finalize, mark_presented

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        finalize(p, rendatin, "12/BA", "2026-11-05", "Disetujui", acknowledge_incomplete=True,
                 reason="TPH menutup bulan terlambat; menyusul.")
        db.session.commit()
    p = db.session.get(Packet, p.id)
    assert p.status == PacketStatus.FINAL and p.incomplete_reason == "TPH menutup bulan terlambat; menyusul."
    assert [u["code"] for u in p.incomplete_detail["units"]] == ["RDI", "TPH"]
    event = history("packets", p.id)[-1]
    assert event.action == "packet.finalize" and event.after["incomplete"]["units"] == ["RDI", "TPH"]


def test_verified_entries_closed_after_the_build_are_missing_from_the_packet(db, closed_month, rendatin):
    from silabu.entries.models import Entry, EntryStatus
    from silabu.pleno.services import finalize, mark_presented
    from tests.test_pleno_rollup import close

    p = build(PERIOD, rendatin)
    tono_entry = db.session.scalar(select(Entry).where(Entry.user_id == closed_month["tono"].id))
    tono_entry.status = EntryStatus.VERIFIED
    close(db, "TPH")
    close(db, "RDI")
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        with pytest.raises(Conflict) as exc:
            finalize(p, rendatin, "12/BA", "2026-11-05", "")
    assert exc.value.details["units"] == [{"code": "TPH", "name": "Sub Bagian Teknis dan Hupmas", "is_closed": True,
                                          "entries": 1, "verified_not_in_packet": 1}]
    db.session.rollback()
    # a rebuild takes them in; that version, presented, is finalized without any acknowledgement
    p2 = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(p2, rendatin)
        finalize(p2, rendatin, "12/BA", "2026-11-05", "")
        db.session.commit()
    assert p2.status == PacketStatus.FINAL and p2.incomplete_reason is None and p2.incomplete_detail is None


def test_the_build_page_says_beforehand_what_will_be_missing(db, client, closed_month, rendatin, login_as):
    with time_machine.travel(NOW, tick=False):
        login_as(rendatin)
        html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
    assert "Bila disusun sekarang:" in html and "2 dari 3 unit belum menutup bulan" in html
    assert "TPH (Sub Bagian Teknis dan Hupmas): bulan unit belum ditutup; 1 entri di luar paket" in html
    assert "SEK (" not in html


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_finalizing_issues_the_hasil_pleno_pdf_and_a_final_manifest_covering_it(db, closed_month, rendatin,
                                                                                make_user):
    import hashlib
    import json

    from silabu.pleno.services import finalize, mark_presented

    make_user("SEK", "ketua", name="Ketua Komisi", nip="197001011995031001")
    p = build(PERIOD, rendatin)
    before = {f.name: f.sha256 for f in p.files}
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        finalize(p, rendatin, "12/PL.01-BA/3319/2026", "2026-11-05",
                 "Hadir: Ketua, Sekretaris, Kasubag. Disepakati tanpa koreksi.", acknowledge_incomplete=True,
                 reason="TPH menutup bulan terlambat; menyusul.")
        db.session.commit()
    p = db.session.get(Packet, p.id)
    names = [f.name for f in p.files]
    assert names[-2:] == [f"hasil-pleno-{PERIOD}-v1.pdf", f"manifest-final-{PERIOD}-v1.json"]
    assert {f.name: f.sha256 for f in p.files if f.name in before} == before  # what was presented is unchanged
    text = _pdf_text(blob(p, f"hasil-pleno-{PERIOD}-v1.pdf"))
    for expected in ("FINAL", "12/PL.01-BA/3319/2026", "5 November 2026", "Oktober 2026",
                     "Hadir: Ketua, Sekretaris, Kasubag. Disepakati tanpa koreksi.",
                     "TPH menutup bulan terlambat; menyusul.", "TPH – Sub Bagian Teknis dan Hupmas", "Belum ditutup",
                     "Ketua Komisi", "Sekretaris Satker", "Kasubag Perencanaan", f"rekap-{PERIOD}-v1.xlsx"):
        assert expected in text, expected
    manifest = json.loads(blob(p, f"manifest-final-{PERIOD}-v1.json"))
    assert manifest["status"] == "final" and manifest["berita_acara_number"] == "12/PL.01-BA/3319/2026"
    assert manifest["incomplete"]["reason"] == "TPH menutup bulan terlambat; menyusul."
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert listed == {f.name: f.sha256 for f in p.files if f.name != f"manifest-final-{PERIOD}-v1.json"}
    for f in p.files:
        assert hashlib.sha256(blob(p, f.name)).hexdigest() == f.sha256


def test_a_complete_month_final_pdf_says_so(db, closed_month, rendatin):
    from silabu.pleno.services import finalize, mark_presented
    from tests.test_pleno_rollup import close

    close(db, "TPH")
    close(db, "RDI")
    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        finalize(p, rendatin, "12/BA", "2026-11-05", "")
        db.session.commit()
    text = _pdf_text(blob(p, f"hasil-pleno-{PERIOD}-v1.pdf"))
    assert "Seluruh unit sudah menutup bulan" in text and "Alasan" not in text


def _sheet_rows(data: bytes, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    headers = [c.value for c in ws[4]]
    return [dict(zip(headers, r)) for r in ws.iter_rows(min_row=5, values_only=True) if r[0] is not None]


def test_a_unit_without_staff_who_log_is_not_belum_anywhere(db, closed_month, rendatin):
    from silabu.pleno.services import year_overview

    p = build(PERIOD, rendatin)
    s = p.summary
    assert (s["units_total"], s["units_closed"], s["units_open"]) == (3, 1, ["RDI", "TPH"])
    assert [u["code"] for u in s["units"]] == ["KUL", "RDI", "TPH"]
    data = blob(p, ".xlsx")
    assert [r["Kode Unit"] for r in _sheet_rows(data, "Per Unit")] == ["KUL", "RDI", "TPH"]
    assert [r["Unit"] for r in _sheet_rows(data, "Perbandingan")] == ["KUL", "RDI", "TPH"]
    text = _pdf_text(blob(p, f"bahan-pleno-{PERIOD}-v1.pdf"))
    assert "1 dari 3" in text and "SEK – Sekretariat" not in text and "Lampiran: Unit SEK" not in text
    assert "Lampiran: Unit HSD" not in text and "Lampiran: Unit KUL" in text
    october = next(m for m in year_overview(2026) if m["month"] == PERIOD)
    assert (october["units_closed"], october["units_total"]) == (1, 3)


def test_quantities_are_summed_only_within_one_unit_of_measure(db, closed_month, rendatin):
    from tests.test_pleno_rollup import add_entry, close

    ani = closed_month["ani"]
    add_entry(db, ani, date(2026, 10, 8), qty=5, uom="Kegiatan")
    add_entry(db, ani, date(2026, 9, 15), qty=1, uom="Dokumen")
    close(db, "KUL", "2026-09")
    p = build(PERIOD, rendatin)
    assert p.summary["quantity_by_unit"] == {"Dokumen": 9, "Kegiatan": 5} and "quantity_total" not in p.summary
    assert p.summary["units"][0]["quantity_by_unit"] == {"Dokumen": 9, "Kegiatan": 5}
    data = blob(p, ".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    headers = {c.value for ws in wb.worksheets for row in ws.iter_rows(max_row=5) for c in row if c.value}
    assert not any("semua satuan" in str(h) for h in headers)
    kul = _sheet_rows(data, "Per Unit")[0]
    assert (kul["Output (Dokumen)"], kul["Output (Kegiatan)"], kul["Output per Satuan"]) == (9, 5, "9 Dokumen; 5 Kegiatan")
    asn = next(r for r in _sheet_rows(data, "Per ASN") if r["Nama"] == ani.name)
    assert (asn["Output (Dokumen)"], asn["Output (Kegiatan)"]) == (9, 5)
    assert all(14 not in r.values() for r in _sheet_rows(data, "Per Unit") + _sheet_rows(data, "Per ASN"))
    deltas = {(r["Unit"], r["Satuan"]): (r["Output Bulan Lalu"], r["Output Bulan Ini"], r["Selisih Output"])
              for r in _sheet_rows(data, "Perbandingan Output")}
    assert deltas == {("KUL", "Dokumen"): (1, 9, 8), ("KUL", "Kegiatan"): (0, 5, 5)}
    text = _pdf_text(blob(p, f"bahan-pleno-{PERIOD}-v1.pdf"))
    assert "semua satuan" not in text and "9 Dokumen; 5 Kegiatan" in text


def test_the_packet_carries_each_closed_units_softfile_pdf(db, closed_month, rendatin, make_kasubag):
    import json

    make_kasubag("KUL", name="Kasubag Keuangan", nip="198202022006041003")
    p = build(PERIOD, rendatin)
    names = [f.name for f in p.files]
    assert f"softfile-KUL-{PERIOD}-v1.pdf" in names and f"softfile-TPH-{PERIOD}-v1.pdf" not in names  # TPH is open
    text = _pdf_text(blob(p, f"softfile-KUL-{PERIOD}-v1.pdf"))
    assert "DATA KINERJA ASN HASIL VERIFIKASI" in text and "Ani Wibisono" in text and "Bulan ditutup" in text
    assert "Kasubag Keuangan" in text and "198202022006041003" in text
    manifest = json.loads(blob(p, f"manifest-{PERIOD}-v1.json"))
    assert f"softfile-KUL-{PERIOD}-v1.pdf" in {f["name"] for f in manifest["files"]}


def test_a_correction_pleno_supersedes_a_final_packet_keeping_the_old_one(db, closed_month, rendatin):
    from silabu.lkj.services import latest_packets
    from silabu.pleno.services import build_packet, final_packet, final_periods, finalize, mark_presented
    from tests.test_pleno_rollup import close

    close(db, "TPH")
    close(db, "RDI")
    v1 = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(v1, rendatin)
        finalize(v1, rendatin, "12/PL.01-BA/3319/2026", "2026-11-05", "")
        db.session.commit()
        with pytest.raises(Conflict) as exc:
            build_packet(PERIOD, rendatin)
        assert exc.value.code == "packet_final"
        with pytest.raises(Conflict):
            build_packet(PERIOD, None, correction_reason="jadwal")  # the scheduler never opens a correction
        v2 = build_packet(PERIOD, rendatin, correction_reason="Jumlah dokumen KUL salah ketik.")
        db.session.commit()
    assert (v2.version, v2.status, v2.supersedes_version) == (2, PacketStatus.DRAFT, 1)
    # while the correction is under way, the month stays final with version 1
    assert final_periods(2026) == [PERIOD] and final_packet(PERIOD).version == 1
    assert latest_packets(2026)[PERIOD].version == 1
    with time_machine.travel(NOW, tick=False):
        mark_presented(v2, rendatin)
        with pytest.raises(ValidationFailed) as exc:
            finalize(v2, rendatin, "12/PL.01-BA/3319/2026", "2026-11-05", "")
        assert "berita_acara_number" in exc.value.fields
        finalize(v2, rendatin, "13/PL.01-BA/3319/2026", "2026-11-05", "Koreksi disetujui.")
        db.session.commit()
    v1 = db.session.get(Packet, v1.id)
    assert v1.status == PacketStatus.SUPERSEDED and v1.superseded_at is not None
    assert v1.berita_acara_number == "12/PL.01-BA/3319/2026" and len(v1.files) > 0  # kept, files and all
    assert final_packet(PERIOD).version == 2 and latest_packets(2026)[PERIOD].version == 2
    assert final_periods(2026) == [PERIOD]
    text = _pdf_text(blob(v2, f"hasil-pleno-{PERIOD}-v2.pdf"))
    assert "13/PL.01-BA/3319/2026" in text and "menggantikan paket versi 1" in text
    assert "Jumlah dokumen KUL salah ketik." in text
    with time_machine.travel(NOW, tick=False), pytest.raises(Conflict):
        mark_presented(v1, rendatin)


def test_a_correction_through_the_api(client, closed_month, rendatin, api_token):
    from tests.test_pleno_rollup import close

    close(db_session(), "TPH")
    close(db_session(), "RDI")
    with time_machine.travel(NOW, tick=False):
        h = api_token(rendatin)
        client.post(f"/api/v1/packets/{PERIOD}/build", headers=h)
        client.post(f"/api/v1/packets/{PERIOD}/present", headers=h, json={})
        r = client.post(f"/api/v1/packets/{PERIOD}/finalize", headers=h,
                        json={"berita_acara_number": "12/BA", "pleno_date": "2026-11-05"})
        assert r.status_code == 200
        assert client.post(f"/api/v1/packets/{PERIOD}/build", headers=h).status_code == 409
        r = client.post(f"/api/v1/packets/{PERIOD}/build", headers=h, json={"correction_reason": "Salah ketik."})
    assert r.status_code == 201 and r.json["version"] == 2 and r.json["supersedes_version"] == 1
    assert r.json["correction_reason"] == "Salah ketik."


def db_session():
    from silabu.extensions import db

    return db


def test_the_correction_pleno_from_the_pages(db, client, closed_month, rendatin, login_as):
    from tests.test_pleno_rollup import close

    close(db, "TPH")
    close(db, "RDI")
    with time_machine.travel(NOW, tick=False):
        login_as(rendatin)
        client.post(f"/pleno/{PERIOD}/susun")
        client.post(f"/pleno/{PERIOD}/v1/dipaparkan")
        r = client.post(f"/pleno/{PERIOD}/v1/final", data={"berita_acara_number": "12/BA", "pleno_date": "2026-11-05"})
        assert r.status_code == 302
        html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
        assert "Pleno koreksi" in html and "Alasan koreksi" in html and f"hasil-pleno-{PERIOD}-v1.pdf" in html
        r = client.post(f"/pleno/{PERIOD}/susun", data={"correction_reason": "Jumlah KUL salah."})
        assert r.status_code == 302
        html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
        assert "Koreksi v2: draf (v1 tetap final)" in html and "mengoreksi versi final 1: Jumlah KUL salah." in html
        overview = client.get("/pleno/?year=2026").get_data(as_text=True)
    assert "Koreksi v2: draf (v1 tetap final)" in overview


def test_a_month_that_has_not_begun_is_not_built_on_any_path(client, rendatin, login_as, api_token):
    """The pleno index never offered a month ahead, but the month page, the API and the service did: an empty
    packet of a month nobody has worked in yet. Refused everywhere, nothing written."""
    import time_machine

    from silabu.extensions import db
    from silabu.pleno import services
    from silabu.pleno.models import Packet

    with time_machine.travel("2026-11-18 09:00 +07:00", tick=False):
        with pytest.raises(Conflict) as refused:
            services.build_packet("2026-12", rendatin)
        assert refused.value.code == "month_not_started"
        db.session.rollback()
        resp = client.post("/api/v1/packets/2026-12/build", headers=api_token(rendatin))
        assert resp.status_code == 409 and resp.json["error"]["code"] == "month_not_started"
        login_as(rendatin)
        page = client.get("/pleno/2026-12").get_data(as_text=True)
        assert "belum dimulai" in page and "Susun sekarang" not in page
        assert db.session.query(Packet).count() == 0
