"""Realisasi from finalized pleno packets and Rendatin's manual entries, the Tabel Capaian per period, its
traceability, the previous year, indicators and targets, and the pages and API that show them."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from conftest import PDF, SHARED, set_month_closed
from sqlalchemy import select

from silabu.catalog.models import Indicator, OutputCode
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, ValidationFailed
from silabu.entries.models import Entry, EntryStatus
from silabu.lkj import services
from silabu.lkj.models import LkjReport, LkjStatus, ManualRealisasi
from silabu.pleno.models import Packet, PacketStatus

D = Decimal
YEAR = 2026
IK11_CODE = "076.01.WA.4499.EBD.953"  # IK1.1 laporan kinerja bulanan
IK31_CODE = "076.01.WA.4499.EBA.957"  # IK3.1 produk hukum JDIH
TODAY = date(2027, 1, 20)
# Entries are logged in the unit of the indicator their code measures (sum_quantity adds only those).
CODE_UNITS = {IK11_CODE: "Laporan", "076.01.WA.4499.EBA.956": "Laporan"}


def load_indicators(db, year: int = YEAR) -> None:
    from silabu.core.tables import read_table
    from silabu.lkj.services import import_indicators

    import_indicators(read_table("indicators.csv", (SHARED / "data/demo/indicators.csv").read_bytes()).rows, year)
    db.session.commit()


def code_id(code: str) -> int:
    from silabu.extensions import db

    return db.session.scalar(select(OutputCode.id).where(OutputCode.code == code))


def indicator(code: str, year: int = YEAR) -> Indicator:
    from silabu.extensions import db

    return db.session.scalar(select(Indicator).where(Indicator.year == year, Indicator.code == code))


def entry(db, user, day: date, code: str, qty="1", status=EntryStatus.VERIFIED, locked=True,
          uom: str | None = None) -> Entry:
    row = Entry(user_id=user.id, unit_id=user.unit_id, entry_date=day, period=f"{day:%Y-%m}",
                output_code_id=code_id(code), activity="Menyusun laporan", output="Laporan", quantity=D(qty),
                unit_of_measure=uom or CODE_UNITS.get(code, "Dokumen"), status=status,
                verified_at=utcnow() if status == EntryStatus.VERIFIED else None)
    db.session.add(row)
    if locked:
        set_month_closed(user.unit_id, row.period)
    db.session.commit()
    return row


def packet(db, period: str, status=PacketStatus.FINAL, version: int = 1, ba: str | None = None) -> Packet:
    row = Packet(period=period, version=version, status=status, built_at=utcnow(), summary={},
                 data_sha256="ab" * 32, berita_acara_number=ba or f"{period}/PL.01-BA/3319/2026",
                 pleno_date=date.fromisoformat(period + "-28") if status == PacketStatus.FINAL else None)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture()
def pk(db, org):
    load_indicators(db)


@pytest.fixture()
def rendatin(make_user):
    return make_user("RDI", "asn,rendatin", name="Eko Rendatin")


@pytest.fixture()
def staff(make_asn):
    return make_asn("RDI")


def row_for(table, code: str):
    return next(r for r in table.rows if r.code == code)


# ---- realisasi from finalized packets -----------------------------------------------------------------

def test_realisasi_counts_only_months_whose_latest_packet_is_final(db, pk, staff):
    for month in (1, 2, 3, 4):
        entry(db, staff, date(YEAR, month, 10), IK11_CODE, "1")
    packet(db, "2026-01", PacketStatus.FINAL)
    packet(db, "2026-02", PacketStatus.DRAFT)
    packet(db, "2026-03", PacketStatus.FINAL, version=1)
    # a correction pleno under way (v2 draft): March stays final with v1 until v2 is final and supersedes it
    packet(db, "2026-03", PacketStatus.DRAFT, version=2)
    # April has no packet at all.
    assert services.final_periods(YEAR) == ["2026-01", "2026-03"]
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1")
    assert row.realisasi == D("2.00")
    assert row.months[:4] == [D("1.00"), None, D("1.00"), None]
    assert row.capaian == D("16.67")  # 2 / 12
    assert row.kategori == "Kurang Berhasil"


def test_realisasi_counts_only_verified_entries_of_closed_unit_months(db, pk, staff, make_asn):
    entry(db, staff, date(YEAR, 1, 5), IK11_CODE, "2")
    entry(db, staff, date(YEAR, 1, 7), IK11_CODE, "7", status=EntryStatus.SUBMITTED)
    entry(db, staff, date(YEAR, 1, 8), IK11_CODE, "9", status=EntryStatus.RETURNED)
    entry(db, staff, date(YEAR, 1, 9), IK11_CODE, "4", status=EntryStatus.DRAFT)
    entry(db, staff, date(YEAR, 1, 9), IK31_CODE, "3")  # another indicator's code
    elsewhere = make_asn("KUL")
    entry(db, elsewhere, date(YEAR, 1, 6), IK11_CODE, "5", locked=False)  # its unit's month was reopened
    packet(db, "2026-01")
    table = services.tabel_capaian(YEAR, "LKJ-SEK")
    assert row_for(table, "IK1.1").realisasi == D("2.00")
    assert row_for(table, "IK3.1").realisasi == D("3.00")


def test_final_month_without_entries_counts_as_zero_and_open_months_as_unknown(db, pk):
    packet(db, "2026-01")
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK2.2")
    assert row.months[0] == D("0.00") and row.months[1] is None
    assert row.realisasi == D("0.00") and row.capaian == D("0.00")


def test_no_final_packet_gives_no_capaian_with_a_reason(db, pk, staff):
    entry(db, staff, date(YEAR, 1, 5), IK11_CODE)
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1")
    assert row.realisasi is None and row.capaian is None
    assert "paket pleno final" in row.reason


def test_realisasi_sums_every_mapped_output_code_and_the_ros_under_a_kro(db, pk, staff, rendatin):
    ind = indicator("IK1.1")
    entry(db, staff, date(YEAR, 2, 3), IK11_CODE, "1")
    entry(db, staff, date(YEAR, 2, 4), "076.01.WA.4499.EBD.952", "2", uom="Laporan")  # perencanaan
    entry(db, staff, date(YEAR, 2, 5), "076.01.WA.4499.EBD.955", "4", uom="Laporan")  # keuangan, under KRO EBD
    entry(db, staff, date(YEAR, 2, 6), "076.01.WA.4499.EBA.962", "8", uom="Laporan")  # not mapped
    packet(db, "2026-02")
    services.save_indicator(YEAR, "LKJ-SEK", {**_form(ind), "output_codes": f"{IK11_CODE}\n076.01.WA.4499.EBD.952"},
                            rendatin, indicator=ind)
    db.session.commit()
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1").realisasi == D("3.00")
    services.save_indicator(YEAR, "LKJ-SEK", {**_form(ind), "output_codes": "076.01.WA.4499.EBD"}, rendatin,
                            indicator=ind)
    db.session.commit()
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1").realisasi == D("7.00")


def _form(ind: Indicator) -> dict:
    return {"code": ind.code, "name": ind.name, "unit": ind.unit, "sasaran_code": ind.sasaran_code,
            "sasaran": ind.sasaran, "target_year": str(ind.target_year), "polarity": ind.polarity.value,
            "consolidation": ind.consolidation.value}


def test_uses_pleno_services_final_periods_when_they_exist(db, pk, staff, monkeypatch):
    import sys
    import types

    entry(db, staff, date(YEAR, 5, 5), IK11_CODE, "3")
    fake = types.ModuleType("silabu.pleno.services")
    fake.final_periods = lambda year: ["2026-05"]
    monkeypatch.setitem(sys.modules, "silabu.pleno.services", fake)
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1").realisasi == D("3.00")


# ---- manual realisasi --------------------------------------------------------------------------------------

def test_manual_realisasi_needs_a_note_and_evidence(db, pk, rendatin):
    ikpa = indicator("IK2.1")
    with pytest.raises(ValidationFailed) as exc:
        services.save_manual_realisasi(ikpa, "2026-06", "93,5", "", rendatin, today=TODAY)
    assert set(exc.value.fields) == {"note", "evidence"}
    row = services.save_manual_realisasi(ikpa, "2026-06", "93,5", "Nilai IKPA OM-SPAN semester I", rendatin,
                                         today=TODAY, filename="ikpa.pdf", data=PDF)
    db.session.commit()
    assert row.value == D("93.50") and row.evidence_name == "ikpa.pdf" and row.entered_by_id == rendatin.id
    assert services.open_blob(row.evidence_key).read() == PDF
    # A correction may keep the evidence already given.
    services.save_manual_realisasi(ikpa, "2026-06", "94", "Nilai IKPA setelah koreksi", rendatin, today=TODAY)
    db.session.commit()
    assert db.session.scalar(select(ManualRealisasi)).value == D("94.00")


def test_manual_realisasi_evidence_is_checked_like_entry_evidence(db, pk, rendatin):
    from silabu.core.errors import FileRejected

    with pytest.raises(FileRejected):
        services.save_manual_realisasi(indicator("IK2.1"), "2026-06", "90", "Nilai", rendatin, today=TODAY,
                                       filename="ikpa.exe", data=b"MZ\x90\x00 not a document")


def test_manual_realisasi_is_refused_for_an_indicator_measured_by_entries(db, pk, rendatin):
    with pytest.raises(ValidationFailed) as exc:
        services.save_manual_realisasi(indicator("IK1.1"), "2026-06", "1", "x", rendatin, today=TODAY,
                                       filename="a.pdf", data=PDF)
    assert "entri harian" in exc.value.fields["value"]


def test_manual_realisasi_month_must_be_in_the_year_and_not_ahead(db, pk, rendatin):
    ikpa = indicator("IK2.1")
    for period in ("2025-12", "2026-13", "juni"):
        with pytest.raises(ValidationFailed) as exc:
            services.save_manual_realisasi(ikpa, period, "90", "n", rendatin, today=TODAY, filename="a.pdf", data=PDF)
        assert "period" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.save_manual_realisasi(ikpa, "2026-08", "90", "n", rendatin, today=date(2026, 7, 31),
                                       filename="a.pdf", data=PDF)
    assert "belum berjalan" in exc.value.fields["period"]
    with pytest.raises(ValidationFailed) as exc:
        services.save_manual_realisasi(ikpa, "2026-06", "-3", "n", rendatin, today=TODAY, filename="a.pdf", data=PDF)
    assert "negatif" in exc.value.fields["value"]


def test_manual_realisasi_is_consolidated_by_each_indicators_rule(db, pk, rendatin):
    def put(code, period, value):
        services.save_manual_realisasi(indicator(code), period, value, "catatan", rendatin, today=TODAY,
                                       filename="bukti.pdf", data=PDF)

    for period, value in (("2026-03", "91,2"), ("2026-06", "93,45"), ("2026-12", "96,1")):
        put("IK2.1", period, value)  # IKPA: last known value
    for period, value in (("2026-02", "4"), ("2026-05", "6"), ("2026-08", "5"), ("2026-11", "7")):
        put("IK3.3", period, value)  # average days, lower is better
    put("IK3.2", "2026-04", "0")  # disciplinary cases, target 0, lower is better
    db.session.commit()
    table = services.tabel_capaian(YEAR, "LKJ-SEK")
    assert (row_for(table, "IK2.1").realisasi, row_for(table, "IK2.1").capaian) == (D("96.10"), D("101.16"))
    assert (row_for(table, "IK3.3").realisasi, row_for(table, "IK3.3").capaian) == (D("5.50"), D("90.00"))
    assert row_for(table, "IK3.3").kategori == "Berhasil"
    assert (row_for(table, "IK3.2").realisasi, row_for(table, "IK3.2").capaian) == (D("0.00"), D("100.00"))
    put("IK3.2", "2026-09", "1")
    db.session.commit()
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK3.2")
    assert (row.realisasi, row.capaian, row.kategori) == (D("1.00"), D("0.00"), "Kurang Berhasil")
    assert row_for(table, "IK1.2").reason == "Realisasi Tahun 2026 belum diisi oleh Rendatin."


# ---- periods ------------------------------------------------------------------------------------------------

def test_quarter_semester_and_month_use_rencana_aksi_targets(db, pk, staff, rendatin):
    for month, qty in ((1, "1"), (2, "1"), (3, "1"), (4, "1"), (5, "2")):
        entry(db, staff, date(YEAR, month, 10), IK11_CODE, qty)
        packet(db, f"2026-{month:02d}")
    ind = indicator("IK1.1")
    assert services.set_targets(ind, "quarter", {1: "3", 2: "3", 3: "3", 4: "3"}, rendatin) == []
    services.set_targets(ind, "month", {4: "1", 5: "1"}, rendatin)
    db.session.commit()
    tw1 = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "tw1"), "IK1.1")
    assert (tw1.target, tw1.realisasi, tw1.capaian) == (D("3.00"), D("3.00"), D("100.00"))
    tw2 = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "tw2"), "IK1.1")
    assert (tw2.realisasi, tw2.capaian, tw2.months_counted, tw2.months_in_period) == (D("3.00"), D("100.00"), 2, 3)
    s1 = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "s1"), "IK1.1")
    assert (s1.target, s1.realisasi, s1.capaian) == (D("6.00"), D("6.00"), D("100.00"))
    may = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "2026-05"), "IK1.1")
    assert (may.target, may.realisasi, may.capaian) == (D("1.00"), D("2.00"), D("200.00"))
    year = row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK1.1")
    assert (year.target, year.realisasi, year.capaian) == (D("12.00"), D("6.00"), D("50.00"))


def test_counted_indicator_without_rencana_aksi_has_no_period_capaian_and_says_why(db, pk, staff):
    entry(db, staff, date(YEAR, 1, 10), IK11_CODE)
    packet(db, "2026-01")
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "tw1"), "IK1.1")
    assert row.realisasi == D("1.00") and row.target is None and row.capaian is None
    assert "Rencana Aksi" in row.reason


def test_levels_and_means_keep_the_yearly_target_in_every_period(db, pk, rendatin):
    services.save_manual_realisasi(indicator("IK2.1"), "2026-03", "90,25", "IKPA triwulan I", rendatin,
                                   today=TODAY, filename="a.pdf", data=PDF)
    db.session.commit()
    row = row_for(services.tabel_capaian(YEAR, "LKJ-SEK", "tw1"), "IK2.1")
    assert (row.target, row.realisasi, row.capaian) == (D("95.00"), D("90.25"), D("95.00"))


def test_unknown_period_is_refused():
    with pytest.raises(ValidationFailed):
        services.period_spec(YEAR, "tw5")
    with pytest.raises(ValidationFailed):
        services.period_spec(YEAR, "2025-01")
    assert services.period_spec(YEAR, "Q2").months == (4, 5, 6)
    assert services.period_spec(YEAR, "S2").label == "Semester II 2026"


def test_targets_warn_when_quarters_do_not_add_up_to_the_year(db, pk, rendatin):
    warnings = services.set_targets(indicator("IK1.1"), "quarter", {1: "2", 2: "3", 3: "3", 4: "3"}, rendatin)
    assert warnings and "tidak sama" in warnings[0]
    with pytest.raises(ValidationFailed) as exc:
        services.set_targets(indicator("IK1.1"), "quarter", {1: "abc"}, rendatin)
    assert "quarter_1" in exc.value.fields


# ---- traceability and the previous year -------------------------------------------------------------------------

def test_trace_shows_the_packets_and_entries_behind_a_realisasi(db, pk, staff):
    counted = entry(db, staff, date(YEAR, 1, 10), IK11_CODE, "1")
    entry(db, staff, date(YEAR, 2, 10), IK11_CODE, "1")
    final = packet(db, "2026-01", ba="07/PL.01-BA/3319/2026")
    packet(db, "2026-02", PacketStatus.PRESENTED)
    trace = services.trace(indicator("IK1.1"), "tw1")
    jan, feb, mar = trace.months
    assert jan.is_final and jan.packet.id == final.id and [e.id for e in jan.entries] == [counted.id]
    assert jan.value == D("1.00")
    assert not feb.is_final and feb.entries == [] and feb.pending_entries == 1 and feb.value is None
    assert mar.packet is None
    assert trace.row.realisasi == D("1.00") and trace.source == "entries"


def test_previous_year_is_shown_beside_when_present(db, pk, rendatin):
    table = services.tabel_capaian(YEAR, "LKJ-SEK")
    assert table.previous_year is None and all(r.previous is None for r in table.rows)
    load_indicators(db, YEAR - 1)
    services.save_manual_realisasi(indicator("IK2.1", YEAR - 1), "2025-12", "88", "IKPA 2025", rendatin,
                                   today=TODAY, filename="a.pdf", data=PDF)
    db.session.commit()
    table = services.tabel_capaian(YEAR, "LKJ-SEK")
    assert table.previous_year == YEAR - 1
    prev = row_for(table, "IK2.1").previous
    assert (prev.realisasi, prev.capaian) == (D("88.00"), D("92.63"))


# ---- indicators ----------------------------------------------------------------------------------------------

def test_reports_have_their_own_indicator_sets(db, pk):
    assert [i.code for i in services.indicators_for(YEAR, "LKJ-SEK")] == [
        "IK1.1", "IK1.2", "IK2.1", "IK2.2", "IK3.1", "IK3.2", "IK3.3"]
    assert [i.code for i in services.indicators_for(YEAR, "LKJ-KPU")] == ["IK4.1", "IK4.2", "IK5.1"]
    assert services.report_codes(YEAR)[:2] == ["LKJ-SEK", "LKJ-KPU"]


def test_indicator_is_validated_when_edited(db, pk, rendatin):
    with pytest.raises(ValidationFailed) as exc:
        services.save_indicator(YEAR, "LKJ-SEK", {"code": "IK1.1", "name": "", "unit": "x", "sasaran_code": "S1",
                                                  "sasaran": "S", "target_year": "dua", "polarity": "?",
                                                  "output_codes": "999.99"}, rendatin)
    assert {"code", "name", "target_year", "polarity", "output_codes"} <= set(exc.value.fields)
    ind = services.save_indicator(YEAR, "LKJ-SEK", {"code": "IK3.4", "name": "Indeks kepuasan layanan",
                                                    "unit": "Indeks", "sasaran_code": "S3", "sasaran": "Layanan",
                                                    "target_year": "3,5", "polarity": "+",
                                                    "consolidation": "last"}, rendatin)
    db.session.commit()
    assert ind.target_year == D("3.50") and ind.position > indicator("IK3.3").position


def test_import_indicators_file_creates_and_updates(db, org, rendatin):
    content = (SHARED / "data/demo/indicators.csv").read_bytes()
    first = services.import_indicators_file("indicators.csv", content, YEAR, rendatin)
    second = services.import_indicators_file("indicators.csv", content, YEAR, rendatin)
    db.session.commit()
    assert (first.created, second.created, second.updated) == (10, 0, 10)


# ---- kategori bands -----------------------------------------------------------------------------------------

def test_kategori_bands_are_configurable(db, pk, rendatin):
    services.save_manual_realisasi(indicator("IK2.1"), "2026-06", "85,5", "IKPA", rendatin, today=TODAY,
                                   filename="a.pdf", data=PDF)
    db.session.commit()
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK2.1").kategori == "Berhasil"  # 90.00
    services.save_bands([("95", "Memuaskan"), ("", "Belum memuaskan")], rendatin)
    db.session.commit()
    assert row_for(services.tabel_capaian(YEAR, "LKJ-SEK"), "IK2.1").kategori == "Belum memuaskan"
    with pytest.raises(ValidationFailed):
        services.save_bands([("95", "A"), ("80", "B")], rendatin)  # no open-ended lowest band


# ---- the year-end job ------------------------------------------------------------------------------------------

def test_compile_first_draft_is_idempotent(db, pk):
    first = services.compile_first_draft(YEAR)
    db.session.commit()
    assert sorted(d.report.report_code for d in first) == ["LKJ-KPU", "LKJ-SEK"]
    assert services.compile_first_draft(YEAR) == []
    db.session.commit()
    reports = db.session.scalars(select(LkjReport)).all()
    assert len(reports) == 2 and all(r.current_version == 1 and r.status == LkjStatus.DRAFT for r in reports)
    assert services.compile_first_draft(YEAR + 5) == []  # a year without indicators


def test_first_draft_is_due_from_the_configured_month(app, db):
    assert services.first_draft_due(date(2027, 1, 2)) == 2026
    app.config["LKJ_FIRST_DRAFT_MONTH"] = 2
    try:
        assert services.first_draft_due(date(2027, 1, 20)) is None
        assert services.first_draft_due(date(2027, 2, 1)) == 2026
    finally:
        app.config.pop("LKJ_FIRST_DRAFT_MONTH")


def test_cli_compile_and_first_draft(app, db, pk):
    from silabu.lkj.commands import lkj_cli

    runner = app.test_cli_runner()
    result = runner.invoke(lkj_cli, ["first-draft", "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    assert "LKJ-SEK 2026: draf versi 1" in result.output
    result = runner.invoke(lkj_cli, ["first-draft", "--year", str(YEAR)])
    assert "tidak ada yang dikompilasi" in result.output
    result = runner.invoke(lkj_cli, ["compile", "--year", str(YEAR), "--report", "LKJ-KPU"])
    assert result.exit_code == 0 and "LKJ-KPU 2026: versi 2" in result.output


# ---- API and pages ------------------------------------------------------------------------------------------

def test_api_capaian_rows_round_to_two_decimals_or_give_a_reason(db, pk, staff, rendatin, client, api_token):
    for month in range(1, 11):
        entry(db, staff, date(YEAR, month, 10), IK11_CODE)
        packet(db, f"2026-{month:02d}")
    resp = client.get("/api/v1/lkj/2026/LKJ-SEK/capaian", headers=api_token(rendatin))
    assert resp.status_code == 200
    body = resp.json
    assert body["year"] == 2026 and body["report_code"] == "LKJ-SEK"
    first = body["items"][0]
    assert {k: first[k] for k in ("sasaran", "indicator_code", "indicator", "unit", "target", "realisasi", "capaian",
                                  "kategori", "reason")} == {
        "sasaran": "Meningkatnya kualitas perencanaan, data dan informasi", "indicator_code": "IK1.1",
        "indicator": "Jumlah laporan kinerja bulanan yang diplenokan", "unit": "Laporan", "target": 12,
        "realisasi": 10, "capaian": 83.33, "kategori": "Berhasil", "reason": None}
    ikpa = next(i for i in body["items"] if i["indicator_code"] == "IK2.1")
    assert ikpa["capaian"] is None and ikpa["kategori"] is None and ikpa["reason"]
    assert client.get("/api/v1/lkj/2026/LKJ-SEK/capaian?period=tw5", headers=api_token(rendatin)).status_code == 422
    quarter = client.get("/api/v1/lkj/2026/LKJ-SEK/capaian?period=tw4", headers=api_token(rendatin)).json
    assert quarter["period"] == "tw4" and quarter["items"][0]["realisasi"] == 1


def test_api_capaian_is_not_for_plain_staff(db, pk, staff, client, api_token):
    resp = client.get("/api/v1/lkj/2026/LKJ-SEK/capaian", headers=api_token(staff))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden"


def test_api_trace_and_openapi(db, pk, staff, rendatin, client, api_token):
    entry(db, staff, date(YEAR, 1, 10), IK11_CODE, "2")
    packet(db, "2026-01")
    resp = client.get("/api/v1/lkj/2026/LKJ-SEK/indicators/IK1.1/trace?period=tw1", headers=api_token(rendatin))
    assert resp.status_code == 200
    jan = resp.json["months"][0]
    assert jan["is_final"] and jan["packet"]["berita_acara_number"] and jan["entries"][0]["quantity"] == 2
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/lkj/{year}/{report_code}/capaian" in paths
    assert "/api/v1/lkj/{year}/{report_code}/document.docx" in paths


@pytest.mark.parametrize("roles,sees", [("asn,rendatin", True), ("sekretaris", True), ("ketua", True),
                                         ("asn,kasubag", False), ("admin", False)])
def test_trace_lists_the_entries_only_to_the_readers_of_pleno_packets(db, pk, staff, client, api_token, make_user,
                                                                      login_as, roles, sees):
    """The entries behind a figure are the pleno packets' entries: Rendatin, the Sekretaris and the Ketua read them;
    another unit's Kasubag or the admin reading the LKj sees the figure and how many entries made it."""
    made = entry(db, staff, date(YEAR, 1, 10), IK11_CODE, "2")
    made.activity = "Rapat jejak Z5"
    db.session.commit()
    packet(db, "2026-01")
    reader = make_user("TPH" if "kasubag" in roles else "SEK", roles)
    jan = client.get("/api/v1/lkj/2026/LKJ-SEK/indicators/IK1.1/trace?period=tw1",
                     headers=api_token(reader)).json["months"][0]
    assert jan["entry_count"] == 1 and jan["value"] == 2
    assert (jan["entries"] is not None) == sees
    activity = "Rapat jejak Z5"
    page = login_as(reader).get(f"/lkj/indikator/{indicator('IK1.1').id}/jejak?periode=tw1").get_data(as_text=True)
    assert (activity in page) == sees
    assert sees or "1 entri terverifikasi dihitung" in page


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        yield


def test_pages_show_the_tabel_capaian_with_trace_links(db, pk, staff, rendatin, login_as, frozen):
    entry(db, staff, date(YEAR, 1, 10), IK11_CODE, "1")
    packet(db, "2026-01")
    client = login_as(rendatin)
    page = client.get("/lkj/2026/LKJ-SEK/capaian")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "IK1.1" in html and "8,33" in html and f"/lkj/indikator/{indicator('IK1.1').id}/jejak" in html
    assert "Tren realisasi bulanan" in html
    for periode in ("tw1", "s2", "2026-03"):
        assert client.get(f"/lkj/2026/LKJ-SEK/capaian?periode={periode}").status_code == 200
    trace = client.get(f"/lkj/indikator/{indicator('IK1.1').id}/jejak?periode=tw1")
    assert trace.status_code == 200 and "PL.01-BA" in trace.get_data(as_text=True)
    for url in ("/lkj/", "/lkj/2026/LKJ-SEK/", "/lkj/2026/LKJ-SEK/indikator", "/lkj/2026/LKJ-KPU/narasi",
                f"/lkj/indikator/{indicator('IK1.1').id}/ubah", "/lkj/kategori"):
        assert client.get(url).status_code == 200, url


def test_pages_are_not_for_plain_staff(db, pk, staff, login_as):
    client = login_as(staff)
    assert client.get("/lkj/2026/LKJ-SEK/capaian").status_code == 403
    assert client.get("/lkj/").status_code == 403


def test_rendatin_enters_manual_realisasi_with_evidence_in_the_page(db, pk, rendatin, login_as, frozen):
    import io

    client = login_as(rendatin)
    ikpa = indicator("IK2.1")
    resp = client.post(f"/lkj/indikator/{ikpa.id}/realisasi", data={"period": "2026-12", "value": "96,1", "note": ""},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "Keterangan wajib diisi" in resp.get_data(as_text=True)
    resp = client.post(f"/lkj/indikator/{ikpa.id}/realisasi",
                       data={"period": "2026-12", "value": "96,1", "note": "IKPA OM-SPAN Desember",
                             "evidence": (io.BytesIO(PDF), "ikpa-desember.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    row = db.session.scalar(select(ManualRealisasi))
    assert row.value == D("96.10")
    download = client.get(f"/lkj/realisasi/{row.id}/bukti")
    assert download.status_code == 200 and download.data == PDF


def test_kasubag_sees_but_cannot_enter_realisasi(db, pk, make_kasubag, login_as, frozen):
    kasubag = make_kasubag("KUL")
    client = login_as(kasubag)
    ikpa = indicator("IK2.1")
    assert client.get(f"/lkj/indikator/{ikpa.id}/realisasi").status_code == 200
    resp = client.post(f"/lkj/indikator/{ikpa.id}/realisasi", data={"period": "2026-12", "value": "1", "note": "x"})
    assert resp.status_code == 403
    assert client.get(f"/lkj/indikator/{ikpa.id}/ubah").status_code == 403


def test_rendatin_edits_indicator_and_targets_in_pages(db, pk, rendatin, login_as, frozen):
    client = login_as(rendatin)
    ind = indicator("IK1.1")
    url = f"/lkj/indikator/{ind.id}/ubah"
    resp = client.post(url, data={**_form(ind), "target_year": "", "output_codes": IK11_CODE})
    assert resp.status_code == 422 and "Target tahunan wajib diisi" in resp.get_data(as_text=True)
    resp = client.post(url, data={**_form(ind), "target_year": "10", "output_codes": IK11_CODE})
    assert resp.status_code == 302
    db.session.expire_all()  # the request ran in its own session
    assert indicator("IK1.1").target_year == D("10")
    resp = client.post(f"/lkj/indikator/{ind.id}/target", data={"kind": "quarter", "quarter_1": "2", "quarter_2": "3",
                                                               "quarter_3": "2", "quarter_4": "3"})
    assert resp.status_code == 302
    assert services.targets_of(indicator("IK1.1"))[("quarter", 2)] == D("3")
    resp = client.post("/lkj/2026/LKJ-SEK/indikator/baru", data={"code": "IK9.9", "name": "Baru", "unit": "Dok",
                                                                "sasaran_code": "S9", "sasaran": "Sasaran baru",
                                                                "target_year": "1", "polarity": "+",
                                                                "consolidation": "sum", "output_codes": ""})
    assert resp.status_code == 302 and indicator("IK9.9") is not None


def test_signed_report_freezes_its_indicators_targets_and_realisasi(db, pk, rendatin):
    report = services.ensure_report(YEAR, "LKJ-SEK")
    report.status = LkjStatus.DITANDATANGANI
    db.session.commit()
    with pytest.raises(Conflict):
        services.save_indicator(YEAR, "LKJ-SEK", _form(indicator("IK1.1")), rendatin, indicator=indicator("IK1.1"))
    with pytest.raises(Conflict):
        services.set_targets(indicator("IK1.1"), "quarter", {1: "3"}, rendatin)
    with pytest.raises(Conflict):
        services.save_manual_realisasi(indicator("IK2.1"), "2026-06", "90", "x", rendatin, today=TODAY,
                                       filename="a.pdf", data=PDF)
    with pytest.raises(Conflict):
        services.delete_indicator(indicator("IK1.1"), rendatin)
    # The other report of the year is not frozen.
    services.set_targets(indicator("IK4.1"), "quarter", {1: "6"}, rendatin)
