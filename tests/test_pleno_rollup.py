"""The monthly roll-up (SOP Kudus step 4): figures from verified entries of closed unit-months."""
from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from silabu.entries.models import Entry, EntryStatus, Evidence, EvidenceKind, UnitMonth

CODE = "076.01.WA.4499.EBA.962"
OTHER = "076.01.WA.4499.EBA.956"
PERIOD = "2026-10"  # October 2026: 22 weekdays, no national holiday


def add_entry(db, user, day: date, *, code: str = CODE, qty: float = 1, uom: str = "Dokumen",
              status: EntryStatus = EntryStatus.VERIFIED, return_count: int = 0, evidence: int = 0,
              storage=None) -> Entry:
    """An entry as the verification flow leaves it (rows written directly: the roll-up only reads them)."""
    from silabu.catalog.models import OutputCode

    oc = db.session.scalar(select(OutputCode).where(OutputCode.code == code))
    e = Entry(user_id=user.id, unit_id=user.unit_id, entry_date=day, period=f"{day:%Y-%m}", output_code_id=oc.id,
              activity=f"Kegiatan {code[-3:]}", output="Hasil", quantity=Decimal(str(qty)), unit_of_measure=uom,
              status=status, return_count=return_count,
              submitted_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    if status == EntryStatus.VERIFIED:
        e.verified_at = e.submitted_at
    db.session.add(e)
    db.session.flush()
    for n in range(evidence):
        data = f"bukti {e.id} {n}".encode() * 20
        sha = hashlib.sha256(data).hexdigest()
        key = f"{sha[:2]}/{sha[2:4]}/{sha}.pdf"
        if storage is not None:
            storage.store(key, data)
        db.session.add(Evidence(entry_id=e.id, kind=EvidenceKind.DOCUMENT, content_type="application/pdf",
                                size=len(data), sha256=sha, storage_key=key, original_sha256=sha,
                                original_name=f"bukti-{n}.pdf", uploaded_by_id=user.id))
    db.session.commit()
    return e


def close(db, unit_code: str, period: str = PERIOD, closed: bool = True) -> UnitMonth:
    from silabu.accounts.models import Unit

    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    um = db.session.scalar(select(UnitMonth).where(UnitMonth.unit_id == unit.id, UnitMonth.period == period))
    if um is None:
        um = UnitMonth(unit_id=unit.id, period=period)
        db.session.add(um)
    um.is_closed = closed
    um.closed_at = datetime(2026, 11, 3, tzinfo=UTC) if closed else None
    db.session.commit()
    return um


def asn_row(r, user):
    rows = r.asn[r.asn["user_id"] == user.id]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def unit_row(r, code):
    rows = r.units[r.units["unit_code"] == code]
    assert len(rows) == 1
    return rows.iloc[0]


def test_rollup_counts_only_verified_entries_of_closed_unit_months(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL", name="Ani Verified")
    add_entry(db, a, date(2026, 10, 5), qty=2)
    add_entry(db, a, date(2026, 10, 6), qty=3)
    add_entry(db, a, date(2026, 10, 7), qty=4)
    add_entry(db, a, date(2026, 10, 8), qty=5, status=EntryStatus.RETURNED)
    add_entry(db, a, date(2026, 10, 9), qty=6, status=EntryStatus.DRAFT)
    close(db, "KUL")
    r = rollup(PERIOD)
    row = asn_row(r, a)
    assert row["activities"] == 3
    assert row["quantity_detail"] == "9 Dokumen"
    assert unit_row(r, "KUL")["activities"] == 3
    assert bool(unit_row(r, "KUL")["is_closed"]) is True


def test_entries_of_open_unit_months_are_reported_as_missing_not_dropped(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    b = make_asn("TPH")
    add_entry(db, a, date(2026, 10, 5))
    add_entry(db, b, date(2026, 10, 5))
    add_entry(db, b, date(2026, 10, 6), status=EntryStatus.SUBMITTED)
    close(db, "KUL")
    r = rollup(PERIOD)
    assert unit_row(r, "TPH")["activities"] == 0
    assert unit_row(r, "TPH")["missing_entries"] == 2
    assert asn_row(r, b)["missing_entries"] == 2
    tph = r.missing[r.missing["unit_code"] == "TPH"]
    assert tph["entries"].sum() == 2
    assert set(tph["reason"]) == {"Bulan unit belum ditutup"}
    s = r.summary()
    assert s["missing_entries"] == 2 and "TPH" in s["units_open"]
    assert "belum masuk rekapitulasi" in s["message"]


def test_unverified_entries_of_a_closed_month_are_reported_as_missing(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5))
    add_entry(db, a, date(2026, 10, 6), status=EntryStatus.RETURNED, return_count=1)
    close(db, "KUL")
    r = rollup(PERIOD)
    kul = r.missing[r.missing["unit_code"] == "KUL"]
    assert list(kul["reason"]) == ["Belum terverifikasi saat bulan ditutup"]
    assert list(kul["status"]) == ["Dikembalikan"]
    assert unit_row(r, "KUL")["returned_fixed"] == 0


def test_compliance_is_filled_working_days_over_working_days(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5))                                   # Monday, verified
    add_entry(db, a, date(2026, 10, 5), code=OTHER)                       # same day twice: one filled day
    add_entry(db, a, date(2026, 10, 6), status=EntryStatus.SUBMITTED)     # submitted counts as filled
    add_entry(db, a, date(2026, 10, 7), status=EntryStatus.DRAFT)         # a draft does not
    add_entry(db, a, date(2026, 10, 10))                                  # Saturday: not a working day
    close(db, "KUL")
    r = rollup(PERIOD)
    row = asn_row(r, a)
    assert r.working_days == 22
    assert row["working_days"] == 22
    assert row["filled_days"] == 2
    assert row["compliance"] == pytest.approx(round(2 / 22 * 100, 2))


def test_holidays_and_office_closures_reduce_working_days(db, make_asn):
    from silabu.catalog.models import ClosureKind, OfficeDay
    from silabu.pleno.services import rollup

    assert rollup("2026-08").working_days < 21  # 17 August (Monday) is a national holiday
    db.session.add(OfficeDay(day=date(2026, 10, 2), kind=ClosureKind.CUTI_BERSAMA, name="Cuti bersama"))
    db.session.commit()
    assert rollup(PERIOD).working_days == 21


def test_quantities_are_kept_by_unit_of_measure(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5), qty=2, uom="Dokumen")
    add_entry(db, a, date(2026, 10, 6), qty=1.5, uom="Kegiatan")
    add_entry(db, a, date(2026, 10, 7), code=OTHER, qty=3, uom="Dokumen")
    close(db, "KUL")
    r = rollup(PERIOD)
    q = {(row.unit_code, row.uom): row.quantity for row in r.quantities.itertuples()}
    assert q == {("KUL", "Dokumen"): 5.0, ("KUL", "Kegiatan"): 1.5}
    assert r.summary()["quantity_by_unit"] == {"Dokumen": 5, "Kegiatan": 1.5}
    assert asn_row(r, a)["quantity_detail"] == "5 Dokumen; 1,5 Kegiatan"
    codes = {(row.code, row.uom): (row.activities, row.quantity) for row in r.outputs.itertuples()}
    assert codes[(CODE, "Dokumen")] == (1, 2.0) and codes[(OTHER, "Dokumen")] == (1, 3.0)


def test_returned_then_fixed_counts_verified_entries_that_were_returned(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5), return_count=1)
    add_entry(db, a, date(2026, 10, 6), return_count=2)
    add_entry(db, a, date(2026, 10, 7))
    close(db, "KUL")
    r = rollup(PERIOD)
    assert asn_row(r, a)["returned_fixed"] == 2
    assert r.summary()["returned_fixed"] == 2


def test_evidence_is_counted_per_asn_unit_and_output(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5), evidence=2)
    add_entry(db, a, date(2026, 10, 6), evidence=1)
    add_entry(db, a, date(2026, 10, 7), evidence=3, status=EntryStatus.SUBMITTED)  # not in the figures
    close(db, "KUL")
    r = rollup(PERIOD)
    assert asn_row(r, a)["evidence"] == 3
    assert unit_row(r, "KUL")["evidence"] == 3
    assert int(r.outputs["evidence"].sum()) == 3


def test_comparison_with_the_previous_month(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 9, 1))
    add_entry(db, a, date(2026, 10, 5))
    add_entry(db, a, date(2026, 10, 6))
    add_entry(db, a, date(2026, 10, 7))
    close(db, "KUL", "2026-09")
    close(db, "KUL")
    r = rollup(PERIOD)
    row = r.comparison[r.comparison["unit_code"] == "KUL"].iloc[0]
    assert (row["activities_prev"], row["activities"], row["activities_change"]) == (1, 3, 2)
    assert r.previous_period == "2026-09"


def test_every_indicator_of_that_year_with_the_months_realisasi_in_its_own_unit(db, make_asn):
    from silabu.catalog.models import Consolidation, Indicator, OutputCode, Polarity
    from silabu.pleno.services import rollup

    oc = db.session.scalar(select(OutputCode).where(OutputCode.code == CODE))
    other = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER))
    common = dict(report_code="LKJ-SEK", sasaran_code="S1", sasaran="Sasaran", unit="Dokumen",
                  target_year=Decimal("12"), polarity=Polarity.HIGHER, consolidation=Consolidation.SUM)
    db.session.add_all([Indicator(year=2026, code="IK1", name="Dokumen disusun", output_code_id=oc.id, **common),
                        Indicator(year=2025, code="IK1", name="Tahun lalu", output_code_id=oc.id, **common),
                        Indicator(year=2026, code="IK2", name="Tidak ada output", output_code_id=other.id, **common)])
    db.session.commit()
    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5), qty=2)
    add_entry(db, a, date(2026, 10, 6), qty=3)
    close(db, "KUL")
    add_entry(db, a, date(2026, 10, 7), qty=4, uom="Kegiatan")
    close(db, "KUL")
    r = rollup(PERIOD)
    # The whole PK of the year (not last year's), an indicator without output this month included with 0.
    assert list(r.indicators["indicator_code"]) == ["IK1", "IK2"]
    row = r.indicators.iloc[0]
    assert row["indicator"] == "Dokumen disusun" and row["realisasi_month"] == 5  # the Kegiatan is not added
    assert "1 entri" in row["note"] and r.indicators.iloc[1]["realisasi_month"] == 0


def test_asn_without_entries_gets_a_zero_row(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("HSD", name="Budi Tanpa Entri")
    r = rollup(PERIOD)
    row = asn_row(r, a)
    assert (row["activities"], row["filled_days"], row["compliance"]) == (0, 0, 0)
    assert r.is_empty and r.summary()["is_empty"]


def test_same_data_gives_the_same_data_hash_and_new_data_changes_it(db, make_asn):
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    add_entry(db, a, date(2026, 10, 5), qty=2)
    close(db, "KUL")
    first = rollup(PERIOD).data_sha256()
    assert rollup(PERIOD).data_sha256() == first
    add_entry(db, a, date(2026, 10, 6), qty=2)
    close(db, "KUL")
    assert rollup(PERIOD).data_sha256() != first


def test_rollup_loads_no_entry_objects(db, make_asn):
    """The roll-up works on grouped SQL rows, never on ORM entries one by one."""
    from silabu.pleno.services import rollup

    a = make_asn("KUL")
    for d in range(5, 10):
        add_entry(db, a, date(2026, 10, d), evidence=1)
    close(db, "KUL")
    user_id = a.id
    db.session.expunge_all()
    loaded = []

    def on_load(target, context):
        loaded.append(target)

    event.listen(Entry, "load", on_load)
    event.listen(Evidence, "load", on_load)
    try:
        r = rollup(PERIOD)
    finally:
        event.remove(Entry, "load", on_load)
        event.remove(Evidence, "load", on_load)
    assert int(r.asn.loc[r.asn["user_id"] == user_id, "activities"].iloc[0]) == 5
    assert loaded == []
