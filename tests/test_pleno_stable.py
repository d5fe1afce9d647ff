"""Same data, same bytes: every packet file (the units' softfile PDFs included) and the hasil-pleno files are built
identically whenever they are built, so a rebuild of an unchanged month keeps each file's sha256."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, date, datetime

import time_machine

from tests.test_pleno_rollup import PERIOD

BUILT = datetime(2026, 11, 5, 2, tzinfo=UTC)


def _build_files(when: str) -> dict[str, str]:
    from silabu.extensions import db
    from silabu.pleno.services import build_packet

    with time_machine.travel(when, tick=False):
        packet = build_packet(PERIOD, None, now=BUILT)
        shas = {f.name: f.sha256 for f in packet.files}
    db.session.rollback()  # the same version built again from the same data
    return shas


def test_building_the_same_month_twice_gives_every_file_the_same_sha256(db, closed_month, rendatin):
    first = _build_files("2026-11-05 09:00 +07:00")
    second = _build_files("2026-11-06 14:37 +07:00")  # another day and hour on the wall clock
    assert f"softfile-KUL-{PERIOD}-v1.pdf" in first and f"bukti-{PERIOD}-v1.zip" in first
    assert len(first) == 6 and first == second


def test_the_packets_zip_carries_fixed_timestamps(db, closed_month, rendatin):
    from silabu.pleno.services import build_packet
    from tests.test_pleno_packet import blob

    with time_machine.travel("2026-11-05 09:00 +07:00", tick=False):
        packet = build_packet(PERIOD, None, now=BUILT)
    with zipfile.ZipFile(io.BytesIO(blob(packet, ".zip"))) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 10, 1, 0, 0, 0)}


def test_the_softfile_pdf_and_xlsx_and_the_hasil_pleno_files_do_not_depend_on_the_clock(db, closed_month):
    from silabu.accounts.models import Role
    from silabu.accounts.services import first_holder
    from silabu.pleno.files.final import Outcome, build_final
    from silabu.pleno.services import packet_meta as _meta
    from silabu.verification import exports
    from silabu.verification.services import month_report

    unit = closed_month["ani"].unit
    sekretaris = first_holder(Role.SEKRETARIS)
    outcome = Outcome(berita_acara_number="12/BA", pleno_date=date(2026, 11, 5), notes="Hadir 7 orang.",
                      finalized_at=BUILT, finalized_by="Rina Rendatin", presented_at=BUILT)
    results = []
    for when in ("2026-11-05 09:00 +07:00", "2026-11-05 16:41 +07:00"):
        with time_machine.travel(when, tick=False):
            report = month_report(unit, PERIOD, sekretaris, on_date=date(2026, 11, 3))
            final = build_final(_meta(PERIOD, 1, BUILT, "0" * 64), {"activities": 3}, outcome,
                                [("rekap.xlsx", "application/x", 10, "a" * 64)])
            results.append([hashlib.sha256(b).hexdigest() for b in
                            (exports.month_pdf(report), exports.month_xlsx(report), *(f.data for f in final))])
    assert results[0] == results[1]
