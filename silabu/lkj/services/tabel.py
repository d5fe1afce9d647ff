"""The Tabel Capaian Kinerja, the trace of each figure back to its sources, and the kategori bands."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts.models import Role, User
from silabu.catalog.models import Indicator, OutputCode
from silabu.core import audit
from silabu.core.errors import ValidationFailed
from silabu.core.formatting import MONTHS, angka
from silabu.core.parsing import parse_decimal
from silabu.entries import months as month_lock
from silabu.entries.models import Entry, EntryStatus
from silabu.extensions import db
from silabu.lkj import capaian as calc
from silabu.lkj.models import KategoriBand, ManualRealisasi
from silabu.lkj.services.indicators import indicators_for
from silabu.lkj.services.periods import (
    PeriodSpec,
    final_periods,
    latest_packets,
    period_spec,
)
from silabu.lkj.services.realisasi import IndicatorData, indicator_data, period_target, same_unit
from silabu.lkj.services.reports import normalise_report_code
from silabu.pleno.models import Packet


@dataclass
class PreviousYear:
    year: int
    target: Decimal | None
    realisasi: Decimal | None
    capaian: Decimal | None
    kategori: str | None


@dataclass(frozen=True)
class RowWarning:
    """A figure that looks wrong and needs a reviewer's eye (and a written explanation before paraf)."""

    code: str  # unit_mismatch | implausible | months_missing
    message: str
    count: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.count is not None:
            data["count"] = self.count
        return data


def capaian_ceiling() -> Decimal:
    return Decimal(str(current_app.config.get("LKJ_CAPAIAN_CEILING", 120)))


def row_warnings(data: IndicatorData, spec: PeriodSpec, realisasi: Decimal | None, capaian: Decimal | None,
                 counted: int, in_period: int) -> list[RowWarning]:
    """The flags of one row: left-out entries in another unit, an implausible capaian, months not yet final."""
    ind = data.indicator
    warnings: list[RowWarning] = []
    left_out = sum(data.mismatched[m - 1] for m in spec.months)
    if left_out:
        units = ", ".join(data.mismatched_units) or "lain"
        warnings.append(RowWarning("unit_mismatch", f"{left_out} entri kode output indikator ini bersatuan {units}, "
                                   f"bukan {ind.unit}, dan tidak dijumlahkan ke realisasi.", left_out))
    if capaian is not None:
        ceiling = capaian_ceiling()
        if capaian > ceiling:
            warnings.append(RowWarning("implausible", f"Capaian {calc.capaian_text(capaian)}% melebihi batas kewajaran "
                                       f"{angka(ceiling)}%: periksa target dan cara pengukuran realisasinya."))
        elif capaian < 0:
            warnings.append(RowWarning("implausible", f"Capaian {calc.capaian_text(capaian)}% di bawah 0: realisasi jauh "
                                       "melampaui batas indikator yang makin rendah makin baik."))
    if data.source == "manual" and ind.consolidation.value == "last":
        # A level (score, percentage): the latest value counts, so only a missing last month is a gap.
        if realisasi is not None and data.months[spec.months[-1] - 1] is None:
            warnings.append(RowWarning("months_missing", f"Nilai {MONTHS[spec.months[-1] - 1]} belum diisi; "
                                       "realisasi memakai nilai bulan sebelumnya.", in_period - counted))
    elif counted < in_period:
        what = "bulan yang paket plenonya final" if data.source != "manual" else "bulan yang realisasinya diisi"
        warnings.append(RowWarning("months_missing", f"Baru {counted} dari {in_period} {what} pada {spec.label}.",
                                   in_period - counted))
    return warnings


@dataclass
class CapaianRow:
    indicator_id: int
    position: int
    sasaran_code: str
    sasaran: str
    code: str
    name: str
    unit: str
    polarity: str
    consolidation: str
    source: str
    output_codes: list[str]
    target: Decimal | None
    realisasi: Decimal | None
    capaian: Decimal | None
    kategori: str | None
    reason: str | None
    months: list[Decimal | None]
    months_counted: int
    months_in_period: int
    previous: PreviousYear | None = None
    measure: str = "sum_quantity"
    warnings: list[RowWarning] = field(default_factory=list)
    history: list[PreviousYear] = field(default_factory=list)  # earlier years, oldest first

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]


@dataclass
class TabelCapaian:
    year: int
    report_code: str
    period: PeriodSpec
    rows: list[CapaianRow]
    bands: list[calc.Band]
    final_periods: list[str]
    previous_year: int | None = None
    history_years: list[int] = field(default_factory=list)

    @property
    def sasaran_groups(self) -> list[tuple[str, str, list[CapaianRow]]]:
        groups: dict[tuple[str, str], list[CapaianRow]] = {}
        for row in self.rows:  # one group per sasaran, in order of first appearance, adjacent or not
            groups.setdefault((row.sasaran_code, row.sasaran), []).append(row)
        return [(code, name, rows) for (code, name), rows in groups.items()]


def capaian_row(data: IndicatorData, spec: PeriodSpec, bands: Sequence[calc.Band]) -> CapaianRow:
    ind = data.indicator
    values = [data.months[m - 1] for m in spec.months]
    realisasi = calc.consolidate(values, ind.consolidation.value)
    target, target_reason = period_target(ind, spec, data.targets)
    result = calc.capaian(target, realisasi, ind.polarity)
    reason = None
    if result.value is None:
        if target_reason:
            reason = target_reason
        elif realisasi is None:
            reason = (f"Realisasi {spec.label} belum diisi oleh Rendatin." if data.source == "manual"
                      else f"Belum ada paket pleno final untuk {spec.label}.")
        else:
            reason = result.reason
    counted = sum(v is not None for v in values)
    return CapaianRow(indicator_id=ind.id, position=ind.position, sasaran_code=ind.sasaran_code, sasaran=ind.sasaran,
                      code=ind.code, name=ind.name, unit=ind.unit, polarity=ind.polarity.value,
                      consolidation=ind.consolidation.value, source=data.source,
                      output_codes=[c.code for c in data.codes], target=calc.round2(target), realisasi=realisasi,
                      capaian=result.value, kategori=calc.kategori(result.value, bands), reason=reason,
                      months=list(data.months), months_counted=counted, months_in_period=len(values),
                      measure=data.measure,
                      warnings=row_warnings(data, spec, realisasi, result.value, counted, len(values)))


def tabel_capaian(year: int, report_code: str, period: str | None = None, *,
                  with_previous: bool = True) -> TabelCapaian:
    """The Tabel Capaian Kinerja of a report for a period (year, semester, quarter or month)."""
    report_code = normalise_report_code(report_code)
    spec = period_spec(year, period)
    bands = current_bands()
    indicators = indicators_for(year, report_code)
    data = indicator_data(indicators, year)
    rows = [capaian_row(data[i.id], spec, bands) for i in indicators]
    table = TabelCapaian(year, report_code, spec, rows, bands, final_periods(year))
    if with_previous:
        attach_previous(table, bands)
    return table


HISTORY_YEARS = 5


def attach_previous(table: TabelCapaian, bands: Sequence[calc.Band], years: int = 1) -> None:
    """The same indicator (by code) in up to ``years`` earlier years that have a Perjanjian Kinerja in SILABU:
    their whole-year figures from those years' final packets, entries and manual realisasi.

    ``row.previous`` is the year before (when it exists), ``row.history`` every earlier year found, oldest
    first; ``table.history_years`` the years compared."""
    found: list[int] = []
    for earlier in range(table.year - 1, table.year - years - 1, -1):
        indicators = indicators_for(earlier, table.report_code)
        if not indicators:
            continue
        data = indicator_data(indicators, earlier)
        spec = period_spec(earlier, "tahun")
        by_code = {i.code: capaian_row(data[i.id], spec, bands) for i in indicators}
        found.append(earlier)
        for row in table.rows:
            prev = by_code.get(row.code)
            if prev is None:
                continue
            item = PreviousYear(earlier, prev.target, prev.realisasi, prev.capaian, prev.kategori)
            row.history.insert(0, item)
            if earlier == table.year - 1:
                row.previous = item
    if table.year - 1 in found:
        table.previous_year = table.year - 1
    table.history_years = sorted(found)


@dataclass(frozen=True)
class RenstraCapaian:
    """This year's standing against the Renstra's end-of-period target."""

    target: Decimal | None
    realisasi: Decimal | None  # counts: summed over the years compared; levels: this year's value
    capaian: Decimal | None
    from_year: int  # the first year the realisasi covers
    cumulative: bool


def renstra_capaian(row: CapaianRow, year: int, target_renstra: Decimal | None) -> RenstraCapaian:
    """Realisasi against ``target_renstra``: a count (``sum``) is summed over this year and the earlier years in
    SILABU (the Renstra target is for the whole period); a level or mean is this year's value."""
    cumulative = row.consolidation == "sum"
    if target_renstra is None:
        return RenstraCapaian(None, None, None, year, cumulative)
    if cumulative:
        values = [h.realisasi for h in row.history if h.realisasi is not None] + (
            [row.realisasi] if row.realisasi is not None else [])
        realisasi = calc.round2(sum(values, Decimal(0))) if values else None
        first = min([h.year for h in row.history if h.realisasi is not None] + [year])
    else:
        realisasi, first = row.realisasi, year
    result = calc.capaian(target_renstra, realisasi, row.polarity) if realisasi is not None else None
    return RenstraCapaian(calc.round2(target_renstra), realisasi, result.value if result else None, first, cumulative)


@dataclass
class MonthTrace:
    period: str
    label: str
    value: Decimal | None
    packet: Packet | None
    is_final: bool
    entries: list[Entry] = field(default_factory=list)
    pending_entries: int = 0  # verified entries of a month whose packet is not final: not counted
    other_unit_entries: list[Entry] = field(default_factory=list)  # sum_quantity: another unit, left out
    manual: ManualRealisasi | None = None


@dataclass
class Trace:
    indicator: Indicator
    period: PeriodSpec
    source: str
    codes: list[OutputCode]
    row: CapaianRow
    months: list[MonthTrace]


def trace(indicator: Indicator, period: str | None = None) -> Trace:
    """From a realisasi back to its sources: per month the packet (version, berita acara) and the entries counted."""
    year = indicator.year
    spec = period_spec(year, period)
    data = indicator_data([indicator], year)[indicator.id]
    row = capaian_row(data, spec, current_bands())
    packets = latest_packets(year)
    final = set(final_periods(year))
    periods = [f"{year:04d}-{m:02d}" for m in spec.months]
    months: list[MonthTrace] = []
    entries_by_period: dict[str, list[Entry]] = {p: [] for p in periods}
    pending: dict[str, int] = {}
    other_unit: dict[str, list[Entry]] = {}
    manual = {}
    if data.source == "entries" and data.code_ids:
        query = (select(Entry, month_lock.counted_exists()).where(Entry.status == EntryStatus.VERIFIED,
                                                              Entry.period.in_(periods),
                                                              Entry.output_code_id.in_(sorted(data.code_ids)))
                 .options(selectinload(Entry.user), selectinload(Entry.unit), selectinload(Entry.output_code),
                          selectinload(Entry.evidence))
                 .order_by(Entry.entry_date, Entry.id))
        for entry, counted in db.session.execute(query):
            if entry.period in final and counted:
                if data.measure == "sum_quantity" and not same_unit(entry.unit_of_measure, indicator.unit):
                    other_unit.setdefault(entry.period, []).append(entry)
                else:
                    entries_by_period[entry.period].append(entry)
            else:
                pending[entry.period] = pending.get(entry.period, 0) + 1
    else:
        manual = {m.period: m for m in db.session.scalars(select(ManualRealisasi).where(
            ManualRealisasi.indicator_id == indicator.id, ManualRealisasi.period.in_(periods))
            .options(selectinload(ManualRealisasi.entered_by)))}
    for m, p in zip(spec.months, periods):
        months.append(MonthTrace(period=p, label=f"{MONTHS[m - 1]} {year}", value=data.months[m - 1],
                                 packet=packets.get(p), is_final=p in final, entries=entries_by_period[p],
                                 pending_entries=pending.get(p, 0), manual=manual.get(p),
                                 other_unit_entries=other_unit.get(p, [])))
    return Trace(indicator, spec, data.source, data.codes, row, months)


BAND_ROLES = (Role.RENDATIN, Role.ADMIN)


def current_bands() -> list[calc.Band]:
    rows = list(db.session.scalars(select(KategoriBand).order_by(KategoriBand.position, KategoriBand.id)))
    if not rows:
        return list(calc.DEFAULT_BANDS)
    return calc.sorted_bands([calc.Band(r.min_capaian, r.label) for r in rows])


def save_bands(rows: Sequence[tuple[Any, Any]], actor: User | None) -> list[calc.Band]:
    """Replace the kategori bands: (minimum, label) pairs; exactly one band without a minimum (the lowest)."""
    errors: dict[str, str] = {}
    bands: list[calc.Band] = []
    for i, (minimum, label) in enumerate(rows):
        label = str(label or "").strip()
        raw_min = str(minimum or "").strip()
        if not label and not raw_min:
            continue
        if not label:
            errors[f"label_{i}"] = "Nama kategori wajib diisi."
            continue
        if len(label) > 60:
            errors[f"label_{i}"] = "Nama kategori maksimal 60 karakter."
            continue
        value = parse_decimal(raw_min, f"min_{i}", errors=errors, label="Batas bawah", required=False,
                              allow_negative=True) if raw_min else None
        if raw_min and value is None:
            continue
        bands.append(calc.Band(value, label))
    if not errors:
        open_ended = [b for b in bands if b.minimum is None]
        minimums = [b.minimum for b in bands if b.minimum is not None]
        if len(bands) < 2:
            errors["bands"] = "Tetapkan paling sedikit dua kategori."
        elif len(open_ended) != 1:
            errors["bands"] = "Tepat satu kategori tanpa batas bawah (kategori terendah)."
        elif len(set(minimums)) != len(minimums):
            errors["bands"] = "Batas bawah kategori tidak boleh sama."
        elif len({b.label for b in bands}) != len(bands):
            errors["bands"] = "Nama kategori tidak boleh sama."
    if errors:
        raise ValidationFailed(errors)
    before = [{"min": str(b.minimum) if b.minimum is not None else None, "label": b.label} for b in current_bands()]
    for row in db.session.scalars(select(KategoriBand)):
        db.session.delete(row)
    ordered = calc.sorted_bands(bands)
    for position, band in enumerate(ordered):
        db.session.add(KategoriBand(min_capaian=band.minimum, label=band.label, position=position))
    db.session.flush()
    audit.record("lkj.bands.set", object_type="lkj_kategori_bands", actor=actor, before={"bands": before},
                 after={"bands": [{"min": str(b.minimum) if b.minimum is not None else None, "label": b.label}
                                  for b in ordered]})
    return ordered
