"""The Perjanjian Kinerja of a report: indicators, the output codes that measure them, Rencana Aksi targets."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from silabu.accounts.models import User
from silabu.accounts.tenancy import current_satker_id
from silabu.catalog.models import Consolidation, Indicator, Measure, OutputCode, Polarity
from silabu.catalog.services import CatalogImportReport
from silabu.core import audit
from silabu.core.errors import NotFound, ValidationFailed
from silabu.core.formatting import MONTHS, angka
from silabu.core.parsing import decimal_or_none, parse_decimal, parse_year
from silabu.core.tables import read_table, require_columns
from silabu.extensions import db
from silabu.lkj.models import (
    IndicatorOutputCode,
    IndicatorTarget,
    ManualRealisasi,
    TargetPeriod,
)
from silabu.lkj.services.periods import ROMAN
from silabu.lkj.services.reports import assert_open, normalise_report_code

INDICATOR_COLUMNS = [("report",), ("indicator_code",), ("indicator",), ("target_year",)]
MEASURE_LABELS = {
    Measure.SUM_QUANTITY: "Jumlah kuantitas entri terverifikasi bersatuan indikator",
    Measure.COUNT_ENTRIES: "Jumlah entri terverifikasi",
    Measure.COUNT_FINAL_PACKETS: "Jumlah bulan yang paket plenonya final",
    Measure.MANUAL: "Diisi Rendatin dengan bukti dukung",
}
MEASURE_ERROR = "measure harus sum_quantity, count_entries, count_final_packets atau manual"


def parse_measure(value: Any) -> Measure | None:
    """A measure as typed in the CSV or the form; ``None`` when blank; ValueError when unknown."""
    raw = str(value or "").strip().lower()
    return Measure(raw) if raw else None


def indicators_for(year: int, report_code: str) -> list[Indicator]:
    return list(db.session.scalars(
        select(Indicator).where(Indicator.year == year, Indicator.report_code == normalise_report_code(report_code))
        .options(selectinload(Indicator.output_code)).order_by(Indicator.position, Indicator.code)))


def get_indicator(indicator_id: int | str) -> Indicator:
    try:
        indicator = db.session.get(Indicator, int(indicator_id))
    except (TypeError, ValueError):
        indicator = None
    if indicator is None:
        raise NotFound("Indikator tidak ditemukan.")
    return indicator


def extra_output_codes(indicator: Indicator) -> list[OutputCode]:
    return list(db.session.scalars(select(OutputCode).join(IndicatorOutputCode,
                                                           IndicatorOutputCode.output_code_id == OutputCode.id)
                                   .where(IndicatorOutputCode.indicator_id == indicator.id).order_by(OutputCode.code)))


def output_codes_of(indicator: Indicator) -> list[OutputCode]:
    """Every output code mapped to the indicator (the primary one first)."""
    codes = [indicator.output_code] if indicator.output_code is not None else []
    return codes + [c for c in extra_output_codes(indicator) if c.id != indicator.output_code_id]


def _indicator_snapshot(ind: Indicator) -> dict[str, Any]:
    return {"year": ind.year, "report_code": ind.report_code, "sasaran_code": ind.sasaran_code,
            "sasaran": ind.sasaran, "code": ind.code, "name": ind.name, "unit": ind.unit,
            "target_year": str(ind.target_year), "polarity": ind.polarity.value,
            "consolidation": ind.consolidation.value, "output_code_id": ind.output_code_id,
            "position": ind.position, "measure": ind.measure.value if ind.measure else None,
            "target_renstra": str(ind.target_renstra) if ind.target_renstra is not None else None}


def save_indicator(year: int, report_code: str, data: Mapping[str, Any], actor: User | None,
                   indicator: Indicator | None = None) -> Indicator:
    """Create or update one indicator of the Perjanjian Kinerja with the output codes that measure it."""
    report_code = normalise_report_code(report_code)
    if indicator is not None:
        year, report_code = indicator.year, indicator.report_code
    assert_open(year, report_code)
    errors: dict[str, str] = {}

    def text(key: str, label: str, limit: int, required: bool = True) -> str:
        value = str(data.get(key) or "").strip()
        if required and not value:
            errors[key] = f"{label} wajib diisi."
        elif len(value) > limit:
            errors[key] = f"{label} maksimal {limit} karakter."
        return value

    code = text("code", "Kode indikator", 20)
    name = text("name", "Nama indikator", 400)
    unit = text("unit", "Satuan", 50)
    sasaran_code = text("sasaran_code", "Kode sasaran", 20)
    sasaran = text("sasaran", "Sasaran", 400)
    target = parse_decimal(data.get("target_year"), "target_year", errors=errors, label="Target tahunan")
    try:
        polarity = Polarity(str(data.get("polarity") or "+").strip())
    except ValueError:
        errors["polarity"] = "Pilih arah indikator: makin tinggi makin baik (+) atau makin rendah makin baik (-)."
        polarity = Polarity.HIGHER
    try:
        consolidation = Consolidation(str(data.get("consolidation") or "sum").strip().lower())
    except ValueError:
        errors["consolidation"] = "Pilih cara konsolidasi: jumlah, nilai terakhir atau rata-rata."
        consolidation = Consolidation.SUM
    try:
        measure = parse_measure(data.get("measure"))
    except ValueError:
        errors["measure"] = "Pilih cara mengukur realisasi."
        measure = None
    renstra = (parse_decimal(data.get("target_renstra"), "target_renstra", errors=errors,
                             label="Target akhir Renstra", required=False)
               if str(data.get("target_renstra") or "").strip() else None)
    position_raw = str(data.get("position") or "").strip()
    position = indicator.position if indicator is not None else 0
    if position_raw:
        try:
            position = int(position_raw)
        except ValueError:
            errors["position"] = "Urutan harus bilangan bulat."
    if code and not errors.get("code"):
        other = db.session.scalar(select(Indicator).where(Indicator.year == year,
                                                          Indicator.report_code == report_code,
                                                          Indicator.code == code))
        if other is not None and other is not indicator:
            errors["code"] = f"Kode {code} sudah dipakai indikator lain pada laporan ini."
    codes = _parse_output_codes(data.get("output_codes"), errors)
    if measure is None:  # not sent: follow the codes, keeping the indicator's measure where it still fits
        has_codes = bool(codes) if codes is not None else bool(indicator and output_codes_of(indicator))
        current = indicator.measure if indicator is not None else None
        if has_codes:
            measure = current if current is not None else Measure.SUM_QUANTITY
        else:
            measure = current if current in (Measure.COUNT_FINAL_PACKETS, Measure.MANUAL) else Measure.MANUAL
    if measure in (Measure.SUM_QUANTITY, Measure.COUNT_ENTRIES) and codes is not None and not codes:
        errors["output_codes"] = "Cara pengukuran ini menghitung entri harian: isi paling sedikit satu kode output."
    if errors:
        raise ValidationFailed(errors)
    if indicator is None and not position_raw:
        position = (db.session.scalar(select(func.max(Indicator.position)).where(
            Indicator.year == year, Indicator.report_code == report_code)) or 0) + 1
    before = _indicator_snapshot(indicator) if indicator is not None else None
    if indicator is None:
        indicator = Indicator(year=year, report_code=report_code)
        db.session.add(indicator)
    indicator.code, indicator.name, indicator.unit = code, name, unit
    indicator.sasaran_code, indicator.sasaran = sasaran_code, sasaran
    indicator.target_year, indicator.polarity, indicator.consolidation = target, polarity, consolidation
    indicator.position = position
    indicator.measure, indicator.target_renstra = measure, renstra
    if codes is not None:
        indicator.output_code_id = codes[0].id if codes else None
        indicator.output_code = codes[0] if codes else None
        db.session.flush()
        _set_extra_codes(indicator, codes[1:])
    db.session.flush()
    after = _indicator_snapshot(indicator)
    after["output_codes"] = [c.code for c in output_codes_of(indicator)]
    audit.record("lkj.indicator.create" if before is None else "lkj.indicator.update", indicator, actor=actor,
                 before=before, after=after)
    return indicator


def _parse_output_codes(value: Any, errors: dict[str, str]) -> list[OutputCode] | None:
    """``None`` when the form did not send the field; otherwise the codes in order (blank: none)."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).replace(";", "\n").replace(",", "\n").split("\n")
    wanted: list[str] = []
    for item in items:
        code = str(item or "").strip().strip(".")
        if code and code not in wanted:
            wanted.append(code)
    found = ({c.code: c for c in db.session.scalars(select(OutputCode).where(OutputCode.code.in_(wanted)))}
             if wanted else {})
    missing = [c for c in wanted if c not in found]
    if missing:
        errors["output_codes"] = "Kode output tidak ada di katalog: " + ", ".join(missing)
        return None
    return [found[c] for c in wanted]


def _set_extra_codes(indicator: Indicator, codes: Sequence[OutputCode]) -> None:
    existing = {row.output_code_id: row for row in db.session.scalars(
        select(IndicatorOutputCode).where(IndicatorOutputCode.indicator_id == indicator.id))}
    wanted = {c.id for c in codes if c.id != indicator.output_code_id}
    for code_id, row in existing.items():
        if code_id not in wanted:
            db.session.delete(row)
    for code_id in wanted - set(existing):
        db.session.add(IndicatorOutputCode(indicator_id=indicator.id, output_code_id=code_id))


def delete_indicator(indicator: Indicator, actor: User | None) -> None:
    """Remove an indicator with its targets, output codes and manual realisasi."""
    assert_open(indicator.year, indicator.report_code)
    audit.record("lkj.indicator.delete", indicator, actor=actor, before=_indicator_snapshot(indicator))
    for model in (IndicatorTarget, IndicatorOutputCode, ManualRealisasi):
        for row in db.session.scalars(select(model).where(model.indicator_id == indicator.id)):
            db.session.delete(row)
    db.session.delete(indicator)
    db.session.flush()


def import_indicators(rows: list[dict[str, str]], year: int, *, actor: User | None = None) -> CatalogImportReport:
    """Create or update the Perjanjian Kinerja of ``year`` from rows shaped like ``indicators.csv``.

    Every path (the LKj page, the admin page, the command line, the demo) imports here, so a report already
    signed for ``year`` refuses the whole file before any row is read (409)."""
    for code in sorted({(r.get("report") or "").strip().upper() for r in rows} - {""}):
        assert_open(int(year), code)
    report = CatalogImportReport()
    for number, row in enumerate(rows, start=2):
        target = decimal_or_none(row.get("target_year"))
        if target is None:
            report.errors.append((number, "target_year bukan angka"))
            continue
        try:
            polarity = Polarity((row.get("polarity") or "+").strip())
            consolidation = Consolidation((row.get("consolidation") or "sum").strip().lower())
        except ValueError:
            report.errors.append((number, "polarity harus + atau -, consolidation sum/last/avg"))
            continue
        try:
            measure = parse_measure(row.get("measure"))
        except ValueError:
            report.errors.append((number, MEASURE_ERROR))
            continue
        renstra_raw = (row.get("target_renstra") or "").strip()
        renstra = decimal_or_none(renstra_raw) if renstra_raw else None
        if renstra_raw and renstra is None:
            report.errors.append((number, "target_renstra bukan angka"))
            continue
        code = (row.get("indicator_code") or "").strip()
        report_code = (row.get("report") or "").strip().upper()
        if not code or not report_code or not row.get("indicator"):
            report.errors.append((number, "report, indicator_code dan indicator wajib diisi"))
            continue
        oc_code = (row.get("output_code") or "").strip()
        oc = db.session.scalar(select(OutputCode).where(OutputCode.code == oc_code,
                                                        OutputCode.satker_id == current_satker_id())) if oc_code else None
        if oc_code and oc is None:
            report.errors.append((number, f"kode output {oc_code} tidak ada di katalog"))
            continue
        ind = db.session.scalar(select(Indicator).where(Indicator.year == year, Indicator.report_code == report_code,
                                                        Indicator.code == code))
        if measure in (Measure.SUM_QUANTITY, Measure.COUNT_ENTRIES) and oc is None and not (
                ind is not None and extra_output_codes(ind)):
            report.errors.append((number, f"measure {measure.value} memerlukan output_code"))
            continue
        if measure is None:
            measure = (ind.measure if ind is not None and ind.measure and oc is None
                       else Measure.SUM_QUANTITY if oc is not None else Measure.MANUAL)
        values = dict(sasaran_code=(row.get("sasaran_code") or "").strip(), sasaran=(row.get("sasaran") or "").strip(),
                      name=row["indicator"].strip(), unit=(row.get("unit") or "").strip(), target_year=target,
                      polarity=polarity, consolidation=consolidation, output_code_id=oc.id if oc else None,
                      position=number, measure=measure, target_renstra=renstra)
        if ind is None:
            db.session.add(Indicator(year=year, report_code=report_code, code=code, **values))
            report.created += 1
        else:
            for k, v in values.items():
                setattr(ind, k, v)
            report.updated += 1
    db.session.flush()
    audit.record("indicators.import", object_type="indicators", actor=actor,
                 after={"year": year, "created": report.created, "updated": report.updated})
    return report


def import_indicators_file(filename: str, content: bytes, year: int, actor: User | None) -> CatalogImportReport:
    """Import the Perjanjian Kinerja of ``year`` from an uploaded CSV/XLSX shaped like ``indicators.csv``."""
    table = read_table(filename or "indikator.csv", content)
    require_columns(table, INDICATOR_COLUMNS)
    report = import_indicators(table.rows, parse_year(year), actor=actor)
    report.errors = table.relabel(report.errors)
    return report


def targets_of(indicator: Indicator) -> dict[tuple[str, int], Decimal]:
    return {(t.period_kind.value, t.period_index): t.target for t in db.session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator.id))}


def set_targets(indicator: Indicator, kind: str, values: Mapping[int, Any], actor: User | None) -> list[str]:
    """Set the Rencana Aksi targets of one kind (month 1-12 or quarter 1-4); blanks remove a target.

    Returns warnings (e.g. quarterly targets of a summed indicator that do not add up to the yearly target).
    """
    assert_open(indicator.year, indicator.report_code)
    try:
        period_kind = TargetPeriod(kind)
    except ValueError:
        raise ValidationFailed({"kind": "Jenis target harus bulanan atau triwulanan."}) from None
    count = 12 if period_kind is TargetPeriod.MONTH else 4
    errors: dict[str, str] = {}
    parsed: dict[int, Decimal | None] = {}
    for index in range(1, count + 1):
        label = (f"Target {MONTHS[index - 1]}" if period_kind is TargetPeriod.MONTH
                 else f"Target triwulan {ROMAN[index - 1]}")
        parsed[index] = parse_decimal(values.get(index), f"{period_kind.value}_{index}", errors=errors, label=label,
                                      required=False)
    unknown = [k for k in values if k not in parsed]
    if unknown:
        errors["kind"] = "Periode target tidak dikenal."
    if errors:
        raise ValidationFailed(errors)
    existing = {t.period_index: t for t in db.session.scalars(select(IndicatorTarget).where(
        IndicatorTarget.indicator_id == indicator.id, IndicatorTarget.period_kind == period_kind))}
    before = {str(k): str(v.target) for k, v in existing.items()}
    for index, value in parsed.items():
        row = existing.get(index)
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(IndicatorTarget(indicator_id=indicator.id, period_kind=period_kind, period_index=index,
                                           target=value))
        else:
            row.target = value
    db.session.flush()
    audit.record("lkj.targets.set", indicator, actor=actor, before={"kind": period_kind.value, "targets": before},
                 after={"kind": period_kind.value,
                        "targets": {str(k): str(v) for k, v in parsed.items() if v is not None}})
    warnings = []
    known = [v for v in parsed.values() if v is not None]
    if indicator.consolidation is Consolidation.SUM and len(known) == count:
        total = sum(known, Decimal(0))
        if total != indicator.target_year:
            warnings.append(f"Jumlah target {'bulanan' if count == 12 else 'triwulanan'} ({angka(total)}) tidak sama "
                            f"dengan target tahunan ({angka(indicator.target_year)}).")
    return warnings
