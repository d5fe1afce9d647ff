"""The monthly pleno packet (SOP Kudus steps 5-6): versions, files, the pleno's outcome, who may do what."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import threading
import zipfile
from datetime import date

import openpyxl
import pytest
import time_machine
from sqlalchemy import func, select

from silabu.core.errors import Conflict, Forbidden, ValidationFailed
from silabu.pleno.models import Packet, PacketStatus
from tests.test_pleno_rollup import PERIOD, add_entry, close

NOW = "2026-11-05 09:00 +07:00"


def blob(packet, suffix: str) -> bytes:
    from silabu.evidence.storage import get_storage

    f = next(f for f in packet.files if f.name.endswith(suffix))
    with get_storage().open(f.storage_key) as fh:
        return fh.read()


def xlsx_row(data: bytes, name: str):
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            if any(isinstance(v, str) and name in v for v in row):
                return [v for v in row if isinstance(v, (int, float))]
    return None


def build(period, actor):
    from silabu.extensions import db
    from silabu.pleno.services import build_packet

    with time_machine.travel(NOW, tick=False):
        packet = build_packet(period, actor)
        db.session.commit()
    return packet


def test_build_creates_version_one_with_xlsx_pdf_evidence_and_manifest(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    assert (p.version, p.status) == (1, PacketStatus.DRAFT)
    names = sorted(f.name for f in p.files)
    assert names == sorted([f"rekap-{PERIOD}-v1.xlsx", f"bahan-pleno-{PERIOD}-v1.pdf",
                            f"indeks-bukti-{PERIOD}-v1.csv", f"bukti-{PERIOD}-v1.zip", f"manifest-{PERIOD}-v1.json",
                            f"softfile-KUL-{PERIOD}-v1.pdf"])
    assert blob(p, ".pdf").startswith(b"%PDF")
    assert p.summary["activities"] == 3 and p.summary["missing_entries"] == 1


def test_every_packet_file_sha256_matches_its_stored_bytes_and_the_manifest(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    for f in p.files:
        data = blob(p, f.name)
        assert hashlib.sha256(data).hexdigest() == f.sha256 and len(data) == f.size
    manifest = json.loads(blob(p, ".json"))
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert listed == {f.name: f.sha256 for f in p.files if not f.name.endswith(".json")}
    assert manifest["data_sha256"] == p.data_sha256


def test_xlsx_has_the_asns_row_with_verified_activities_and_output_quantity(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    row = xlsx_row(blob(p, ".xlsx"), "Ani Wibisono")
    assert row is not None and 3 in row and 9 in row


def test_xlsx_has_a_sheet_per_view_with_frozen_indonesian_headers(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    wb = openpyxl.load_workbook(io.BytesIO(blob(p, ".xlsx")))
    assert wb.sheetnames == ["Ringkasan", "Per Unit", "Per ASN", "Per Kode Output", "Unit x Kode Output",
                             "Output per Satuan", "Perbandingan", "Perbandingan Output", "Indikator PK",
                             "Belum Masuk Rekap",
                             "Entri Terverifikasi"]
    ws = wb["Per ASN"]
    assert ws.freeze_panes == "A5"
    headers = [c.value for c in ws[4]]
    assert "Nama" in headers and "Kepatuhan Pengisian (%)" in headers and "Kegiatan Terverifikasi" in headers
    col = headers.index("Kegiatan Terverifikasi") + 1
    assert ws.cell(row=5, column=col).number_format == "#,##0"


def test_pdf_has_letterhead_summary_unit_pages_and_signatures(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    pdf = blob(p, ".pdf")
    assert pdf.startswith(b"%PDF")
    from silabu.pleno.services import signatories

    sig = signatories()
    assert sig[0].name == "Kasubag Perencanaan" and sig[0].nip == "198001012005011001"
    assert sig[1].name == "Sekretaris Satker" and sig[1].nip == "197501011999031002"
    # the summary part plus a page per counted unit (KUL, TPH, RDI: staff who log; not SEK nor HSD)
    pages = re.findall(rb"/Type /Page(?![s\w])", pdf)
    assert len(pages) >= 1 + 3


def test_evidence_zip_names_files_by_date_asn_entry_and_number(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    ani = closed_month["ani"]
    names = sorted(zipfile.ZipFile(io.BytesIO(blob(p, ".zip"))).namelist())
    assert len(names) == 3
    assert names[0].startswith(f"2026-10-05_{ani.nip}_") and names[0].endswith("_1.pdf")
    assert any(n.startswith(f"2026-10-07_{ani.nip}_") and n.endswith("_2.pdf") for n in names)
    rows = list(csv.DictReader(io.StringIO(blob(p, ".csv").decode("utf-8-sig"))))
    assert len(rows) == 3 and sorted(r["Nama Berkas dalam ZIP"] for r in rows) == names
    assert all(r["Tautan"].endswith("/file") for r in rows)


def test_evidence_over_the_zip_limit_gives_links_only(db, closed_month, rendatin, app, monkeypatch):
    monkeypatch.setitem(app.config, "PACKET_ZIP_MAX_MB", 0)
    p = build(PERIOD, rendatin)
    assert not any(f.name.endswith(".zip") for f in p.files)
    rows = list(csv.DictReader(io.StringIO(blob(p, ".csv").decode("utf-8-sig"))))
    assert len(rows) == 3 and all(r["Tautan"] and not r["Nama Berkas dalam ZIP"] for r in rows)
    assert p.summary["evidence_index"]["zip"] is False


def test_rebuild_creates_a_new_version_with_the_same_data_hash(db, closed_month, rendatin):
    from silabu.pleno.services import get_packet

    p1 = build(PERIOD, rendatin)
    p2 = build(PERIOD, rendatin)
    assert p2.version == 2 and p2.data_sha256 == p1.data_sha256
    assert xlsx_row(blob(p2, ".xlsx"), "Ani Wibisono") == xlsx_row(blob(p1, ".xlsx"), "Ani Wibisono")
    # earlier versions stay downloadable
    old = get_packet(PERIOD, 1)
    assert blob(old, ".pdf").startswith(b"%PDF")


def test_xlsx_bytes_do_not_change_between_rebuilds_of_the_same_data(db, closed_month, rendatin):
    p1 = build(PERIOD, rendatin)
    p2 = build(PERIOD, rendatin)
    x1, x2 = blob(p1, ".xlsx"), blob(p2, ".xlsx")
    assert hashlib.sha256(x1).hexdigest() == hashlib.sha256(x2).hexdigest()


def test_rebuild_after_a_reopened_month_shows_the_new_figures(db, closed_month, rendatin):
    p1 = build(PERIOD, rendatin)
    close(db, "KUL", closed=False)  # the Kasubag reopened October
    add_entry(db, closed_month["ani"], date(2026, 10, 8), qty=1)
    close(db, "KUL")
    p2 = build(PERIOD, rendatin)
    assert p2.version == 2 and p2.data_sha256 != p1.data_sha256
    assert p2.summary["activities"] == 4 and p1.summary["activities"] == 3


def test_a_month_without_data_gives_an_empty_but_valid_packet_that_says_so(db, rendatin):
    p = build("2026-03", rendatin)
    assert p.summary["is_empty"] is True and "Belum ada data" in p.summary["message"]
    assert blob(p, ".pdf").startswith(b"%PDF")
    wb = openpyxl.load_workbook(io.BytesIO(blob(p, ".xlsx")))
    assert wb["Per Kode Output"]["B5"].value == "Tidak ada data untuk bulan ini."
    assert not any(f.name.endswith(".zip") for f in p.files)


ACK = {"acknowledge_incomplete": True, "reason": "TPH belum menutup bulan; menyusul pada pleno berikut."}


def present_and_finalize(p, actor, number: str, day="2026-11-05", notes: str = "", **kw):
    """Present, then finalize (the closed_month fixture leaves TPH open: the pleno acknowledges it)."""
    from silabu.pleno.services import finalize, mark_presented

    if p.status == PacketStatus.DRAFT:
        mark_presented(p, actor)
    return finalize(p, actor, number, day, notes, **{**ACK, **kw})


def test_a_final_packet_cannot_be_rebuilt(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        present_and_finalize(p, rendatin, "12/PL.01-BA/3319/2026", "2026-11-05", "Disetujui")
        db.session.commit()
    with pytest.raises(Conflict):
        build(PERIOD, rendatin)
    assert db.session.scalar(select(func.count(Packet.id))) == 1


def test_finalizing_needs_the_berita_acara_number(db, closed_month, rendatin):
    from silabu.pleno.services import finalize

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        for number in (None, "", "   "):
            with pytest.raises(ValidationFailed) as exc:
                finalize(p, rendatin, number, "2026-11-05", "")
            assert "berita_acara_number" in exc.value.fields
    db.session.rollback()
    assert db.session.get(Packet, p.id).status == PacketStatus.DRAFT


def test_finalizing_needs_a_pleno_date_that_is_not_in_the_future(db, closed_month, rendatin):
    from silabu.pleno.services import finalize

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        # no date, not a date, tomorrow, before the month, the day before the packet was built
        for day in (None, "kemarin", "2026-11-06", "2026-09-30", "2026-11-04"):
            with pytest.raises(ValidationFailed) as exc:
                finalize(p, rendatin, "12/BA", day, "")
            assert "pleno_date" in exc.value.fields


@pytest.mark.parametrize("roles", ["asn", "asn,kasubag", "ketua"])
def test_only_rendatin_sekretaris_and_admin_build_present_or_finalize(db, closed_month, rendatin, make_user, roles):
    from silabu.pleno.services import build_packet, finalize, mark_presented

    other = make_user("KUL", roles)
    with pytest.raises(Forbidden):
        build_packet(PERIOD, other)
    p = build(PERIOD, rendatin)
    with pytest.raises(Forbidden):
        mark_presented(p, other)
    with pytest.raises(Forbidden):
        finalize(p, other, "12/BA", "2026-10-28", "")


def test_sekretaris_may_build_but_not_the_admin(db, closed_month, make_user):
    # the admin keeps users, units, codes and the calendar (DOMAIN.md); a packet holds the units' work
    p = build(PERIOD, make_user("SEK", "sekretaris"))
    assert p.version == 1
    with pytest.raises(Forbidden):
        build(PERIOD, make_user("SEK", "admin"))


def test_presenting_then_finalizing_records_the_pleno_outcome(db, closed_month, rendatin):
    from silabu.core.audit import history
    from silabu.pleno.services import finalize, mark_presented

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        db.session.commit()
        assert p.status == PacketStatus.PRESENTED and p.presented_at is not None
        finalize(p, rendatin, " 12/PL.01-BA/3319/2026 ", date(2026, 11, 5), "Koreksi: TPH menyusul.", **ACK)
        db.session.commit()
    p = db.session.get(Packet, p.id)
    assert (p.status, p.berita_acara_number, p.pleno_date) == (PacketStatus.FINAL, "12/PL.01-BA/3319/2026",
                                                              date(2026, 11, 5))
    assert p.notes == "Koreksi: TPH menyusul." and p.finalized_by_id == rendatin.id
    assert [e.action for e in history("packets", p.id)] == ["packet.build", "packet.present", "packet.finalize"]


def test_a_final_packet_is_frozen(db, closed_month, rendatin):
    from silabu.pleno.services import finalize, mark_presented

    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        present_and_finalize(p, rendatin, "12/BA")
        db.session.commit()
        with pytest.raises(Conflict):
            finalize(p, rendatin, "13/BA", "2026-11-05", "", **ACK)
        with pytest.raises(Conflict):
            mark_presented(p, rendatin)
    db.session.rollback()
    assert db.session.get(Packet, p.id).berita_acara_number == "12/BA"


def test_only_the_latest_version_can_be_finalized(db, closed_month, rendatin):
    from silabu.pleno.services import finalize, get_packet

    build(PERIOD, rendatin)
    build(PERIOD, rendatin)
    old = get_packet(PERIOD, 1)
    with time_machine.travel(NOW, tick=False), pytest.raises(Conflict) as exc:
        finalize(old, rendatin, "12/BA", "2026-11-05", "", **ACK)
    assert exc.value.code == "packet_outdated"


def test_final_periods_lists_months_whose_latest_packet_is_final(db, closed_month, rendatin):
    from silabu.pleno.services import final_periods

    build("2026-09", rendatin)
    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        present_and_finalize(p, rendatin, "12/BA")
        db.session.commit()
    assert final_periods(2026) == [PERIOD]
    assert final_periods(2025) == []


def test_a_build_killed_before_commit_leaves_no_packet(db, closed_month, rendatin):
    from silabu.pleno.services import build_packet, latest_packet

    with time_machine.travel(NOW, tick=False):
        build_packet(PERIOD, rendatin)
    db.session.rollback()  # the process died before the commit
    assert latest_packet(PERIOD) is None
    assert build(PERIOD, rendatin).version == 1


def test_two_builders_at_once_publish_one_packet_per_version(app, db, closed_month, rendatin, monkeypatch):
    """Both read "no packet yet", both compile; the unique (period, version) key lets one publish."""
    from silabu.extensions import db as _db
    from silabu.pleno import services

    real = services._rollup
    barrier = threading.Barrier(2, timeout=30)

    def slow_rollup(period):
        barrier.wait()  # both builders have decided on version 1 before either publishes
        return real(period)

    monkeypatch.setattr(services, "_rollup", slow_rollup)
    outcomes: list[str] = []

    def worker() -> None:
        with app.app_context():
            try:
                services.build_packet(PERIOD, None)
                _db.session.commit()
                outcomes.append("built")
            except Conflict:
                _db.session.rollback()
                outcomes.append("conflict")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["built", "conflict"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Packet.id)).where(Packet.period == PERIOD)) == 1
