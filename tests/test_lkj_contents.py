"""The contents PermenPANRB 53/2014 asks of the LKj, read back from the DOCX and the PDF as a reviewer reads them:
earlier years and the Renstra target beside this year's, Bab III B with absorption per sasaran (hand-computed),
the charts and their Daftar Gambar, the Perjanjian Kinerja with Pihak Pertama and Pihak Kedua, and the finish
(column widths, headers not split, one sasaran group, two decimals, roman front matter, the kop surat).

The document is rendered once for the module (``rendered``); budget imports are tested on their own."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from conftest import SHARED, empty_tables, make_nip
from docx import Document
from pypdf import PdfReader
from sqlalchemy import select, text

from silabu.catalog.models import Indicator
from silabu.core.errors import ValidationFailed
from silabu.core.tables import read_table
from silabu.extensions import db as _db
from silabu.lkj import services
from silabu.lkj.document.docx import docx_widths
from silabu.lkj.document.elements import TableEl
from silabu.lkj.models import BudgetLine, ManualRealisasi
from silabu.lkj.services import budget

YEAR = 2026
HEAD = "report,sasaran_code,sasaran,indicator_code,indicator,unit,target_year,polarity,consolidation,output_code,measure,target_renstra"
# S1's indicators are not adjacent: the document still prints the sasaran once.
PK = {
    2024: [
        "LKJ-SEK,S1,Meningkatnya kualitas perencanaan,IK1.1,Persentase dokumen perencanaan tepat waktu,%,100,+,last,076.01.WA.4499.EBD.953,manual,100",
    ],
    2025: [
        "LKJ-SEK,S1,Meningkatnya kualitas perencanaan,IK1.1,Persentase dokumen perencanaan tepat waktu,%,100,+,last,076.01.WA.4499.EBD.953,manual,100",
        "LKJ-SEK,S2,Meningkatnya akuntabilitas keuangan dan BMN,IK2.2,Jumlah laporan BMN tepat waktu,Laporan,4,+,sum,076.01.WA.4499.EBA.956,manual,20",
    ],
    2026: [
        "LKJ-SEK,S1,Meningkatnya kualitas perencanaan,IK1.1,Persentase dokumen perencanaan tepat waktu,%,100,+,last,076.01.WA.4499.EBD.953,manual,100",
        "LKJ-SEK,S2,Meningkatnya akuntabilitas keuangan dan BMN,IK2.1,Nilai Indikator Kinerja Pelaksanaan Anggaran,Nilai,95,+,last,,manual,95",
        "LKJ-SEK,S1,Meningkatnya kualitas perencanaan,IK1.2,Jumlah laporan kinerja bulanan,Laporan,12,+,sum,076.01.WA.4499.EBD.952,manual,60",
        "LKJ-SEK,S2,Meningkatnya akuntabilitas keuangan dan BMN,IK2.2,Jumlah laporan BMN tepat waktu,Laporan,4,+,sum,076.01.WA.4499.EBA.956,manual,20",
    ],
}
MANUAL = {  # (year, code) -> {month: value}
    (2024, "IK1.1"): {12: "70"},
    (2025, "IK1.1"): {12: "80"},
    (2025, "IK2.2"): {3: "1", 6: "1", 9: "1", 12: "1"},
    (2026, "IK1.1"): {6: "85", 12: "90"},
    (2026, "IK1.2"): dict.fromkeys(range(1, 13), "1"),
    (2026, "IK2.1"): {12: "96.1"},
    (2026, "IK2.2"): {3: "1", 6: "1", 12: "1"},
}
# As the finance export gives it: semicolons, thousands dots, the export's own total line.
BUDGET_2026 = (b"Kode;Uraian;Pagu;Realisasi;Sisa\n"
               b"076.01.WA.4499.EBD.953;Layanan Pemantauan dan Evaluasi;50.000.000;45.000.000;5.000.000\n"
               b"076.01.WA.4499.EBD.952;Layanan Perencanaan dan Penganggaran;30.000.000;24.000.000;6.000.000\n"
               b"076.01.WA.4499.EBA.956;Layanan BMN;100.000.000;91.500.000;8.500.000\n"
               b"076.01.WA.4499.EBA.957;Layanan Hukum;20.000.000;10.000.000;10.000.000\n"
               b";JUMLAH;200.000.000;170.500.000;29.500.000\n")
BUDGET_2025 = b"kode_output,pagu,realisasi\n076.01.WA.4499.EBD.953,\"40.000.000,00\",\"36.000.000,00\"\n"


def _setup_org() -> dict:
    from silabu.accounts.org import ensure_satker, ensure_unit
    from silabu.accounts.services import UserData, create_user
    from silabu.catalog.services import import_output_codes

    satker = ensure_satker("3319", "KPU Kabupaten Kudus", "Asia/Jakarta", address="Jl. Ganesha No. 4, Kudus")
    satker.city = "Kudus"
    satker.phone = "(0291) 431234"
    sek = ensure_unit(satker, "SEK", "Sekretariat")
    ensure_unit(satker, "RDI", "Sub Bagian Perencanaan, Data dan Informasi", "SEK")
    import_output_codes(read_table("output_codes.csv", (SHARED / "data/demo/output_codes.csv").read_bytes()).rows)
    people = {}
    for key, unit, roles, name in (("sekretaris", "SEK", "asn,sekretaris", "Drs. Sigit Sekretaris"),
                                   ("ketua", "SEK", "ketua", "Ahmad Ketua, S.H."),
                                   ("rendatin", "RDI", "asn,rendatin", "Eko Rendatin")):
        user, _ = create_user(UserData(name=name, unit_code=unit, roles=roles, nip=make_nip(), password="x" * 12),
                              must_change_password=False)
        people[key] = user
    _db.session.flush()
    del sek
    return people


def _setup_pk() -> None:
    for year, lines in PK.items():
        rows = read_table("pk.csv", ("\n".join([HEAD] + lines) + "\n").encode()).rows
        services.import_indicators(rows, year)
    _db.session.flush()
    ind = {(i.year, i.code): i for i in _db.session.scalars(select(Indicator))}
    for (year, code), months in MANUAL.items():
        for month, value in months.items():
            _db.session.add(ManualRealisasi(indicator_id=ind[(year, code)].id, period=f"{year}-{month:02d}",
                                            value=Decimal(value), note="uji"))
    _db.session.flush()


@pytest.fixture(scope="module")
def rendered(app):
    """One compiled version of the LKj Sekretariat 2026 (DOCX, PDF, snapshot), rendered once for the module."""
    ctx = app.app_context()
    ctx.push()
    try:
        people = _setup_org()
        _setup_pk()
        budget.import_budget_file("realisasi_2026.csv", BUDGET_2026, YEAR)
        budget.import_budget_file("realisasi_2025.csv", BUDGET_2025, YEAR - 1)
        _db.session.commit()
        doc = services.compile_report(YEAR, "LKJ-SEK", people["rendatin"])
        _db.session.commit()
        docx_bytes = services.open_blob(doc.docx_key).read()
        pdf_bytes = services.open_blob(doc.pdf_key).read()
        result = {"docx": Document(io.BytesIO(docx_bytes)), "pdf": PdfReader(io.BytesIO(pdf_bytes)),
                  "snapshot": doc.data, "people": {k: (u.name, u.nip) for k, u in people.items()}}
        result["pages"] = [page.extract_text() for page in result["pdf"].pages]
        result["text"] = "\n".join(result["pages"])
        yield result
    finally:
        empty_tables()
        ctx.pop()


def _table(document, first_header: str, contains: str | None = None):
    for table in document.tables:
        header = [c.text.strip() for c in table.rows[0].cells]
        if header and header[0] == first_header and (contains is None or contains in header):
            return table
    raise AssertionError(f"tabel {first_header} tidak ada")


def _rows(table) -> list[list[str]]:
    return [[c.text.strip() for c in row.cells] for row in table.rows]


def _row(table, starts: str) -> list[str]:
    for cells in _rows(table)[1:]:
        if cells[0].startswith(starts):
            return cells
    raise AssertionError(f"baris {starts} tidak ada")


# ---- Bab III: this year, earlier years, the Renstra --------------------------------------------------------------

def test_bab3_compares_realisasi_and_capaian_with_the_earlier_years_that_have_data(rendered):
    document = rendered["docx"]
    real = _table(document, "Indikator Kinerja", "2024")
    assert [c.text.strip() for c in real.rows[0].cells] == ["Indikator Kinerja", "Satuan", "2024", "2025", "2026"]
    assert _row(real, "IK1.1")[2:] == ["70", "80", "90"]
    assert _row(real, "IK2.2")[2:] == ["–", "4", "3"]  # not in the 2024 PK
    capaian = _table(document, "Indikator Kinerja", "Selisih 2026 thd 2025 (poin)")
    assert _row(capaian, "IK1.1")[1:] == ["70,00", "80,00", "90,00", "10,00"]
    assert _row(capaian, "IK2.2")[1:] == ["–", "100,00", "75,00", "-25,00"]
    assert _row(capaian, "IK1.2")[1:] == ["–", "–", "100,00", "–"]
    assert "Perbandingan capaian (%) Tahun 2024–2026" in rendered["text"]


def test_bab3_compares_with_the_renstra_end_of_period_target(rendered):
    table = _table(rendered["docx"], "Indikator Kinerja", "Target Renstra")
    # a count: summed over 2025-2026 (4 + 3 = 7 of 20 -> 35,00); a level: this year's 90 of 100
    ik22 = _row(table, "IK2.2")
    assert ik22[1:] == ["Laporan", "4", "3", "75,00", "20", "7 (kumulatif 2025–2026)", "35,00"]
    ik11 = _row(table, "IK1.1")
    assert ik11[5:] == ["100", "90 (nilai Tahun 2026)", "90,00"]
    assert "Renstra" in rendered["text"]


# ---- Bab III B: budget and absorption --------------------------------------------------------------------------

def test_bab3b_budget_per_output_code_with_absorption_hand_computed(rendered):
    table = _table(rendered["docx"], "Kode Output")
    assert _row(table, "076.01.WA.4499.EBD.953")[2:] == ["50.000.000", "45.000.000", "90,00"]
    assert _row(table, "076.01.WA.4499.EBA.956")[2:] == ["100.000.000", "91.500.000", "91,50"]
    assert _row(table, "076.01.WA.4499.EBA.957")[2:] == ["20.000.000", "10.000.000", "50,00"]
    assert _row(table, "Jumlah")[2:] == ["200.000.000", "170.500.000", "85,25"]  # 170,5 / 200


def test_absorption_per_sasaran_stands_next_to_its_capaian(rendered):
    table = _table(rendered["docx"], "Sasaran", "Penyerapan (%)")
    # S1: capaian (90 + 100) / 2; pagu 50 + 30 juta, realisasi 45 + 24 -> 69 / 80 = 86,25
    assert _row(table, "Meningkatnya kualitas perencanaan")[1:] == ["95,00", "80.000.000", "69.000.000", "86,25"]
    # S2: capaian (101,16 + 75) / 2 = 88,08; only IK2.2's code carries budget: 91,5 / 100
    assert _row(table, "Meningkatnya akuntabilitas")[1:] == ["88,08", "100.000.000", "91.500.000", "91,50"]
    history = _table(rendered["docx"], "Tahun", "Penyerapan (%)")
    assert _rows(history)[1:] == [["2025", "40.000.000", "36.000.000", "90,00"],
                                  ["2026", "200.000.000", "170.500.000", "85,25"]]
    assert "penyerapan anggaran 85,25%" in rendered["text"].replace("\n", " ")


# ---- charts ---------------------------------------------------------------------------------------------------

def test_charts_are_in_the_document_and_listed_in_the_daftar_gambar(rendered):
    document = rendered["docx"]
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption" and p.text.startswith("Gambar")]
    assert captions == [f"Gambar 1. Capaian indikator kinerja Tahun {YEAR}",
                        f"Gambar 2. Tren capaian kumulatif bulanan Tahun {YEAR} (capaian s.d. bulan terhadap "
                        "target tahunan)"]
    assert len(document.inline_shapes) >= 2  # the two charts (PNG) besides the QR code
    xml = document.element.xml
    assert 'TOC \\h \\z \\c "Gambar"' in xml and "SEQ Gambar" in xml
    front = "\n".join(rendered["pages"][:5])
    assert "DAFTAR GAMBAR" in front
    listed = re.findall(r"Gambar (\d)\. (Capaian indikator|Tren capaian)", front)
    assert [n for n, _ in listed] == ["1", "2"]
    assert "Gambar 1. Capaian indikator kinerja Tahun 2026" in rendered["text"]


def test_the_trend_is_the_capaian_so_far_each_month():
    from silabu.lkj.document.elements import trend_capaian

    row = {"target_year": "12", "consolidation": "sum", "polarity": "+",
           "months": ["1", "1", None, "2"] + [None] * 8}
    assert trend_capaian(row)[:5] == [8.33, 16.67, None, 33.33, None]


# ---- the Perjanjian Kinerja ----------------------------------------------------------------------------------

def test_lampiran_has_the_perjanjian_kinerja_with_pihak_pertama_and_pihak_kedua(rendered):
    parties = _table(rendered["docx"], "Pihak")
    sek_name, sek_nip = rendered["people"]["sekretaris"]
    ketua_name, ketua_nip = rendered["people"]["ketua"]
    assert _rows(parties)[1:] == [
        ["Pihak Pertama", sek_name, sek_nip, "Sekretaris KPU Kabupaten Kudus"],
        ["Pihak Kedua", ketua_name, ketua_nip, "Ketua KPU Kabupaten Kudus"]]
    program = _table(rendered["docx"], "No", "Program")
    assert _rows(program)[1:] == [["1", "076.01.WA Program Dukungan Manajemen", "200.000.000"],
                                  ["", "Jumlah", "200.000.000"]]
    text_ = " ".join(rendered["text"].split())
    start = text_.index("PERJANJIAN KINERJA TAHUN 2026")
    pk = text_[start:]
    for expected in ("Pihak Pertama", "Pihak Kedua,", "Pihak Pertama,", sek_name, ketua_name, f"NIP. {sek_nip}",
                     "Jumlah laporan BMN tepat waktu", "Program Dukungan Manajemen"):
        assert expected in pk, expected


# ---- the finish -----------------------------------------------------------------------------------------------

def test_a_sasaran_is_printed_once_even_when_its_indicators_are_not_adjacent(rendered):
    table = _table(rendered["docx"], "No", "Capaian (%)")
    rows = _rows(table)[1:]
    assert [r[2].split(" ")[0] for r in rows] == ["IK1.1", "IK1.2", "IK2.1", "IK2.2"]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    # merged vertically: each sasaran's cell is one cell over its rows
    from docx.oxml.ns import qn

    starts = [row._tr.tc_lst[1].tcPr.find(qn("w:vMerge")) for row in table.rows[1:]]
    assert [None if m is None else m.get(qn("w:val"), "continue") for m in starts] == [
        "restart", "continue", "restart", "continue"]
    assert [r[1] for r in rows] == ["Meningkatnya kualitas perencanaan"] * 2 + [
        "Meningkatnya akuntabilitas keuangan dan BMN"] * 2


def test_capaian_is_printed_with_two_decimals_everywhere(rendered):
    table = _table(rendered["docx"], "No", "Capaian (%)")
    capaian = [r[6] for r in _rows(table)[1:]]
    assert capaian == ["90,00", "100,00", "101,16", "75,00"]
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}", c) for c in capaian)


def test_docx_tables_have_fixed_widths_wide_enough_for_every_word(rendered):
    from docx.oxml.ns import qn

    document = rendered["docx"]
    for table in document.tables[:-1]:
        tbl = table._tbl
        layout = tbl.tblPr.find(qn("w:tblLayout"))
        if layout is None:  # the signature/QR tables have no header to fit
            continue
        assert layout.get(qn("w:type")) == "fixed"
        grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
        header = [c.text.strip() for c in table.rows[0].cells]
        small = any(p.style.name.endswith("Kecil") for p in table.rows[0].cells[0].paragraphs)
        el = TableEl("x", header, [], [1] * len(header), small=small)
        from reportlab.pdfbase.pdfmetrics import stringWidth

        size = 8 if small else 10
        for i, name in enumerate(header):
            if i >= len(grid):
                break
            for word in name.split():
                need_twips = (stringWidth(word, "Helvetica-Bold", size) / 72 * 2.54 + 0.38) / 2.54 * 1440
                assert grid[i] >= need_twips, (header, word, grid[i])
        assert sum(grid) <= int(16 / 2.54 * 1440) + 5
        last = table.rows[-1]._tr.tc_lst
        assert [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in last] == grid[:len(last)] or any(
            tc.tcPr.find(qn("w:gridSpan")) is not None for tc in last)
        del el


def test_fit_widths_widens_a_column_whose_word_would_break():
    el = TableEl("x", ["Indikator", "Realisasi"], [["a", "1"]], [10, 0.5])
    widths = docx_widths(el, 12.0)
    assert abs(sum(widths) - 12.0) < 1e-6
    assert widths[1] > 12.0 * 0.5 / 10.5  # wider than its share: "Realisasi" fits


def test_pdf_table_headers_do_not_split_words(rendered):
    lines = rendered["text"].splitlines()
    assert not any(line.strip() in ("i", "si", "an", "(%)i") for line in lines)
    assert not any(line.rstrip().endswith("Realisas") for line in lines)
    assert "Realisasi" in rendered["text"]


def test_front_matter_is_numbered_in_roman_and_bab_i_starts_at_one(rendered):
    pages = rendered["pages"]
    assert "Halaman ii" in pages[1] and "KATA PENGANTAR" in pages[1]
    bab1 = next(i for i, p in enumerate(pages) if "BAB I PENDAHULUAN" in p and "DAFTAR ISI" not in p)
    assert re.search(r"Halaman 1\n", pages[bab1])
    assert re.search(r"Halaman [ivx]+\n", pages[bab1 - 1])
    assert re.search(r"Halaman 2\n", pages[bab1 + 1])
    # the Daftar Isi gives the Kata Pengantar page ii and Bab I page 1 (the number is read before its entry)
    toc = "\n".join(pages[2:5])
    assert re.search(r"\bii\nKATA PENGANTAR", toc)
    assert re.search(r"\b1\nBAB I PENDAHULUAN", toc)
    from docx.oxml.ns import qn

    sections = rendered["docx"].sections
    assert [s._sectPr.find(qn("w:pgNumType")).get(qn("w:fmt")) for s in sections] == ["lowerRoman", "decimal"]


def test_the_cover_carries_the_satker_letterhead(rendered):
    cover = rendered["pages"][0]
    assert "KOMISI PEMILIHAN UMUM" in cover and "KPU KABUPATEN KUDUS" in cover
    assert "Jl. Ganesha No. 4, Kudus" in cover and "Telepon (0291) 431234" in cover
    first = [p.text for p in rendered["docx"].paragraphs[:4]]
    assert first == ["KOMISI PEMILIHAN UMUM", "KPU KABUPATEN KUDUS", "Jl. Ganesha No. 4, Kudus",
                     "Telepon (0291) 431234"]


# ---- the budget import ----------------------------------------------------------------------------------------

def test_budget_import_reads_the_finance_export_and_replaces_the_year(db, org):
    result = budget.import_budget_file("realisasi.csv", BUDGET_2026, YEAR)
    assert (result.lines, result.pagu, result.realisasi) == (4, Decimal("200000000"), Decimal("170500000"))
    again = budget.import_budget_file("realisasi.csv", BUDGET_2026.replace(b"45.000.000", b"47.500.000"), YEAR)
    assert again.replaced == 4
    lines = {b.output_code.code: b for b in budget.budget_lines(YEAR)}
    assert lines["076.01.WA.4499.EBD.953"].realisasi == Decimal("47500000")
    assert budget.absorption(Decimal(200), Decimal("170.5")) == Decimal("85.25")


def test_budget_import_xlsx(db, org):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Kode Output", "Uraian", "Pagu", "Realisasi"])
    ws.append(["076.01.WA.4499.EBA.956", "Layanan BMN", 100000000, 91500000.5])
    out = io.BytesIO()
    wb.save(out)
    result = budget.import_budget_file("anggaran.xlsx", out.getvalue(), YEAR)
    assert result.realisasi == Decimal("91500000.5")


GOOD = b"076.01.WA.4499.EBD.952,10,5\n"  # a good row first: it is not imported either


@pytest.mark.parametrize("content, message", [
    (b"kode,pagu,realisasi\n" + GOOD + b"076.01.WA.9999.XXX.000,100,50\n",
     "Baris 3: kode output 076.01.WA.9999.XXX.000 tidak ada di daftar kode output."),
    (b"kode,pagu,realisasi\n" + GOOD + b"076.01.WA.4499.EBA.956,100,150\n",
     "Baris 3: realisasi Rp150 melebihi pagu Rp100."),
    (b"kode,pagu,realisasi\n" + GOOD + b"076.01.WA.4499.EBA.956,seratus,50\n",
     "Baris 3: pagu 'seratus' bukan angka."),
    (b"kode,pagu,realisasi\n" + GOOD + b"076.01.WA.4499.EBA.956,100,-1\n",
     "Baris 3: realisasi tidak boleh negatif."),
    (b"kode,pagu,realisasi\n" + GOOD + GOOD, "Baris 3: kode output 076.01.WA.4499.EBD.952 sudah ada di baris 2."),
    (b"kode,pagu\n076.01.WA.4499.EBA.956,100\n", "Kolom realisasi tidak ada."),
])
def test_a_bad_budget_row_refuses_the_whole_file_and_changes_nothing(db, org, content, message):
    budget.import_budget_file("lama.csv", b"kode,pagu,realisasi\n076.01.WA.4499.EBD.953,10,5\n", YEAR)
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        budget.import_budget_file("baru.csv", content, YEAR)
    assert message in exc.value.fields["file"], exc.value.fields["file"]
    db.session.rollback()
    lines = db.session.scalars(select(BudgetLine)).all()
    assert [(b.output_code.code, b.pagu) for b in lines] == [("076.01.WA.4499.EBD.953", Decimal(10))]


def test_budget_cannot_change_once_the_year_is_signed(db, org):
    from silabu.core.errors import Conflict
    from silabu.lkj.models import LkjStatus

    services.ensure_report(YEAR, "LKJ-SEK").status = LkjStatus.DITANDATANGANI
    db.session.flush()
    with pytest.raises(Conflict):
        budget.import_budget_file("baru.csv", b"kode,pagu,realisasi\n" + GOOD, YEAR)


# ---- the page and the command line ----------------------------------------------------------------------------

def test_rendatin_uploads_the_budget_on_its_page_and_a_bad_file_says_why(db, org, make_user, client, login_as):
    rendatin = make_user("RDI", "asn,rendatin", name="Eko Rendatin")
    login_as(rendatin)
    page = client.get(f"/lkj/anggaran/{YEAR}")
    assert page.status_code == 200 and "Belum ada data anggaran tahun 2026" in page.text
    bad = client.post(f"/lkj/anggaran/{YEAR}", data={"file": (io.BytesIO(
        b"kode,pagu,realisasi\n076.01.WA.4499.EBA.956,100,150\n"), "anggaran.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "Baris 2: realisasi Rp150 melebihi pagu Rp100." in bad.text and "Tidak ada data anggaran" in bad.text
    assert db.session.scalars(select(BudgetLine)).all() == []
    ok = client.post(f"/lkj/anggaran/{YEAR}", data={"file": (io.BytesIO(BUDGET_2026), "realisasi.csv")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert ok.status_code == 200
    assert "4 kode output, pagu Rp200.000.000, realisasi Rp170.500.000" in ok.text
    assert "91,5%" in ok.text.replace("91,50", "91,5")


def test_cli_imports_the_budget_and_refuses_a_bad_file(db, org, app, tmp_path):
    good = tmp_path / "realisasi.csv"
    good.write_bytes(BUDGET_2026)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lkj", "import-budget", str(good), "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    assert "Anggaran 2026: 4 kode output, pagu Rp200.000.000, realisasi Rp170.500.000, penyerapan 85,25%" in \
        result.output
    bad = tmp_path / "salah.csv"
    bad.write_bytes(b"kode,pagu,realisasi\n076.01.WA.4499.EBA.956,abc,1\n")
    result = runner.invoke(args=["lkj", "import-budget", str(bad), "--year", str(YEAR)])
    assert result.exit_code == 1
    assert "Baris 2: pagu 'abc' bukan angka." in result.output
    db.session.expire_all()
    assert len(db.session.scalars(select(BudgetLine)).all()) == 4


# ---- the demo ---------------------------------------------------------------------------------------------------

def test_the_demo_lkj_has_manual_figures_rencana_aksi_budget_and_last_year(db, app):
    from datetime import date
    from pathlib import Path

    from silabu.demo import load_demo
    from silabu.lkj.models import IndicatorTarget

    today = date(2026, 11, 18)
    folder = Path(app.config["DEMO_DATA_DIR"])
    message = load_demo(folder, password="silabu-demo", with_entries=False, today=today)
    db.session.commit()
    assert "LKj: 60 realisasi manual, anggaran 2025 dan 2026." in message
    table = {r.code: r for r in services.tabel_capaian(YEAR, "LKJ-SEK").rows}
    # Rendatin's figures with evidence: IKPA 96,1 of 95; 90 of 100 %; one disciplinary case against a target of 0;
    # PPID (4+6+5+5+7+6+5+4+6+5)/10 = 5,3 days against 5 (lower is better): (10 - 5,3) / 5 = 94,00
    assert (table["IK2.1"].capaian, table["IK1.2"].capaian) == (Decimal("101.16"), Decimal("90.00"))
    assert (table["IK3.2"].realisasi, table["IK3.2"].capaian) == (Decimal("1.00"), Decimal("0.00"))
    assert (table["IK3.3"].realisasi, table["IK3.3"].capaian) == (Decimal("5.30"), Decimal("94.00"))
    ik22 = next(i for i in services.indicators_for(YEAR, "LKJ-SEK") if i.code == "IK2.2")
    monthly = db.session.scalars(select(IndicatorTarget.target).where(IndicatorTarget.indicator_id == ik22.id)).all()
    # the Rencana Aksi: 4 quarterly BMN reports a year, due in the months after each quarter's end
    assert monthly == [Decimal(n) for n in (1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0)]
    assert len(budget.budget_lines(YEAR)) == len(budget.budget_lines(YEAR - 1)) == 14
    assert sum(b.pagu for b in budget.budget_lines(YEAR)) == Decimal("5665000000")
    assert services.indicators_for(YEAR - 1, "LKJ-SEK"), "last year's PK, to compare with"
    again = load_demo(folder, password="silabu-demo", with_entries=False, today=today)
    db.session.commit()
    assert "LKj: 60 realisasi manual" in again
    assert db.session.scalar(select(text("count(*)")).select_from(ManualRealisasi)) == 60


def test_a_bar_above_the_scale_is_cut_and_says_so():
    from silabu.lkj.document.charts import layout
    from silabu.lkj.document.elements import capaian_figure

    fig = capaian_figure([{"code": "IK1.1", "capaian": "1375.00"}, {"code": "IK2.1", "capaian": "83.30"},
                          {"code": "IK3.1", "capaian": None}], 2026)
    assert fig.value_labels == ["1.375,00", "83,30", "–"]
    assert fig.note == "Batang IK1.1 dipotong pada 200%; angka di atasnya adalah capaian sebenarnya."
    texts = [op[3] for op in layout(fig) if op[0] == "text"]
    assert "1.375,00" in texts and "83,30" in texts and "target 100%" in texts
    assert capaian_figure([{"code": "IK2.1", "capaian": "83.30"}], 2026).note == ""
