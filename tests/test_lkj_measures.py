"""Realisasi measured as each indicator says (``measure``), and the warnings a reviewer must see: entries in
another unit left out, an implausible capaian, months not yet final. Every figure here is computed by hand."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from conftest import PDF
from docx import Document
from test_lkj_services import (  # the same helpers as the rest of the LKj suite
    IK11_CODE,
    IK31_CODE,
    TODAY,
    YEAR,
    entry,
    indicator,
    load_indicators,
    packet,
    row_for,
)

from silabu.catalog.models import Measure
from silabu.core.errors import ValidationFailed
from silabu.core.tables import read_table
from silabu.lkj import services
from silabu.pleno.models import PacketStatus

D = Decimal
DEMO_INDICATORS = Path(__file__).resolve().parents[1] / "silabu" / "demo" / "data" / "indicators.csv"


@pytest.fixture()
def pk(db, org):
    load_indicators(db)


@pytest.fixture()
def staff(make_asn):
    return make_asn("RDI")


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        yield


def set_measure(db, code: str, measure: Measure) -> None:
    ind = indicator(code)
    ind.measure = measure
    db.session.commit()


def warnings(row) -> dict[str, object]:
    return {w.code: w.count for w in row.warnings}


@pytest.fixture()
def two_final_months(db, pk, staff):
    """IK1.1 (target 12 Laporan): January 2 + 3 Laporan, 1 "laporan " (same unit as typed), 5 Dokumen; February
    4 Laporan; March 7 Laporan in a month whose packet is not final."""
    for qty, uom in (("2", "Laporan"), ("3", "Laporan"), ("1", "laporan "), ("5", "Dokumen")):
        entry(db, staff, date(YEAR, 1, 10), IK11_CODE, qty, uom=uom)
    entry(db, staff, date(YEAR, 2, 10), IK11_CODE, "4", uom="Laporan")
    entry(db, staff, date(YEAR, 3, 10), IK11_CODE, "7", uom="Laporan")
    packet(db, "2026-01")
    packet(db, "2026-02")
    packet(db, "2026-03", PacketStatus.DRAFT)


def test_sum_quantity_adds_only_entries_in_the_indicators_unit_and_reports_the_others(db, two_final_months):
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1")
    assert row.measure == "sum_quantity"
    assert row.months[:3] == [D("6.00"), D("4.00"), None]  # 2 + 3 + 1; the 5 Dokumen are not added
    assert row.realisasi == D("10.00") and row.capaian == D("83.33")  # 10 / 12
    assert warnings(row) == {"unit_mismatch": 1, "months_missing": 10}
    mismatch = next(w for w in row.warnings if w.code == "unit_mismatch")
    assert "Dokumen" in mismatch.message and "Laporan" in mismatch.message
    january = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "2026-01"), "IK1.1")
    assert january.realisasi == D("6.00") and warnings(january) == {"unit_mismatch": 1}
    february = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "2026-02"), "IK1.1")
    assert february.warnings == []


def test_count_entries_counts_every_counted_entry_whatever_its_unit(db, two_final_months):
    set_measure(db, "IK1.1", Measure.COUNT_ENTRIES)
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1")
    assert row.months[:3] == [D("4.00"), D("1.00"), None]
    assert row.realisasi == D("5.00") and row.capaian == D("41.67")  # 5 / 12
    assert warnings(row) == {"months_missing": 10}


def test_count_final_packets_counts_the_months_whose_packet_is_final(db, two_final_months):
    set_measure(db, "IK1.1", Measure.COUNT_FINAL_PACKETS)
    table = services.tabel_capaian(YEAR, "LKJ-SEK")
    row = row_for(table, "IK1.1")
    assert row.source == "packets"
    assert row.months[:4] == [D("1.00"), D("1.00"), None, None]
    assert row.realisasi == D("2.00") and row.capaian == D("16.67")  # 2 / 12
    assert warnings(row) == {"months_missing": 10}
    trace = services.trace(indicator("IK1.1"))
    assert [m.value for m in trace.months[:3]] == [D("1.00"), D("1.00"), None]
    assert trace.months[0].packet is not None and trace.months[0].entries == []


def test_manual_measure_ignores_entries_of_a_mapped_code_and_takes_rendatins_figure(db, two_final_months, rendatin):
    set_measure(db, "IK1.1", Measure.MANUAL)
    services.save_manual_realisasi(indicator("IK1.1"), "2026-01", "3", "Daftar laporan yang diplenokan", rendatin,
                                   today=TODAY, filename="daftar.pdf", data=PDF)
    db.session.commit()
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1")
    assert row.source == "manual" and row.realisasi == D("3.00") and row.capaian == D("25.00")
    assert warnings(row) == {"months_missing": 11}
    set_measure(db, "IK1.1", Measure.SUM_QUANTITY)
    with pytest.raises(ValidationFailed):
        services.save_manual_realisasi(indicator("IK1.1"), "2026-02", "3", "x", rendatin, today=TODAY,
                                       filename="d.pdf", data=PDF)


def test_implausible_above_the_configured_ceiling(db, app, pk, staff):
    for month in range(1, 13):
        packet(db, f"2026-{month:02d}")
    entry(db, staff, date(YEAR, 1, 10), IK31_CODE, "50")  # IK3.1 target 40 Dokumen
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK3.1")
    assert row.capaian == D("125.00")
    assert warnings(row) == {"implausible": None}
    assert "120" in row.warnings[0].message
    app.config["LKJ_CAPAIAN_CEILING"] = 130
    try:
        assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK3.1").warnings == []
    finally:
        app.config["LKJ_CAPAIAN_CEILING"] = 120
    entry(db, staff, date(YEAR, 2, 10), IK31_CODE, "-2")  # 48 / 40 = 120 exactly: not above
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK3.1").warnings == []


def test_implausible_below_zero_for_a_lower_is_better_indicator(db, pk, rendatin):
    # IK3.3 average days, target 5, lower is better: realisasi 11 gives (10 - 11) / 5 = -20 %.
    services.save_manual_realisasi(indicator("IK3.3"), "2026-06", "11", "Rekap PPID", rendatin, today=TODAY,
                                   filename="ppid.pdf", data=PDF)
    db.session.commit()
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "2026-06"), "IK3.3")
    assert row.capaian == D("-20.00")
    assert warnings(row) == {"implausible": None}
    assert "di bawah 0" in row.warnings[0].message


def test_a_level_indicator_misses_only_its_last_month(db, pk, rendatin):
    # IK2.1 IKPA (last value): November entered, December not -> the year's figure is November's, flagged.
    ikpa = indicator("IK2.1")
    services.save_manual_realisasi(ikpa, "2026-11", "96", "OM-SPAN", rendatin, today=TODAY, filename="a.pdf",
                                   data=PDF)
    db.session.commit()
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK2.1")
    assert row.realisasi == D("96.00") and warnings(row) == {"months_missing": 11}
    assert "Desember" in row.warnings[0].message
    services.save_manual_realisasi(ikpa, "2026-12", "97", "OM-SPAN", rendatin, today=TODAY, filename="b.pdf",
                                   data=PDF)
    db.session.commit()
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK2.1").warnings == []


def test_api_rows_carry_measure_and_warnings(db, two_final_months, rendatin, api_token, client):
    body = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/capaian", headers=api_token(rendatin)).json
    items = {i["indicator_code"]: i for i in body["items"]}
    assert items["IK1.1"]["measure"] == "sum_quantity"
    assert [(w["code"], w.get("count")) for w in items["IK1.1"]["warnings"]] == [("unit_mismatch", 1),
                                                                              ("months_missing", 10)]
    assert all(set(w) >= {"code", "message"} for i in items.values() for w in i["warnings"])
    spec = client.get("/api/v1/openapi.json").json
    row = spec["components"]["schemas"]["LkjCapaianRow"]["properties"]
    assert "warnings" in row and "measure" in row


def test_pages_show_the_warnings_and_the_left_out_entries(db, two_final_months, rendatin, login_as, frozen):
    client = login_as(rendatin)
    html = client.get("/lkj/2026/LKJ-SEK/capaian").get_data(as_text=True)
    assert 'data-warning="unit_mismatch"' in html and "bersatuan Dokumen" in html
    assert 'data-warning="months_missing"' in html
    trace = client.get(f"/lkj/indikator/{indicator('IK1.1').id}/jejak").get_data(as_text=True)
    assert 'data-warning="unit_mismatch"' in trace
    assert "1 entri bersatuan lain (Dokumen) tidak dijumlahkan" in trace


def test_document_prints_the_warnings_as_footnotes_and_says_what_the_average_includes(db, two_final_months,
                                                                                     rendatin, api_token, client):
    data = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK/document.docx", headers=api_token(rendatin)).data
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any(c.startswith("IK1.1 Jumlah laporan kinerja bulanan yang diplenokan (catatan") for c in cells)
    assert "IK1.1: 1 entri kode output indikator ini bersatuan Dokumen" in text
    assert "Catatan pemeriksaan" in cells
    # One number format for capaian: two decimals, also for whole numbers.
    capaian_table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][6:7] == ["Capaian (%)"])
    assert [r.cells[6].text for r in capaian_table.rows[1:]] == ["83,33", "–", "–", "0,00", "0,00", "–", "–"]
    # Measurable: IK1.1 83,33 (10 / 12), IK2.2 0 and IK3.1 0 (final months without entries): (83,33 + 0 + 0) / 3.
    assert ("Rata-rata capaian 3 indikator yang dapat diukur adalah 27,78% (4 indikator yang belum dapat diukur "
            "tidak termasuk).") in text
    assert ("mencakup 3 indikator yang bercatatan pemeriksaan (IK1.1, IK2.2, IK3.1); tidak ada indikator terukur "
            "tanpa catatan.") in text


def test_indicators_csv_reads_measure_and_target_renstra(db, org):
    csv = ("report,sasaran_code,sasaran,indicator_code,indicator,unit,target_year,polarity,consolidation,"
           "output_code,measure,target_renstra\n"
           f"LKJ-SEK,S1,Sasaran,IK1,Laporan bulanan diplenokan,Laporan,12,+,sum,{IK11_CODE},count_final_packets,60\n"
           f"LKJ-SEK,S1,Sasaran,IK2,Dokumen,Dokumen,10,+,sum,{IK11_CODE},,\n"
           "LKJ-SEK,S1,Sasaran,IK3,IKPA,Nilai,95,+,last,,,\n"
           "LKJ-SEK,S1,Sasaran,IK4,Salah,Nilai,95,+,last,,jumlah,\n"
           "LKJ-SEK,S1,Sasaran,IK5,Tanpa kode,Dokumen,5,+,sum,,sum_quantity,\n"
           "LKJ-SEK,S1,Sasaran,IK6,Renstra salah,Dokumen,5,+,sum,,manual,enam\n")
    report = services.import_indicators_file("pk.csv", csv.encode(), YEAR, None)
    db.session.commit()
    assert report.created == 3
    assert [line for line, _ in report.errors] == [5, 6, 7]
    assert "measure harus" in report.errors[0][1] and "memerlukan output_code" in report.errors[1][1]
    by_code = {i.code: i for i in services.indicators_for(YEAR, "LKJ-SEK")}
    assert by_code["IK1"].measure is Measure.COUNT_FINAL_PACKETS and by_code["IK1"].target_renstra == D("60")
    assert by_code["IK2"].measure is Measure.SUM_QUANTITY and by_code["IK2"].target_renstra is None
    assert by_code["IK3"].measure is Measure.MANUAL


def test_indicator_form_sets_the_measure(db, pk, rendatin, login_as, frozen):
    client = login_as(rendatin)
    ind = indicator("IK1.1")
    page = client.get(f"/lkj/indikator/{ind.id}/ubah").get_data(as_text=True)
    assert 'name="measure"' in page and "Jumlah bulan yang paket plenonya final" in page
    form = {"code": ind.code, "name": ind.name, "unit": ind.unit, "sasaran_code": ind.sasaran_code,
            "sasaran": ind.sasaran, "target_year": "12", "polarity": "+", "consolidation": "sum",
            "output_codes": IK11_CODE, "measure": "count_final_packets", "target_renstra": "60"}
    assert client.post(f"/lkj/indikator/{ind.id}/ubah", data=form).status_code == 302
    db.session.expire_all()
    assert indicator("IK1.1").measure is Measure.COUNT_FINAL_PACKETS and indicator("IK1.1").target_renstra == 60
    bad = client.post(f"/lkj/indikator/{ind.id}/ubah", data={**form, "measure": "sum_quantity", "output_codes": ""})
    assert bad.status_code == 422 and "isi paling sedikit satu kode output" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert indicator("IK1.1").measure is Measure.COUNT_FINAL_PACKETS


def test_the_demo_counts_plenoed_reports_as_final_packets():
    rows = read_table("indicators.csv", DEMO_INDICATORS.read_bytes()).rows
    assert {r["indicator_code"]: r["measure"] for r in rows}["IK1.1"] == "count_final_packets"


@pytest.mark.parametrize(("value", "text"), [("100", "100,00"), ("1375", "1.375,00"), ("83.3", "83,30"),
                                             ("-20", "-20,00"), (None, "–")])
def test_capaian_is_always_printed_with_two_decimals(value, text):
    from silabu.lkj.capaian import capaian_text

    assert capaian_text(value) == text
