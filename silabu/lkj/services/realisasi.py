"""Realisasi of each indicator: from the counted entries of final months, or entered by Rendatin."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from silabu.accounts.models import User
from silabu.catalog.models import CodeLevel, Indicator, Measure, OutputCode
from silabu.core import audit
from silabu.core.clock import parse_period, utcnow
from silabu.core.errors import FileRejected, NotFound, ValidationFailed
from silabu.core.parsing import parse_decimal
from silabu.entries import months as month_lock
from silabu.entries.models import Entry, UnitMonth
from silabu.evidence.blobs import store_bytes
from silabu.evidence.processing import process_with_limits, sanitize_filename
from silabu.evidence.storage import get_storage
from silabu.extensions import db
from silabu.lkj import capaian as calc
from silabu.lkj.models import IndicatorOutputCode, IndicatorTarget, ManualRealisasi
from silabu.lkj.services.periods import PeriodSpec, final_periods, month_periods, period_spec
from silabu.lkj.services.reports import NOTE_MAX, assert_open


def _ro_closure() -> dict[int, set[int]]:
    """Each output code -> the RO codes it stands for (itself, or every RO below a KRO/kegiatan/program)."""
    rows = db.session.execute(select(OutputCode.id, OutputCode.parent_id, OutputCode.level)).all()
    children: dict[int, list[int]] = {}
    level = {}
    for code_id, parent_id, lvl in rows:
        level[code_id] = lvl
        if parent_id is not None:
            children.setdefault(parent_id, []).append(code_id)
    closure: dict[int, set[int]] = {}
    for code_id in level:
        found, stack = set(), [code_id]
        while stack:
            current = stack.pop()
            if level.get(current) == CodeLevel.RO:
                found.add(current)
            stack.extend(children.get(current, []))
        closure[code_id] = found or {code_id}
    return closure


def ro_closure() -> dict[int, set[int]]:
    """Each output code id -> the RO code ids it stands for (public name of the closure)."""
    return _ro_closure()


def same_unit(a: str | None, b: str | None) -> bool:
    """Units of measure compared as people type them: case, spaces and a final dot do not matter."""
    def norm(value: str | None) -> str:
        return " ".join((value or "").replace(".", " ").split()).casefold()
    return norm(a) == norm(b)


def measure_of(indicator: Indicator, has_codes: bool) -> Measure:
    """The measure in force: counting entries needs output codes; without any, Rendatin enters the figure."""
    measure = indicator.measure or Measure.SUM_QUANTITY
    if measure in (Measure.SUM_QUANTITY, Measure.COUNT_ENTRIES) and not has_codes:
        return Measure.MANUAL
    return measure


SOURCE_OF = {Measure.SUM_QUANTITY: "entries", Measure.COUNT_ENTRIES: "entries",
             Measure.COUNT_FINAL_PACKETS: "packets", Measure.MANUAL: "manual"}


@dataclass
class IndicatorData:
    """What the year's figures of one indicator are made of."""

    indicator: Indicator
    source: str  # "entries" | "packets" | "manual"
    code_ids: set[int]  # RO codes whose entries count
    codes: list[OutputCode]
    months: list[Decimal | None]  # realisasi per month, None where not (yet) known
    targets: dict[tuple[str, int], Decimal]
    measure: str = Measure.SUM_QUANTITY.value
    # Per month: entries of the mapped codes left out because their unit is not the indicator's (sum_quantity).
    mismatched: list[int] = field(default_factory=lambda: [0] * 12)
    mismatched_units: list[str] = field(default_factory=list)


def indicator_data(indicators: Sequence[Indicator], year: int, *,
                   provisional: Collection[str] = ()) -> dict[int, IndicatorData]:
    """Monthly realisasi of every indicator (12 values) as its ``measure`` says, read in a few queries.

    ``provisional``: months counted as if their packet were final (the pleno packet being built shows what
    finalizing it would give the LKj)."""
    if not indicators:
        return {}
    ids = [i.id for i in indicators]
    final = set(final_periods(year)) | {p for p in provisional if p.startswith(f"{int(year):04d}-")}
    periods = month_periods(year)
    extra: dict[int, list[int]] = {}
    for row in db.session.scalars(select(IndicatorOutputCode).where(IndicatorOutputCode.indicator_id.in_(ids))):
        extra.setdefault(row.indicator_id, []).append(row.output_code_id)
    codes_by_id = {c.id: c for c in db.session.scalars(select(OutputCode))}
    closure = _ro_closure()
    direct: dict[int, list[int]] = {}
    expanded: dict[int, set[int]] = {}
    for ind in indicators:
        mapped = ([ind.output_code_id] if ind.output_code_id else []) + [c for c in extra.get(ind.id, [])
                                                                         if c != ind.output_code_id]
        direct[ind.id] = mapped
        expanded[ind.id] = set().union(*(closure.get(c, {c}) for c in mapped)) if mapped else set()
    all_codes = set().union(*expanded.values())
    # (code, period) -> [(unit of measure, sum of quantities, number of entries)]
    groups: dict[tuple[int, str], list[tuple[str, Decimal, int]]] = {}
    if all_codes and final:
        for code_id, period, uom, total, count in db.session.execute(
                select(Entry.output_code_id, Entry.period, Entry.unit_of_measure, func.sum(Entry.quantity),
                       func.count(Entry.id))
                .join(UnitMonth, month_lock.of_entry())
                .where(month_lock.counted(), Entry.period.in_(sorted(final)), Entry.output_code_id.in_(sorted(all_codes)))
                .group_by(Entry.output_code_id, Entry.period, Entry.unit_of_measure)):
            groups.setdefault((code_id, period), []).append((uom or "", calc.to_decimal(total) or Decimal(0),
                                                             int(count or 0)))
    manual: dict[tuple[int, str], Decimal] = {}
    for row in db.session.scalars(select(ManualRealisasi).where(ManualRealisasi.indicator_id.in_(ids),
                                                               ManualRealisasi.period.in_(periods))):
        manual[(row.indicator_id, row.period)] = row.value
    targets: dict[int, dict[tuple[str, int], Decimal]] = {i: {} for i in ids}
    for t in db.session.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_(ids))):
        targets[t.indicator_id][(t.period_kind.value, t.period_index)] = t.target
    out: dict[int, IndicatorData] = {}
    for ind in indicators:
        measure = measure_of(ind, bool(direct[ind.id]))
        mismatched = [0] * 12
        other_units: set[str] = set()
        months: list[Decimal | None] = []
        for index, p in enumerate(periods):
            if measure is Measure.MANUAL:
                months.append(manual.get((ind.id, p)))
                continue
            if p not in final:
                months.append(None)
                continue
            if measure is Measure.COUNT_FINAL_PACKETS:
                months.append(Decimal("1.00"))
                continue
            rows = [g for c in expanded[ind.id] for g in groups.get((c, p), [])]
            if measure is Measure.COUNT_ENTRIES:
                months.append(calc.round2(sum(n for _, _, n in rows)))
                continue
            total = Decimal(0)
            for uom, quantity, count in rows:
                if same_unit(uom, ind.unit):
                    total += quantity
                else:
                    mismatched[index] += count
                    other_units.add(uom)
            months.append(calc.round2(total))
        out[ind.id] = IndicatorData(ind, SOURCE_OF[measure], expanded[ind.id],
                                    [codes_by_id[c] for c in direct[ind.id] if c in codes_by_id], months,
                                    targets[ind.id], measure.value, mismatched, sorted(other_units))
    return out


def period_target(indicator: Indicator, spec: PeriodSpec,
                  targets: Mapping[tuple[str, int], Decimal]) -> tuple[Decimal | None, str | None]:
    """The target of a period: the PK's for the year, the Rencana Aksi's for a month or quarter.

    Levels and means (``last``/``avg``) keep the yearly target when no Rencana Aksi target is set; counts
    (``sum``) cannot be split without one.
    """
    rule = indicator.consolidation.value
    year_target = indicator.target_year
    level_like = rule in ("last", "avg")
    if spec.kind == "year":
        return year_target, None if year_target is not None else calc.REASON_NO_TARGET

    def quarter(q: int) -> Decimal | None:
        if ("quarter", q) in targets:
            return targets[("quarter", q)]
        monthly = [targets.get(("month", m)) for m in range(3 * q - 2, 3 * q + 1)]
        if all(v is not None for v in monthly):
            return calc.consolidate(monthly, rule)
        return None

    if spec.kind == "month":
        m = spec.index
        if ("month", m) in targets:
            return targets[("month", m)], None
        if level_like:
            q = (m - 1) // 3 + 1
            return targets.get(("quarter", q), year_target), None
        return None, "Target bulanan (Rencana Aksi) belum ditetapkan."
    if spec.kind == "quarter":
        value = quarter(spec.index)
        if value is not None:
            return value, None
        if level_like:
            return year_target, None
        return None, "Target triwulan (Rencana Aksi) belum ditetapkan."
    values = [quarter(q) for q in (2 * spec.index - 1, 2 * spec.index)]
    if all(v is not None for v in values):
        return calc.consolidate(values, rule), None
    if level_like:
        return year_target, None
    return None, "Target semester belum dapat dihitung: target triwulan (Rencana Aksi) belum lengkap."


def target_to_date(indicator: Indicator, month: int,
                   targets: Mapping[tuple[str, int], Decimal]) -> tuple[Decimal | None, str | None]:
    """The target from January through ``month`` (the Rencana Aksi's, folded as the indicator consolidates).

    A count (``sum``) adds the complete quarters' targets and the months after them; a level (``last``) is the
    month's own target; a mean (``avg``) averages the months' targets. December is the year's target."""
    year = indicator.year
    rule = indicator.consolidation.value
    if month >= 12:
        return period_target(indicator, period_spec(year, "tahun"), targets)
    if rule == "last":
        return period_target(indicator, period_spec(year, f"{year:04d}-{month:02d}"), targets)
    if rule == "avg":
        values = [period_target(indicator, period_spec(year, f"{year:04d}-{m:02d}"), targets) for m in
                  range(1, month + 1)]
        missing = next((why for value, why in values if value is None), None)
        return (None, missing) if missing else (calc.consolidate([v for v, _ in values], rule), None)
    parts: list[tuple[Decimal | None, str | None]] = [
        period_target(indicator, period_spec(year, f"tw{q}"), targets) for q in range(1, month // 3 + 1)]
    parts += [period_target(indicator, period_spec(year, f"{year:04d}-{m:02d}"), targets)
              for m in range(3 * (month // 3) + 1, month + 1)]
    missing = next((why for value, why in parts if value is None), None)
    if missing:
        return None, missing
    return calc.consolidate([v for v, _ in parts], rule), None


def manual_rows(indicator: Indicator) -> list[ManualRealisasi]:
    return list(db.session.scalars(select(ManualRealisasi).where(ManualRealisasi.indicator_id == indicator.id)
                                   .options(selectinload(ManualRealisasi.entered_by))
                                   .order_by(ManualRealisasi.period)))


def get_manual(manual_id: int | str) -> ManualRealisasi:
    try:
        row = db.session.get(ManualRealisasi, int(manual_id))
    except (TypeError, ValueError):
        row = None
    if row is None:
        raise NotFound("Realisasi tidak ditemukan.")
    return row


def _manual_snapshot(row: ManualRealisasi) -> dict[str, Any]:
    return {"indicator_id": row.indicator_id, "period": row.period, "value": str(row.value), "note": row.note,
            "evidence_name": row.evidence_name, "evidence_sha256": row.evidence_sha256}


def save_manual_realisasi(indicator: Indicator, period: str, value: Any, note: str, actor: User | None, *,
                          today: date, filename: str | None = None, data: bytes | None = None) -> ManualRealisasi:
    """Enter (or correct) the realisasi of a month for an indicator no entry measures, with a note and evidence."""
    assert_open(indicator.year, indicator.report_code)
    errors: dict[str, str] = {}
    has_codes = indicator.output_code_id is not None or db.session.scalar(
        select(IndicatorOutputCode.id).where(IndicatorOutputCode.indicator_id == indicator.id).limit(1)) is not None
    measure = measure_of(indicator, has_codes)
    if measure is Measure.COUNT_FINAL_PACKETS:
        raise ValidationFailed({"value": "Realisasi indikator ini adalah jumlah bulan yang paket plenonya final; "
                                         "tidak diisi manual."})
    if measure is not Measure.MANUAL:
        raise ValidationFailed({"value": "Realisasi indikator ini dihitung dari entri harian terverifikasi pada "
                                         "paket pleno final; tidak diisi manual."})
    period = (period or "").strip()
    try:
        y, m = parse_period(period)
    except ValueError:
        y, m = None, None
        errors["period"] = "Bulan wajib dipilih (format TTTT-BB)."
    if y is not None and y != indicator.year:
        errors["period"] = f"Bulan harus di tahun {indicator.year}."
    elif y is not None and (y, m) > (today.year, today.month):
        errors["period"] = "Realisasi bulan yang belum berjalan belum dapat diisi."
    amount = parse_decimal(value, "value", errors=errors, label="Realisasi")
    note = (note or "").strip()
    if not note:
        errors["note"] = "Keterangan wajib diisi: dari mana angka ini berasal."
    elif len(note) > NOTE_MAX:
        errors["note"] = f"Keterangan maksimal {NOTE_MAX} karakter."
    row = None
    if not errors.get("period"):
        row = db.session.scalar(select(ManualRealisasi).where(ManualRealisasi.indicator_id == indicator.id,
                                                              ManualRealisasi.period == period))
    if not data and (row is None or not row.evidence_key):
        errors["evidence"] = "Unggah bukti dukung (mis. tangkapan layar OM-SPAN, surat, laporan)."
    if errors:
        raise ValidationFailed(errors)
    stored = store_upload(filename or "bukti", data) if data else None
    before = _manual_snapshot(row) if row is not None else None
    if row is None:
        row = ManualRealisasi(indicator_id=indicator.id, period=period)
        db.session.add(row)
    row.value, row.note = amount, note
    row.entered_by_id = getattr(actor, "id", None)
    row.entered_at = utcnow()
    if stored is not None:
        row.evidence_key, row.evidence_sha256, row.evidence_name, row.evidence_content_type, row.evidence_size = stored
    db.session.flush()
    audit.record("lkj.realisasi.set", row, actor=actor, before=before, after=_manual_snapshot(row))
    return row


def delete_manual_realisasi(row: ManualRealisasi, actor: User | None) -> None:
    assert_open(row.indicator.year, row.indicator.report_code)
    audit.record("lkj.realisasi.delete", row, actor=actor, before=_manual_snapshot(row))
    db.session.delete(row)
    db.session.flush()


def store_upload(filename: str, data: bytes, *, documents_only: bool = False) -> tuple[str, str, str, str, int]:
    """Check the bytes with the evidence rules and store them; (key, sha256, name, content type, size)."""
    processed = process_with_limits(data, filename)
    if documents_only and processed.content_type not in (
            "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.oasis.opendocument.text"):
        raise FileRejected("Unggah dokumen LKj final dalam bentuk PDF, DOCX atau ODT.")
    key, sha, size = store_bytes(processed.data, processed.extension)
    return key, sha, sanitize_filename(filename, processed.extension), processed.content_type, size


def open_blob(key: str) -> BinaryIO:
    storage = get_storage()
    if not key or not storage.exists(key):
        raise NotFound("Berkas tidak ditemukan di penyimpanan.")
    return storage.open(key)
