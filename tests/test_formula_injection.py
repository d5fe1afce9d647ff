"""Text a user typed is never a live formula in a spreadsheet SILABU writes (issue 11, item 11)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import time_machine

from silabu.core.sheets import csv_cell, csv_row

HYPERLINK = '=HYPERLINK("http://x","klik")'
PLUS = "+1+1"
DEC_1 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOV = "2026-11"


@pytest.fixture()
def hostile_month(make_kasubag, make_asn, make_entry, make_user, db):
    """KUL's November, closed, with two verified entries whose activity looks like a formula."""
    from silabu.verification import services

    with time_machine.travel(DEC_1, tick=False):
        kasubag = make_kasubag("KUL", name="Agus Pratama")
        ani = make_asn("KUL", name="Ani Wulandari")
        rendatin = make_user("RDI", "asn,rendatin", name="Rina Rendatin")
        entries = [make_entry(ani, date(2026, 11, 2), "submitted", activity=HYPERLINK, output="@SUM(A1)"),
                   make_entry(ani, date(2026, 11, 3), "submitted", activity=PLUS, output="-2+3")]
        for e in entries:
            services.verify_entry(e, kasubag)
        services.close_month(kasubag.unit, NOV, kasubag)
        db.session.commit()
    return {"kasubag": kasubag, "ani": ani, "rendatin": rendatin}


def _text_cells(data: bytes) -> dict[str, str]:
    """Every cell of the workbook holding one of the hostile texts, by value -> openpyxl data type."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found: dict[str, str] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in (HYPERLINK, PLUS, "@SUM(A1)", "-2+3"):
                    found[cell.value] = cell.data_type
    return found


def test_csv_cell_neutralises_what_a_spreadsheet_would_run():
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx")] == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx"]
    assert csv_row(["Rapat", 3, None, "a=b"]) == ["Rapat", 3, None, "a=b"]


def test_softfile_xlsx_writes_a_formula_looking_activity_as_text(hostile_month, db):
    from silabu.verification import exports, services

    kasubag = hostile_month["kasubag"]
    with time_machine.travel(DEC_1, tick=False):
        data = exports.month_xlsx(services.month_report(kasubag.unit, NOV, kasubag))
    assert _text_cells(data) == {HYPERLINK: "s", PLUS: "s", "@SUM(A1)": "s", "-2+3": "s"}


def test_packet_xlsx_and_evidence_csv_hold_formula_looking_text_inert(hostile_month, db):
    from silabu.evidence.storage import get_storage
    from silabu.pleno.services import build_packet

    with time_machine.travel(DEC_1, tick=False):
        packet = build_packet(NOV, hostile_month["rendatin"])
        db.session.commit()

    def blob(suffix: str) -> bytes:
        f = next(f for f in packet.files if f.name.endswith(suffix))
        with get_storage().open(f.storage_key) as fh:
            return fh.read()

    cells = _text_cells(blob(".xlsx"))
    assert cells.get(HYPERLINK) == "s" and cells.get(PLUS) == "s"
    assert "f" not in cells.values()


def test_evidence_index_csv_neutralises_formula_looking_activity(hostile_month, db, app):
    from silabu.entries.models import Entry, Evidence, EvidenceKind
    from silabu.evidence.storage import get_storage
    from silabu.pleno.services import build_packet

    entry = db.session.query(Entry).filter(Entry.activity == HYPERLINK).one()
    data = b"%PDF-1.4 bukti"
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    key = f"{sha[:2]}/{sha[2:4]}/{sha}.pdf"
    get_storage().store(key, data)
    db.session.add(Evidence(entry_id=entry.id, kind=EvidenceKind.DOCUMENT, content_type="application/pdf",
                            size=len(data), sha256=sha, storage_key=key, original_sha256=sha,
                            original_name="=cmd.pdf", uploaded_by_id=entry.user_id))
    db.session.commit()
    with time_machine.travel(DEC_1, tick=False):
        packet = build_packet(NOV, hostile_month["rendatin"])
        db.session.commit()
    f = next(f for f in packet.files if f.name.endswith(".csv"))
    with get_storage().open(f.storage_key) as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read().decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Kegiatan"] == "'" + HYPERLINK and rows[0]["Nama Asli"] == "'=cmd.pdf"
