"""Mentawai: an LKj Semester I / II is compiled from its own six months, reviewed and signed like the annual one,
and the annual report cites both. Every figure here is computed by hand."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from docx import Document
from pypdf import PdfReader
from test_lkj_services import IK11_CODE, YEAR, entry, indicator, load_indicators, packet
from test_lkj_workflow import blob, complete_narrative, docx_text, pdf_text, people, step, walk_to  # noqa: F401
from test_migrations import empty_database_url  # noqa: F401  (the fixture)

from silabu.core.errors import ValidationFailed
from silabu.lkj import services
from silabu.lkj.models import LkjStatus
from silabu.pleno.models import PacketStatus

D = Decimal
# IK1.1 (Laporan, target 12, sum; Rencana Aksi 3 per quarter): the quantities verified per month.
MONTHLY = {1: "1", 2: "1", 3: "1", 4: "1", 5: "2", 6: "4", 7: "5", 8: "1"}





@pytest.fixture()
def data(db, org, make_asn, people):
    """Entries of IK1.1 in January-August; every packet final except June's (draft): Semester I counts
    1+1+1+1+2 = 6 from five final months of six, Semester II 5+1 = 6 from two of six."""
    load_indicators(db)
    staff = make_asn("RDI")
    for month, qty in MONTHLY.items():
        entry(db, staff, date(YEAR, month, 10), IK11_CODE, qty, uom="Laporan")
        packet(db, f"{YEAR}-{month:02d}", PacketStatus.DRAFT if month == 6 else PacketStatus.FINAL)
    assert services.set_targets(indicator("IK1.1"), "quarter", {1: "3", 2: "3", 3: "3", 4: "3"},
                                people["rendatin"]) == []
    db.session.commit()


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        yield











def docx_row(data: bytes, caption_start: str, first_cell_start: str) -> list[str]:
    """The cells of the row starting with ``first_cell_start`` in the table whose caption starts so."""
    document = Document(io.BytesIO(data))
    body = document.element.body
    caption = None
    for child in body.iterchildren():
        if child.tag.endswith("}p"):
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            if text.strip():
                caption = text
        elif child.tag.endswith("}tbl") and caption and caption_start in caption:
            table = next(t for t in document.tables if t._tbl is child)
            for row in table.rows:
                cells = [c.text for c in row.cells]
                if cells[0].startswith(first_cell_start) or (len(cells) > 2 and cells[2].startswith(first_cell_start)):
                    return cells
    raise AssertionError(f"no table {caption_start!r} with a row {first_cell_start!r}")


def row_of(doc, code: str) -> dict:
    return next(r for r in doc.data["rows"] if r["code"] == code)


def compile_semester(db, semester: int, actor=None, complete: bool = True):
    if complete:
        complete_narrative(services.ensure_report(YEAR, "LKJ-SEK", semester))
    doc = services.compile_report(YEAR, "LKJ-SEK", actor, semester)
    db.session.commit()
    return doc


def test_semester_one_reads_only_its_six_months_and_says_so_in_the_document(db, data, frozen):
    doc = compile_semester(db, 1)
    report = doc.report
    assert (report.year, report.report_code, report.period, report.semester) == (YEAR, "LKJ-SEK", "s1", 1)
    assert services.get_report(YEAR, "LKJ-SEK") is None  # the annual report is another one
    row = row_of(doc, "IK1.1")
    # Semester I: target 3 + 3 (Rencana Aksi TW I, TW II); realisasi 1+1+1+1+2; June's packet is a draft.
    assert (row["target"], row["realisasi"], row["capaian"]) == ("6.00", "6.00", "100.00")
    assert (row["months_counted"], row["months_in_period"]) == (5, 6)
    assert [w["code"] for w in row["warnings"]] == ["months_missing"]
    assert "5 dari 6" in row["warnings"][0]["message"]
    assert row["months"][6:] == [None] * 6  # July's 5 and August's 1 are Semester II's
    assert doc.data["period"] == {"key": "s1", "semester": 1, "label": f"Semester I Tahun {YEAR}",
                                  "months": [1, 2, 3, 4, 5, 6]}
    assert doc.data["final_periods"] == [f"{YEAR}-{m:02d}" for m in (1, 2, 3, 4, 5)]
    assert "semesters" not in doc.data

    docx_bytes, pdf_bytes = blob(doc.docx_key), blob(doc.pdf_key)
    text = docx_text(docx_bytes)
    assert f"Laporan Kinerja Sekretariat KPU Kabupaten Kudus Semester I Tahun {YEAR} disusun" in text
    assert f"A. Capaian Kinerja Organisasi Semester I Tahun {YEAR}" in text
    assert f"Capaian Kinerja Semester I Tahun {YEAR}" in text
    assert "SEMESTER I" in text
    cells = docx_row(docx_bytes, f"Capaian Kinerja Semester I Tahun {YEAR}", "IK1.1")
    assert cells[4:7] == ["6", "6", "100,00"]
    pdf = pdf_text(pdf_bytes)
    assert f"Semester I Tahun {YEAR}" in pdf and "SEMESTER I TAHUN 2026" in pdf
    assert "Baru 5 dari 6" in pdf  # the months_missing footnote
    assert "perbandingan dengan tahun-tahun sebelumnya disajikan dalam Laporan Kinerja tahunan" in pdf
    assert f"Kudus, .................... {YEAR}" in pdf  # Semester I is signed within its year
    # the file's own title and the cover's foot say the same: issued in the semester's year, not the next one
    title = f"Laporan Kinerja Sekretariat KPU Kabupaten Kudus Semester I Tahun {YEAR}"
    assert Document(io.BytesIO(docx_bytes)).core_properties.title == title
    assert PdfReader(io.BytesIO(pdf_bytes)).metadata.title == title
    cover = PdfReader(io.BytesIO(pdf_bytes)).pages[0].extract_text()
    lines = [line.strip() for line in cover.splitlines()]
    assert lines[lines.index("KUDUS") + 1] == str(YEAR) and str(YEAR + 1) not in cover, cover


def test_semester_two_counts_july_to_december(db, data, frozen):
    doc = compile_semester(db, 2, complete=False)
    row = row_of(doc, "IK1.1")
    assert (row["target"], row["realisasi"], row["capaian"]) == ("6.00", "6.00", "100.00")
    assert (row["months_counted"], row["months_in_period"]) == (2, 6)
    assert row["months"][:6] == [None] * 6
    assert f"Semester II Tahun {YEAR}" in pdf_text(blob(doc.pdf_key))
    with pytest.raises(ValidationFailed) as exc:
        services.compile_report(YEAR, "LKJ-SEK", None, 3)
    assert "Semester tidak dikenal" in exc.value.fields["semester"]


def test_a_semester_report_is_reviewed_and_signed_like_the_annual(db, data, people, client, frozen):
    report = compile_semester(db, 1, people["rendatin"]).report
    walk_to(db, report, people, LkjStatus.TANDA_TANGAN)
    with time_machine.travel(datetime(2026, 7, 15, 3, 0, tzinfo=UTC), tick=False):
        step(db, report, "tandatangani", people["sekretaris"])
    assert report.status == LkjStatus.DITANDATANGANI and report.signed_version == 1
    assert services.get_report(YEAR, "LKJ-SEK") is None  # signing the semester leaves the annual alone
    doc = services.signed_document(report)
    text = pdf_text(blob(doc.pdf_key))
    assert "Draf" not in text and f"Semester I Tahun {YEAR}" in text and "Kudus, 15 Juli 2026" in text
    # the verification page names the period
    page = client.get(f"/lkj/verifikasi/{doc.verification_code}").get_data(as_text=True)
    assert f"Semester I Tahun {YEAR}" in page
    # the same person still cannot initial and sign: the rule is the workflow's, whatever the period
    assert [s.action for s in services.history(report)][-3:] == ["ajukan_paraf", "paraf", "tandatangani"]


def test_the_annual_report_cites_both_semester_reports(db, data, people, frozen):
    s1 = compile_semester(db, 1, people["rendatin"]).report
    walk_to(db, s1, people, LkjStatus.TANDA_TANGAN)
    with time_machine.travel(datetime(2026, 7, 15, 3, 0, tzinfo=UTC), tick=False):
        step(db, s1, "tandatangani", people["sekretaris"])
    compile_semester(db, 2, complete=False)
    compile_semester(db, 2, complete=False)  # version 2 of Semester II, still a draft
    annual = services.compile_report(YEAR, "LKJ-SEK")
    db.session.commit()
    cited = annual.data["semesters"]
    assert [(c["period"], c["version"], c["status"], c["signed_date"]) for c in cited] == [
        ("s1", 1, "ditandatangani", "2026-07-15"), ("s2", 2, "draft", None)]
    assert annual.data["period"]["key"] == "tahun"
    # Annual: 1+1+1+1+2 (June not final) + 5+1 = 12 of target 12.
    assert row_of(annual, "IK1.1")["realisasi"] == "12.00"
    docx_bytes = blob(annual.docx_key)
    text = " ".join(docx_text(docx_bytes).split())
    assert (f"Laporan Kinerja Sekretariat KPU Kabupaten Kudus Semester I Tahun {YEAR} (versi 1, kode verifikasi "
            f"{services.format_code(cited[0]['verification_code'])}) ditandatangani pada 15 Juli 2026") in text
    assert f"Semester II Tahun {YEAR} (versi 2" in text and "berstatus Draf, belum ditandatangani" in text
    cells = docx_row(docx_bytes, f"Realisasi Semester I, Semester II dan Tahun {YEAR}", "IK1.1")
    assert cells[2:] == ["6", "6", "12"]
    pdf = pdf_text(blob(annual.pdf_key))
    assert f"Realisasi Semester I, Semester II dan Tahun {YEAR}" in pdf
    assert f"Capaian Kinerja Tahun {YEAR}" in pdf and f"Capaian Kinerja Semester I Tahun {YEAR}" not in pdf


def test_the_annual_report_without_semester_reports_reads_as_before(db, data, frozen):
    annual = services.compile_report(YEAR, "LKJ-SEK")
    db.session.commit()
    assert annual.data["semesters"] == []
    assert "Laporan Kinerja Semester" not in docx_text(blob(annual.docx_key))


def test_cli_compiles_a_semester_report(app, db, data, frozen):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lkj", "compile", "--year", str(YEAR), "--report", "LKJ-SEK", "--semester", "2"])
    assert result.exit_code == 0, result.output
    assert f"LKJ-SEK {YEAR} Semester II Tahun {YEAR}: versi 1" in result.output
    db.session.expire_all()
    assert services.get_report(YEAR, "LKJ-SEK", 2).current_version == 1
    assert services.get_report(YEAR, "LKJ-SEK") is None
    bad = runner.invoke(args=["lkj", "compile", "--year", str(YEAR), "--semester", "3"])
    assert bad.exit_code != 0


def test_api_compiles_reads_and_reviews_a_semester_report(db, data, people, client, api_token, frozen):
    complete_narrative(services.ensure_report(YEAR, "LKJ-SEK", 1))
    db.session.commit()
    headers = api_token(people["rendatin"])
    base = f"/api/v1/lkj/{YEAR}/LKJ-SEK"
    resp = client.post(f"{base}/compile?semester=1", headers=headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["period"] == "s1" and resp.json["version"] == 1
    resp = client.post(f"{base}/compile", headers=headers, json={"semester": 2})
    assert resp.status_code == 201 and resp.json["period_label"] == f"Semester II Tahun {YEAR}"
    assert client.post(f"{base}/compile?semester=3", headers=headers).status_code == 422
    body = client.get(f"{base}?semester=1", headers=headers).json
    assert (body["period"], body["semester"], body["current_version"]) == ("s1", 1, 1)
    assert any(a["action"] == "ajukan_koreksi" for a in body["allowed_actions"])
    assert client.get(base, headers=headers).json["current_version"] == 0  # the annual: not compiled
    resp = client.post(f"{base}/review", headers=headers, json={"action": "ajukan_koreksi", "semester": 1})
    assert resp.status_code == 200 and resp.json["status"] == "koreksi"
    assert services.get_report(YEAR, "LKJ-SEK", 2).status == LkjStatus.DRAFT
    spec = client.get("/api/v1/openapi.json").json["paths"]
    for path, method in (("/compile", "post"), ("", "get"), ("/review", "post"), ("/document.pdf", "get")):
        assert "semester" in [p["name"] for p in spec[f"/api/v1/lkj/{{year}}/{{report_code}}{path}"][method]["parameters"]]
    pdf = client.get(f"{base}/document.pdf?semester=1&version=1", headers=headers)
    assert pdf.status_code == 200 and f"LKj-{YEAR}-LKJ-SEK-S1-v1.pdf" in pdf.headers["Content-Disposition"]
    assert f"Semester I Tahun {YEAR}" in pdf_text(pdf.data)


def test_pages_list_and_compile_semester_reports(db, data, people, client, frozen):
    from conftest import login

    login(client, people["rendatin"])
    index = client.get(f"/lkj/?tahun={YEAR}").get_data(as_text=True)
    assert f"Semester I Tahun {YEAR}" in index and f"Semester II Tahun {YEAR}" in index
    resp = client.post(f"/lkj/{YEAR}/LKJ-SEK/kompilasi?semester=1")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/lkj/{YEAR}/LKJ-SEK/?semester=1")
    page = client.get(f"/lkj/{YEAR}/LKJ-SEK/?semester=1").get_data(as_text=True)
    assert f"Semester I Tahun {YEAR}" in page and f"/lkj/{YEAR}/LKJ-SEK/versi/1/pdf?semester=1" in page
    assert f'href="/lkj/{YEAR}/LKJ-SEK/?semester=2"' in page and f'href="/lkj/{YEAR}/LKJ-SEK/"' in page
    download = client.get(f"/lkj/{YEAR}/LKJ-SEK/versi/1/pdf?semester=1")
    assert download.status_code == 200 and f"Semester I Tahun {YEAR}" in pdf_text(download.data)
    assert client.get(f"/lkj/{YEAR}/LKJ-SEK/versi/1/pdf").status_code == 404  # the annual has no version
    index = client.get(f"/lkj/?tahun={YEAR}").get_data(as_text=True)
    assert "versi 1" in index
    assert client.get(f"/lkj/{YEAR}/LKJ-SEK/?semester=7").status_code == 404


def test_migration_makes_existing_reports_annual_and_keeps_their_history(empty_database_url, tmp_path):
    """0010: every report stored before is the annual one, its review steps survive SQLite's table rebuild
    (foreign keys with ON DELETE CASCADE), and a semester report of the same year and code can then be stored."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from silabu import create_app
    from silabu.extensions import db as db_

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "TESTING": True,
                      "UPLOAD_DIR": str(tmp_path)})
    now = "2027-01-20 03:00:00+00:00"
    with app.app_context():
        upgrade(revision="0009")
        with db_.engine.begin() as conn:
            conn.execute(text("INSERT INTO lkj_reports (id, year, report_code, status, narrative, current_version, "
                              "pleno_rounds, created_at, updated_at, lock_version) VALUES (1, 2026, 'LKJ-SEK', "
                              "'koreksi', '{}', 0, 0, :now, :now, 1)"), {"now": now})
            conn.execute(text("INSERT INTO lkj_review_steps (report_id, step, action, to_status, at, details) "
                              "VALUES (1, 'draft', 'ajukan_koreksi', 'koreksi', :now, '{}')"), {"now": now})
        upgrade(revision="0010")
        with db_.engine.begin() as conn:
            assert conn.execute(text("SELECT period, status FROM lkj_reports")).all() == [("tahun", "koreksi")]
            assert conn.execute(text("SELECT count(*) FROM lkj_review_steps")).scalar() == 1
            conn.execute(text("INSERT INTO lkj_reports (id, year, report_code, period, status, narrative, "
                              "current_version, pleno_rounds, created_at, updated_at, lock_version) VALUES (2, 2026, "
                              "'LKJ-SEK', 's1', 'draft', '{}', 0, 0, :now, :now, 1)"), {"now": now})
        downgrade(revision="0009")
        with db_.engine.begin() as conn:
            assert conn.execute(text("SELECT id, status FROM lkj_reports")).all() == [(1, "koreksi")]
            assert conn.execute(text("SELECT count(*) FROM lkj_review_steps")).scalar() == 1
        db_.engine.dispose()
