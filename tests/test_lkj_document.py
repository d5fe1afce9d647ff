"""The LKj document read back: chapters, the Tabel Capaian with the API's figures, narrative formatting kept per
version, and the verification code (QR and short code) that resolves to a page confirming the hash."""
from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from conftest import PDF, SHARED, set_month_closed
from docx import Document
from sqlalchemy import select

from silabu.catalog.models import Indicator, OutputCode
from silabu.core.clock import utcnow
from silabu.entries.models import Entry, EntryStatus
from silabu.lkj import services
from silabu.lkj.document import parse_narrative
from silabu.lkj.models import LkjReviewStep
from silabu.pleno.models import Packet, PacketStatus

YEAR = 2026
TODAY = date(2027, 1, 20)
CAPAIAN_HEADER = ["No", "Sasaran", "Indikator Kinerja", "Satuan", "Target", "Realisasi", "Capaian (%)", "Kategori"]


@pytest.fixture()
def year_of_data(db, org, make_user):
    """Ten finalized months of entries for the Sekretariat's counted indicators and two manual figures."""
    from silabu.core.tables import read_table
    from silabu.lkj.services import import_indicators

    import_indicators(read_table("indicators.csv", (SHARED / "data/demo/indicators.csv").read_bytes()).rows, YEAR)
    staff = make_user("RDI", "asn", name="Staf Data")
    rendatin = make_user("RDI", "asn,rendatin", name="Eko Rendatin")
    codes = {c.code: c.id for c in db.session.scalars(select(OutputCode))}
    for month in range(1, 11):
        for code, qty, uom in (("076.01.WA.4499.EBD.953", "1", "Laporan"), ("076.01.WA.4499.EBA.957", "3", "Dokumen"),
                               ("076.01.DL.3363.BCA.001", "2", "Kegiatan")):
            db.session.add(Entry(user_id=staff.id, unit_id=staff.unit_id, entry_date=date(YEAR, month, 12),
                                 period=f"{YEAR}-{month:02d}", output_code_id=codes[code], activity="Kegiatan",
                                 output="Hasil", quantity=Decimal(qty), unit_of_measure=uom,
                                 status=EntryStatus.VERIFIED, verified_at=utcnow()))
            set_month_closed(staff.unit_id, f"{YEAR}-{month:02d}")
        db.session.add(Packet(period=f"{YEAR}-{month:02d}", version=1, status=PacketStatus.FINAL, built_at=utcnow(),
                              summary={}, data_sha256="cd" * 32, berita_acara_number=f"{month}/PL.01-BA/3319/2026",
                              pleno_date=date(YEAR, month, 28)))
    db.session.commit()
    ind = {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.year == YEAR))}
    services.save_manual_realisasi(ind["IK2.1"], "2026-12", "96,1", "Nilai IKPA OM-SPAN", rendatin, today=TODAY,
                                   filename="ikpa.pdf", data=PDF)
    services.save_manual_realisasi(ind["IK3.3"], "2026-06", "5,5", "Rata-rata hari layanan PPID", rendatin,
                                   today=TODAY, filename="ppid.pdf", data=PDF)
    db.session.commit()
    return {"staff": staff, "rendatin": rendatin}


_COMPILED: dict = {}


@pytest.fixture()
def compiled_once(db, year_of_data):
    """Version 1 of the LKj Sekretariat as its files and figures (not ORM rows: the database is emptied after each
    test), compiled by the first test that asks and shared by the module's tests that only read it."""
    if not _COMPILED:
        doc = services.compile_report(YEAR, "LKJ-SEK", year_of_data["rendatin"])
        db.session.commit()
        _COMPILED.update(verification_code=doc.verification_code, pdf_sha256=doc.pdf_sha256,
                         docx=services.open_blob(doc.docx_key).read(), pdf=services.open_blob(doc.pdf_key).read())
    return SimpleNamespace(**_COMPILED)


def _number(text: str) -> Decimal | None:
    text = text.strip()
    if text in ("–", "-", ""):
        return None
    return Decimal(text.replace(".", "").replace(",", "."))


def _capaian_table(document):
    for table in document.tables:
        if [c.text.strip() for c in table.rows[0].cells] == CAPAIAN_HEADER:
            return table
    raise AssertionError("Tabel Capaian tidak ada di dokumen")


def _figures(document) -> dict[str, tuple]:
    table = _capaian_table(document)
    out = {}
    for row in table.rows[1:]:
        cells = [c.text.strip() for c in row.cells]
        code = cells[2].split(" ", 1)[0]
        out[code] = (_number(cells[4]), _number(cells[5]), _number(cells[6]), cells[7])
    return out


def _api_figures(items: list[dict]) -> dict[str, tuple]:
    def dec(v):
        return None if v is None else Decimal(str(v))

    return {i["indicator_code"]: (dec(i["target"]), dec(i["realisasi"]), dec(i["capaian"]), i["kategori"])
            for i in items}


def test_docx_has_the_chapters_and_a_tabel_capaian_equal_to_the_api(db, year_of_data, client, api_token):
    headers = api_token(year_of_data["rendatin"])
    api = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/capaian", headers=headers).json
    resp = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/document.docx", headers=headers)
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(resp.data))
    chapters = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert chapters == ["KATA PENGANTAR", "RINGKASAN EKSEKUTIF", "BAB I PENDAHULUAN", "BAB II PERENCANAAN KINERJA",
                        "BAB III AKUNTABILITAS KINERJA", "BAB IV PENUTUP", "LAMPIRAN"]
    sections = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert "A. Capaian Kinerja Organisasi" in sections and "B. Realisasi Anggaran" in sections
    assert f"Lampiran 1. Perjanjian Kinerja Tahun {YEAR}" in sections
    figures = _figures(document)
    expected = _api_figures(api["items"])
    assert figures.keys() == expected.keys() == {"IK1.1", "IK1.2", "IK2.1", "IK2.2", "IK3.1", "IK3.2", "IK3.3"}
    for code, (target, realisasi, capaian, kategori) in expected.items():
        got = figures[code]
        assert got[:3] == (target, realisasi, capaian), code
        assert got[3] == kategori if capaian is not None else got[3].startswith("Belum dapat diukur"), code
    # hand check of two rows: 10 of 12 reports -> 83,33; IKPA 96,1 of 95 -> 101,16
    assert figures["IK1.1"][:3] == (Decimal(12), Decimal(10), Decimal("83.33"))
    assert figures["IK2.1"][2:] == (Decimal("101.16"), "Sangat Berhasil")


def test_docx_has_table_of_contents_list_of_tables_captions_and_lampiran(compiled_once):
    doc = compiled_once
    document = Document(io.BytesIO(doc.docx))
    xml = document.element.xml
    assert 'TOC \\o "1-3"' in xml and 'TOC \\h \\z \\c "Tabel"' in xml and "SEQ Tabel" in xml
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert f"Tabel 3. Capaian Kinerja Tahun {YEAR}" in captions
    assert any(c.startswith("Tabel ") and "Analisis indikator IK3.3" in c for c in captions)
    assert any("Lampiran Perjanjian Kinerja" in c for c in captions)
    assert any("Paket pleno laporan bulanan" in c for c in captions)
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "DAFTAR ISI" in texts and "DAFTAR TABEL" in texts
    assert services.format_code(doc.verification_code) in texts
    assert document.inline_shapes, "the QR code picture is in the document"
    footer = document.sections[0].footer.paragraphs[0].text
    assert services.format_code(doc.verification_code) in footer


def test_compiled_version_keeps_its_figures_when_data_changes(db, year_of_data, client, api_token):
    doc = services.compile_report(YEAR, "LKJ-SEK", year_of_data["rendatin"])
    db.session.commit()
    v1 = _figures(Document(services.open_blob(doc.docx_key)))
    headers = api_token(year_of_data["rendatin"])
    api = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/capaian", headers=headers).json
    assert {k: v[:3] for k, v in v1.items()} == {k: v[:3] for k, v in _api_figures(api["items"]).items()}
    # November is finalized later: the live table changes, version 1 does not.
    code_id = db.session.scalar(select(OutputCode.id).where(OutputCode.code == "076.01.WA.4499.EBD.953"))
    staff = year_of_data["staff"]
    db.session.add(Entry(user_id=staff.id, unit_id=staff.unit_id, entry_date=date(YEAR, 11, 5), period="2026-11",
                         output_code_id=code_id, activity="x", output="y", quantity=Decimal(1), unit_of_measure="Laporan",
                         status=EntryStatus.VERIFIED))
    set_month_closed(staff.unit_id, "2026-11")
    db.session.add(Packet(period="2026-11", version=1, status=PacketStatus.FINAL, built_at=utcnow(), summary={}))
    db.session.commit()
    api = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/capaian", headers=headers).json
    assert _api_figures(api["items"])["IK1.1"][1] == Decimal(11)
    assert _figures(Document(services.open_blob(doc.docx_key)))["IK1.1"][1] == Decimal(10)
    stored = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/document.docx?version=1", headers=headers)
    assert hashlib.sha256(stored.data).hexdigest() == doc.docx_sha256
    live = _figures(Document(io.BytesIO(client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/document.docx", headers=headers).data)))
    assert live["IK1.1"][1] == Decimal(11)


def test_lkj_kpu_document_has_its_own_indicators(db, year_of_data, client, api_token):
    headers = api_token(year_of_data["rendatin"])
    document = Document(io.BytesIO(client.get(f"/api/v1/lkj/{YEAR}/LKJ-KPU/document.docx", headers=headers).data))
    figures = _figures(document)
    assert set(figures) == {"IK4.1", "IK4.2", "IK5.1"}
    assert figures["IK4.1"][:3] == (Decimal(24), Decimal(20), Decimal("83.33"))
    cover = "\n".join(p.text for p in document.paragraphs[:20])
    assert "KPU KABUPATEN KUDUS" in cover and "SEKRETARIAT" not in cover


def test_api_document_of_unknown_report_or_year_is_404(db, year_of_data, client, api_token):
    headers = api_token(year_of_data["rendatin"])
    assert client.get(f"/api/v1/lkj/{YEAR}/LKJ-XYZ/document.docx", headers=headers).status_code == 404
    assert client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/document.docx?version=3", headers=headers).status_code == 404
    assert client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/document.docx",
                      headers=api_token(year_of_data["staff"])).status_code == 403


def test_narrative_formatting_is_kept_and_each_version_keeps_its_own_text(db, year_of_data):
    report = services.ensure_report(YEAR, "LKJ-SEK")
    rendatin = year_of_data["rendatin"]
    services.save_section(report, "bab4_penutup", "Capaian **meningkat** tahun ini.\n\n- IKPA naik\n- JDIH lengkap",
                          rendatin)
    v1 = services.compile_report(YEAR, "LKJ-SEK", rendatin)
    services.save_section(report, "bab4_penutup", "Teks penutup versi kedua.", rendatin)
    v2 = services.compile_report(YEAR, "LKJ-SEK", rendatin)
    db.session.commit()
    assert v1.narrative["bab4_penutup"].startswith("Capaian **meningkat**")
    assert v2.narrative["bab4_penutup"] == "Teks penutup versi kedua."
    document = Document(services.open_blob(v1.docx_key))
    para = next(p for p in document.paragraphs if p.text == "Capaian meningkat tahun ini.")
    assert [(r.text, bool(r.bold)) for r in para.runs] == [("Capaian ", False), ("meningkat", True),
                                                          (" tahun ini.", False)]
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "IKPA naik" in bullets and "JDIH lengkap" in bullets
    texts = [p.text for p in Document(services.open_blob(v2.docx_key)).paragraphs]
    assert "Teks penutup versi kedua." in texts and "IKPA naik" not in texts


def test_parse_narrative_paragraphs_bold_and_bullets():
    blocks = parse_narrative("Baris satu\nbaris dua **tebal**\n\n- butir *satu*\n- **butir** dua\n"
                             "Lanjut ** tanpa tutup")
    assert [(b.kind, b.runs) for b in blocks] == [
        ("para", [("Baris satu baris dua ", False), ("tebal", True)]),
        ("bullet", [("butir *satu*", False)]),
        ("bullet", [("butir", True), (" dua", False)]),
        ("para", [("Lanjut ** tanpa tutup", False)]),
    ]


def test_narrative_html_escapes_markup():
    from silabu.lkj.document import narrative_html

    html = str(narrative_html("<script>x</script> **b**\n- <i>butir</i>"))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<strong>b</strong>" in html
    assert "<li>&lt;i&gt;butir&lt;/i&gt;</li>" in html


def test_pdf_carries_the_verification_code(compiled_once):
    doc = compiled_once
    pdf = doc.pdf
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == doc.pdf_sha256
    code = services.format_code(doc.verification_code).encode()
    assert b"(Kode verifikasi " + code + b")" in pdf  # the document's Subject
    assert b"/Image" in pdf  # the QR code
    assert len(doc.verification_code) == 8


def test_verification_page_confirms_the_document_and_its_hash(db, year_of_data, client):
    doc = services.compile_report(YEAR, "LKJ-SEK", year_of_data["rendatin"])
    db.session.commit()
    pdf = services.open_blob(doc.pdf_key).read()
    page = client.get(f"/lkj/verifikasi/{doc.verification_code}")  # no login needed
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and doc.pdf_sha256 in html and doc.docx_sha256 in html
    assert "belum ditandatangani" in html and "versi 1" in html
    printed = services.format_code(doc.verification_code).lower()
    assert client.get(f"/lkj/verifikasi?kode={printed}").headers["Location"].endswith(doc.verification_code)
    match = client.post(f"/lkj/verifikasi/{doc.verification_code}", data={"file": (io.BytesIO(pdf), "lkj.pdf")},
                        content_type="multipart/form-data")
    assert "Cocok" in match.get_data(as_text=True)
    other = client.post(f"/lkj/verifikasi/{doc.verification_code}",
                        data={"file": (io.BytesIO(pdf + b"%"), "lkj.pdf")}, content_type="multipart/form-data")
    assert "Tidak cocok" in other.get_data(as_text=True)
    assert client.get("/lkj/verifikasi/ZZZZ2222").status_code == 404
    assert client.get("/lkj/verifikasi/0000").status_code == 404


def test_verification_page_shows_the_signature(db, year_of_data, client, make_user, lkj_quick_render):
    from silabu.lkj.models import LkjStatus

    sekretaris = make_user("SEK", "sekretaris", name="Sri Sekretaris")
    doc = services.compile_report(YEAR, "LKJ-SEK", year_of_data["rendatin"])
    report = doc.report
    report.status = LkjStatus.TANDA_TANGAN
    db.session.add(LkjReviewStep(report_id=report.id, document_id=doc.id, step="paraf", action="paraf",
                                          to_status="tanda_tangan"))
    db.session.commit()
    services.perform(report, "tandatangani", sekretaris, today=TODAY)
    db.session.commit()
    html = client.get(f"/lkj/verifikasi/{doc.verification_code}").get_data(as_text=True)
    assert "telah ditandatangani oleh Sekretaris (Sri Sekretaris)" in html


def test_preview_pages_download_docx_and_pdf(db, year_of_data, login_as):
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        client = login_as(year_of_data["rendatin"])
        docx = client.get(f"/lkj/{YEAR}/LKJ-SEK/pratinjau.docx")
        pdf = client.get(f"/lkj/{YEAR}/LKJ-SEK/pratinjau.pdf")
    assert docx.status_code == 200 and Document(io.BytesIO(docx.data)).tables
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and b"Pratinjau" in pdf.data


def test_team_writes_a_narrative_section_in_the_page(db, year_of_data, login_as):
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        client = login_as(year_of_data["rendatin"])
        url = f"/lkj/{YEAR}/LKJ-SEK/narasi/analisis:IK1.1"
        assert client.get(url).status_code == 200
        too_long = client.post(url, data={"text": "x" * (services.SECTION_MAX + 1)})
        assert too_long.status_code == 422
        resp = client.post(url, data={"text": "Laporan **tepat waktu** setiap bulan.\n- Januari\n- Februari"})
        assert resp.status_code == 302
        page = client.get(f"/lkj/{YEAR}/LKJ-SEK/narasi").get_data(as_text=True)
        assert "<strong>tepat waktu</strong>" in page and "<li>Januari</li>" in page
        assert client.get(f"/lkj/{YEAR}/LKJ-SEK/narasi/tidak-ada").status_code == 404
    assert services.get_report(YEAR, "LKJ-SEK").narrative["analisis:IK1.1"].startswith("Laporan **tepat")


def test_kategori_bands_page(db, year_of_data, login_as, make_user):
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        client = login_as(year_of_data["rendatin"])
        bad = client.post("/lkj/kategori", data={"min_0": "90", "label_0": "Baik", "min_1": "70", "label_1": "Cukup"})
        assert bad.status_code == 422 and "Tepat satu kategori" in bad.get_data(as_text=True)
        ok = client.post("/lkj/kategori", data={"min_0": "90", "label_0": "Baik", "min_1": "", "label_1": "Kurang"})
        assert ok.status_code == 302
    assert [b.label for b in services.current_bands()] == ["Baik", "Kurang"]


def test_docx_table_cells_keep_tabs_line_breaks_markup_alignment_and_merged_groups():
    """The table rows written as one piece of XML read back as python-docx's own cells would."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    from silabu.lkj.document import docx as lkj_docx
    from silabu.lkj.document.elements import TableEl

    el = TableEl("Uji", ["No", "Sasaran", "Uraian"], [["1", "A", " a & <b> "], ["2", "A", "x\ty\nz"], ["3", "B", ""]],
                 [1, 2, 3], align="clr", group_column=1)
    document = Document()
    lkj_docx._docx_table(document, el, 15.0, Pt, Cm, OxmlElement, qn, WD_TABLE_ALIGNMENT, WD_ALIGN_PARAGRAPH)
    out = io.BytesIO()
    document.save(out)
    table = Document(io.BytesIO(out.getvalue())).tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["No", "Sasaran", "Uraian"], ["1", "A", " a & <b> "], ["2", "A", "x\ty\nz"], ["3", "B", ""]]
    first, second = table.rows[1].cells, table.rows[2].cells
    assert first[1]._tc is second[1]._tc  # "A" merged over two rows, printed once
    assert [c.paragraphs[0].alignment for c in first] == [WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT,
                                                          WD_ALIGN_PARAGRAPH.RIGHT]
    widths = [c.width for c in table.rows[0].cells]
    assert [c.width for c in table.rows[3].cells] == widths and all(widths)
