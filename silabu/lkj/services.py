"""The rules of the annual Laporan Kinerja (LKj). Pages, the API, the CLI and the year-end job all come through here.

- Realisasi of an indicator comes from the verified, locked entries of its output codes in months whose latest
  pleno packet is final (SOP Kudus step 6), or from Rendatin's manual realisasi with a note and evidence.
- Capaian and kategori follow ``capaian.py``; every figure can be traced to its packets and entries.
- The report moves draft -> koreksi -> pleno (one or more rounds) -> revisi -> paraf -> tanda tangan ->
  dikirim -> arsip; a reviewer may return it with a note to the previous step. Once signed, the version is
  frozen with its sha256 and the year's indicators, targets and manual realisasi no longer change.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, Sequence

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.models import Role, Unit, User, UserRole
from silabu.catalog.models import Consolidation, Indicator, OutputCode, Polarity
from silabu.core import audit
from silabu.core.clock import as_utc, local_today, parse_period, utcnow
from silabu.core.errors import Conflict, FileRejected, Forbidden, NotFound, ValidationFailed
from silabu.core.formatting import MONTHS, angka
from silabu.entries.models import Entry, EntryStatus
from silabu.extensions import db
from silabu.lkj import capaian as calc
from silabu.lkj.models import (LKJ_STATUS_LABELS, SIGNED_STATUSES, IndicatorOutputCode, IndicatorTarget,
                               KategoriBand, LkjDocument, LkjReport, LkjReviewStep, LkjStatus, ManualRealisasi,
                               TargetPeriod)
from silabu.pleno.models import Packet, PacketStatus

LKJ_VIEW_ROLES = ("rendatin", "sekretaris", "ketua", "kasubag", "admin")
LKJ_MANAGE_ROLES = ("rendatin",)
BAND_ROLES = ("rendatin", "admin")
NOTE_MAX = 4000
SECTION_MAX = 20000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 8
ROMAN = ["I", "II", "III", "IV"]


# ---- reports ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportSpec:
    code: str
    title: str  # "Laporan Kinerja Sekretariat"
    sekretariat: bool  # the subject is the Sekretariat of the satker (else the KPU itself)
    corrector_role: str  # who corrects and initials (paraf)
    corrector_unit: str | None
    corrector_label: str
    signer_role: str
    signer_label: str


REPORTS: dict[str, ReportSpec] = {
    "LKJ-SEK": ReportSpec("LKJ-SEK", "Laporan Kinerja Sekretariat", True, "kasubag", "RDI",
                          "Kepala Sub Bagian Perencanaan, Data dan Informasi", "sekretaris", "Sekretaris"),
    "LKJ-KPU": ReportSpec("LKJ-KPU", "Laporan Kinerja KPU (Komisioner)", False, "ketua", None,
                          "Ketua/Komisioner Divisi Perencanaan", "ketua", "Ketua"),
}


def report_spec(report_code: str) -> ReportSpec:
    """The rules of a report; report codes beyond the two of Kupang's SOP follow the Sekretariat's."""
    code = (report_code or "").strip().upper()
    if code in REPORTS:
        return REPORTS[code]
    base = REPORTS["LKJ-SEK"]
    return ReportSpec(code, f"Laporan Kinerja {code}", True, base.corrector_role, base.corrector_unit,
                      base.corrector_label, base.signer_role, base.signer_label)


def normalise_report_code(report_code: str) -> str:
    code = (report_code or "").strip().upper()
    if not code or len(code) > 20 or not all(c.isalnum() or c in "-_" for c in code):
        raise NotFound("Laporan tidak ditemukan.")
    return code


def report_codes(year: int) -> list[str]:
    """The two standard reports plus any other report named by the year's indicators."""
    found = set(db.session.scalars(select(Indicator.report_code).where(Indicator.year == year).distinct()))
    return list(REPORTS) + sorted(found - set(REPORTS))


def years_known() -> list[int]:
    years = set(db.session.scalars(select(Indicator.year).distinct()))
    years.update(db.session.scalars(select(LkjReport.year).distinct()))
    return sorted(years, reverse=True)


def get_report(year: int, report_code: str) -> LkjReport | None:
    return db.session.scalar(select(LkjReport).where(LkjReport.year == year,
                                                     LkjReport.report_code == normalise_report_code(report_code)))


def ensure_report(year: int, report_code: str) -> LkjReport:
    """The report of a year and code, created (status draft) on first use."""
    code = normalise_report_code(report_code)
    report = get_report(year, code)
    if report is not None:
        return report
    report = LkjReport(year=year, report_code=code, status=LkjStatus.DRAFT, narrative={}, current_version=0,
                       pleno_rounds=0)
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:  # created at the same moment by another request or the job
        report = get_report(year, code)
        if report is None:
            raise
    return report


def subject_name(spec: ReportSpec) -> str:
    from silabu.accounts.org import default_satker

    satker = default_satker()
    name = satker.name if satker else "Komisi Pemilihan Umum"
    return f"Sekretariat {name}" if spec.sekretariat else name


def _assert_open(year: int, report_code: str) -> None:
    report = get_report(year, report_code)
    if report is not None and report.is_signed:
        raise Conflict(f"{report_spec(report_code).title} tahun {year} sudah ditandatangani; indikator, target "
                       "dan realisasinya tidak dapat diubah lagi.", code="lkj_signed")


# ---- indicators, targets, output codes ---------------------------------------------------------------

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


def _parse_number(value: Any, field_name: str, errors: dict[str, str], *, label: str, required: bool = True,
                  allow_negative: bool = False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field_name] = f"{label} wajib diisi."
        return None
    if isinstance(value, bool):
        errors[field_name] = f"{label} harus berupa angka."
        return None
    text = str(value).strip().replace(" ", "")
    if isinstance(value, str) and "," in text:  # Indonesian decimal comma: 1.234,5
        text = text.replace(".", "").replace(",", ".")
    try:
        number = calc.to_decimal(text)
    except ValueError:
        errors[field_name] = f"{label} harus berupa angka."
        return None
    if number is None:
        errors[field_name] = f"{label} wajib diisi."
        return None
    if number < 0 and not allow_negative:
        errors[field_name] = f"{label} tidak boleh negatif."
        return None
    if number >= Decimal("1e12"):
        errors[field_name] = f"{label} terlalu besar."
        return None
    if number != number.quantize(calc.CENT):
        errors[field_name] = f"{label} paling banyak dua angka di belakang koma."
        return None
    return number


def _indicator_snapshot(ind: Indicator) -> dict[str, Any]:
    return {"year": ind.year, "report_code": ind.report_code, "sasaran_code": ind.sasaran_code,
            "sasaran": ind.sasaran, "code": ind.code, "name": ind.name, "unit": ind.unit,
            "target_year": str(ind.target_year), "polarity": ind.polarity.value,
            "consolidation": ind.consolidation.value, "output_code_id": ind.output_code_id,
            "position": ind.position}


def save_indicator(year: int, report_code: str, data: Mapping[str, Any], actor: User | None,
                   indicator: Indicator | None = None) -> Indicator:
    """Create or update one indicator of the Perjanjian Kinerja with the output codes that measure it."""
    report_code = normalise_report_code(report_code)
    if indicator is not None:
        year, report_code = indicator.year, indicator.report_code
    _assert_open(year, report_code)
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
    target = _parse_number(data.get("target_year"), "target_year", errors, label="Target tahunan")
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
    _assert_open(indicator.year, indicator.report_code)
    audit.record("lkj.indicator.delete", indicator, actor=actor, before=_indicator_snapshot(indicator))
    for model in (IndicatorTarget, IndicatorOutputCode, ManualRealisasi):
        for row in db.session.scalars(select(model).where(model.indicator_id == indicator.id)):
            db.session.delete(row)
    db.session.delete(indicator)
    db.session.flush()


def import_indicators_file(filename: str, content: bytes, year: int, actor: User | None):  # noqa: ANN201
    """Import the Perjanjian Kinerja of ``year`` from a CSV/XLSX shaped like ``indicators.csv``."""
    from silabu.accounts.services import read_table
    from silabu.catalog.services import import_indicators

    if not content:
        raise ValidationFailed({"file": "Pilih berkas CSV atau XLSX yang akan diimpor."})
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed({"year": "Tahun tidak valid."})
    rows = read_table(filename or "indikator.csv", content)
    if not rows:
        raise ValidationFailed({"file": "Berkas tidak berisi baris data."})
    for code in {(r.get("report") or "").strip().upper() for r in rows}:
        if code:
            _assert_open(int(year), code)
    return import_indicators(rows, int(year), actor=actor)


def targets_of(indicator: Indicator) -> dict[tuple[str, int], Decimal]:
    return {(t.period_kind.value, t.period_index): t.target for t in db.session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator.id))}


def set_targets(indicator: Indicator, kind: str, values: Mapping[int, Any], actor: User | None) -> list[str]:
    """Set the Rencana Aksi targets of one kind (month 1-12 or quarter 1-4); blanks remove a target.

    Returns warnings (e.g. quarterly targets of a summed indicator that do not add up to the yearly target).
    """
    _assert_open(indicator.year, indicator.report_code)
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
        parsed[index] = _parse_number(values.get(index), f"{period_kind.value}_{index}", errors, label=label,
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


# ---- periods ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodSpec:
    key: str  # "tahun", "s1", "tw3", "2026-05"
    kind: str  # year | semester | quarter | month
    index: int
    months: tuple[int, ...]
    label: str
    short: str


def period_spec(year: int, key: str | None = None) -> PeriodSpec:
    """Parse a period of the year: tahun, s1/s2, tw1..tw4 (or q1..q4), or a month YYYY-MM."""
    raw = (key or "tahun").strip().lower()
    if raw in ("tahun", "year", "y", ""):
        return PeriodSpec("tahun", "year", 0, tuple(range(1, 13)), f"Tahun {year}", "Tahun")
    for prefixes, kind, count in ((("s", "semester"), "semester", 2), (("tw", "q", "triwulan"), "quarter", 4)):
        for prefix in prefixes:
            rest = raw[len(prefix):]
            if raw.startswith(prefix) and rest.isdigit() and 1 <= int(rest) <= count:
                index = int(rest)
                size = 12 // count
                months = tuple(range((index - 1) * size + 1, index * size + 1))
                word = "Semester" if kind == "semester" else "Triwulan"
                label = f"{word} {ROMAN[index - 1]} {year}"
                return PeriodSpec(f"{'s' if kind == 'semester' else 'tw'}{index}", kind, index, months, label,
                                  f"{'Smt' if kind == 'semester' else 'TW'} {ROMAN[index - 1]}")
    try:
        y, m = parse_period(raw)
    except ValueError:
        y, m = None, None
    if y == year and m is not None:
        return PeriodSpec(f"{year:04d}-{m:02d}", "month", m, (m,), f"{MONTHS[m - 1]} {year}", MONTHS[m - 1][:3])
    raise ValidationFailed({"period": "Periode tidak dikenal. Pakai tahun, s1, s2, tw1-tw4 atau "
                                     f"{year}-01 s.d. {year}-12."})


def period_choices(year: int) -> list[PeriodSpec]:
    keys = ["tahun", "s1", "s2", "tw1", "tw2", "tw3", "tw4"] + [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    return [period_spec(year, k) for k in keys]


def month_periods(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


# ---- finalized packets -------------------------------------------------------------------------------------

def latest_packets(year: int) -> dict[str, Packet]:
    """The latest packet version of each month of ``year`` that has one."""
    latest: dict[str, Packet] = {}
    for packet in db.session.scalars(select(Packet).where(Packet.period.in_(month_periods(year)))
                                     .order_by(Packet.period, Packet.version)):
        latest[packet.period] = packet
    return latest


def _final_periods_from_packets(year: int) -> list[str]:
    return sorted(p for p, packet in latest_packets(year).items() if packet.status == PacketStatus.FINAL)


def final_periods(year: int) -> list[str]:
    """Months of ``year`` whose latest pleno packet is final: only these feed the LKj."""
    try:
        from silabu.pleno.services import final_periods as pleno_final_periods
    except ImportError:  # the pleno services are not there (yet): read the packets directly
        return _final_periods_from_packets(year)
    return sorted(p for p in pleno_final_periods(year) if p in month_periods(year))


# ---- realisasi -----------------------------------------------------------------------------------------------

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
            if level.get(current) == "ro":
                found.add(current)
            stack.extend(children.get(current, []))
        closure[code_id] = found or {code_id}
    return closure


@dataclass
class IndicatorData:
    """What the year's figures of one indicator are made of."""

    indicator: Indicator
    source: str  # "entries" | "manual"
    code_ids: set[int]  # RO codes whose entries count
    codes: list[OutputCode]
    months: list[Decimal | None]  # realisasi per month, None where not (yet) known
    targets: dict[tuple[str, int], Decimal]


def indicator_data(indicators: Sequence[Indicator], year: int) -> dict[int, IndicatorData]:
    """Monthly realisasi of every indicator (12 values), read in a few queries."""
    if not indicators:
        return {}
    ids = [i.id for i in indicators]
    final = set(final_periods(year))
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
    sums: dict[tuple[int, str], Decimal] = {}
    if all_codes and final:
        for code_id, period, total in db.session.execute(
                select(Entry.output_code_id, Entry.period, func.sum(Entry.quantity))
                .where(Entry.status == EntryStatus.VERIFIED, Entry.is_locked.is_(True),
                       Entry.period.in_(sorted(final)), Entry.output_code_id.in_(sorted(all_codes)))
                .group_by(Entry.output_code_id, Entry.period)):
            sums[(code_id, period)] = calc.to_decimal(total) or Decimal(0)
    manual: dict[tuple[int, str], Decimal] = {}
    for row in db.session.scalars(select(ManualRealisasi).where(ManualRealisasi.indicator_id.in_(ids),
                                                               ManualRealisasi.period.in_(periods))):
        manual[(row.indicator_id, row.period)] = row.value
    targets: dict[int, dict[tuple[str, int], Decimal]] = {i: {} for i in ids}
    for t in db.session.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_(ids))):
        targets[t.indicator_id][(t.period_kind.value, t.period_index)] = t.target
    out: dict[int, IndicatorData] = {}
    for ind in indicators:
        if direct[ind.id]:
            months = [calc.round2(sum((sums.get((c, p), Decimal(0)) for c in expanded[ind.id]), Decimal(0)))
                      if p in final else None for p in periods]
            source = "entries"
        else:
            months = [manual.get((ind.id, p)) for p in periods]
            source = "manual"
        out[ind.id] = IndicatorData(ind, source, expanded[ind.id], [codes_by_id[c] for c in direct[ind.id]
                                                                      if c in codes_by_id], months, targets[ind.id])
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


# ---- the Tabel Capaian ----------------------------------------------------------------------------------------

@dataclass
class PreviousYear:
    year: int
    target: Decimal | None
    realisasi: Decimal | None
    capaian: Decimal | None
    kategori: str | None


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


@dataclass
class TabelCapaian:
    year: int
    report_code: str
    period: PeriodSpec
    rows: list[CapaianRow]
    bands: list[calc.Band]
    final_periods: list[str]
    previous_year: int | None = None

    @property
    def sasaran_groups(self) -> list[tuple[str, str, list[CapaianRow]]]:
        groups: list[tuple[str, str, list[CapaianRow]]] = []
        for row in self.rows:
            if groups and groups[-1][0] == row.sasaran_code and groups[-1][1] == row.sasaran:
                groups[-1][2].append(row)
            else:
                groups.append((row.sasaran_code, row.sasaran, [row]))
        return groups


def _row(data: IndicatorData, spec: PeriodSpec, bands: Sequence[calc.Band]) -> CapaianRow:
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
            reason = (f"Belum ada paket pleno final untuk {spec.label}." if data.source == "entries"
                      else f"Realisasi {spec.label} belum diisi oleh Rendatin.")
        else:
            reason = result.reason
    return CapaianRow(indicator_id=ind.id, position=ind.position, sasaran_code=ind.sasaran_code, sasaran=ind.sasaran,
                      code=ind.code, name=ind.name, unit=ind.unit, polarity=ind.polarity.value,
                      consolidation=ind.consolidation.value, source=data.source,
                      output_codes=[c.code for c in data.codes], target=calc.round2(target), realisasi=realisasi,
                      capaian=result.value, kategori=calc.kategori(result.value, bands), reason=reason,
                      months=list(data.months), months_counted=sum(v is not None for v in values),
                      months_in_period=len(values))


def tabel_capaian(year: int, report_code: str, period: str | None = None, *,
                  with_previous: bool = True) -> TabelCapaian:
    """The Tabel Capaian Kinerja of a report for a period (year, semester, quarter or month)."""
    report_code = normalise_report_code(report_code)
    spec = period_spec(year, period)
    bands = current_bands()
    indicators = indicators_for(year, report_code)
    data = indicator_data(indicators, year)
    rows = [_row(data[i.id], spec, bands) for i in indicators]
    table = TabelCapaian(year, report_code, spec, rows, bands, final_periods(year))
    if with_previous:
        _attach_previous(table, bands)
    return table


def _attach_previous(table: TabelCapaian, bands: Sequence[calc.Band]) -> None:
    """The same indicator (by code) of the year before, its whole-year figures, when it exists."""
    previous = indicators_for(table.year - 1, table.report_code)
    if not previous:
        return
    data = indicator_data(previous, table.year - 1)
    spec = period_spec(table.year - 1, "tahun")
    by_code = {i.code: _row(data[i.id], spec, bands) for i in previous}
    table.previous_year = table.year - 1
    for row in table.rows:
        prev = by_code.get(row.code)
        if prev is not None:
            row.previous = PreviousYear(table.year - 1, prev.target, prev.realisasi, prev.capaian, prev.kategori)


def number(value: Decimal | None) -> int | float | None:
    """A JSON number: integers stay integers (12, not 12.0)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def row_json(row: CapaianRow) -> dict[str, Any]:
    """One row of the API's Tabel Capaian."""
    data = {"sasaran": row.sasaran, "sasaran_code": row.sasaran_code, "indicator_code": row.code,
            "indicator": row.name, "unit": row.unit, "target": number(row.target),
            "realisasi": number(row.realisasi), "capaian": number(row.capaian), "kategori": row.kategori,
            "reason": row.reason, "polarity": row.polarity, "consolidation": row.consolidation,
            "source": row.source, "output_codes": row.output_codes, "months_counted": row.months_counted,
            "months_in_period": row.months_in_period}
    if row.previous is not None:
        data["previous"] = {"year": row.previous.year, "target": number(row.previous.target),
                            "realisasi": number(row.previous.realisasi), "capaian": number(row.previous.capaian),
                            "kategori": row.previous.kategori}
    return data


# ---- traceability --------------------------------------------------------------------------------------------

@dataclass
class MonthTrace:
    period: str
    label: str
    value: Decimal | None
    packet: Packet | None
    is_final: bool
    entries: list[Entry] = field(default_factory=list)
    pending_entries: int = 0  # verified entries of a month whose packet is not final: not counted
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
    row = _row(data, spec, current_bands())
    packets = latest_packets(year)
    final = set(final_periods(year))
    periods = [f"{year:04d}-{m:02d}" for m in spec.months]
    months: list[MonthTrace] = []
    entries_by_period: dict[str, list[Entry]] = {p: [] for p in periods}
    pending: dict[str, int] = {}
    manual = {}
    if data.source == "entries" and data.code_ids:
        query = (select(Entry).where(Entry.status == EntryStatus.VERIFIED, Entry.period.in_(periods),
                                     Entry.output_code_id.in_(sorted(data.code_ids)))
                 .options(selectinload(Entry.user), selectinload(Entry.unit), selectinload(Entry.output_code),
                          selectinload(Entry.evidence))
                 .order_by(Entry.entry_date, Entry.id))
        for entry in db.session.scalars(query):
            if entry.period in final and entry.is_locked:
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
                                 pending_entries=pending.get(p, 0), manual=manual.get(p)))
    return Trace(indicator, spec, data.source, data.codes, row, months)


# ---- manual realisasi -----------------------------------------------------------------------------------------

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
    _assert_open(indicator.year, indicator.report_code)
    errors: dict[str, str] = {}
    if indicator.output_code_id is not None or db.session.scalar(
            select(IndicatorOutputCode.id).where(IndicatorOutputCode.indicator_id == indicator.id).limit(1)):
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
    amount = _parse_number(value, "value", errors, label="Realisasi")
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
    stored = _store_upload(filename or "bukti", data) if data else None
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
    _assert_open(row.indicator.year, row.indicator.report_code)
    audit.record("lkj.realisasi.delete", row, actor=actor, before=_manual_snapshot(row))
    db.session.delete(row)
    db.session.flush()


def _store_upload(filename: str, data: bytes, *, documents_only: bool = False) -> tuple[str, str, str, str, int]:
    """Check the bytes with the evidence rules and store them; (key, sha256, name, content type, size)."""
    from silabu.evidence.processing import process_upload
    from silabu.evidence.services import sanitize_filename
    from silabu.evidence.storage import get_storage, key_for

    config = current_app.config
    processed = process_upload(data, filename, max_bytes=config["EVIDENCE_MAX_BYTES"],
                               max_pixels=config["IMAGE_MAX_PIXELS"], long_side=config["IMAGE_SERVE_LONG_SIDE"],
                               thumb_side=config["THUMBNAIL_LONG_SIDE"])
    if documents_only and processed.content_type not in (
            "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.oasis.opendocument.text"):
        raise FileRejected("Unggah dokumen LKj final dalam bentuk PDF, DOCX atau ODT.")
    key = key_for(processed.sha256, processed.extension)
    storage = get_storage()
    if not storage.exists(key):
        storage.store(key, processed.data)
    name = sanitize_filename(filename, processed.extension)
    return key, processed.sha256, name, processed.content_type, processed.size


def open_blob(key: str):  # noqa: ANN201
    from silabu.evidence.storage import get_storage

    storage = get_storage()
    if not key or not storage.exists(key):
        raise NotFound("Berkas tidak ditemukan di penyimpanan.")
    return storage.open(key)


# ---- kategori bands ----------------------------------------------------------------------------------------

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
        value = _parse_number(raw_min, f"min_{i}", errors, label="Batas bawah", required=False,
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


# ---- narrative -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hint: str


FIXED_SECTIONS: tuple[Section, ...] = (
    Section("kata_pengantar", "Kata Pengantar",
            "Pengantar singkat dari pimpinan: maksud laporan dan ucapan terima kasih."),
    Section("ringkasan_eksekutif", "Ringkasan Eksekutif",
            "Gambaran singkat tujuan, sasaran dan capaian utama. Ringkasan angka dibuat otomatis di bawah teks ini."),
    Section("bab1_latar_belakang", "Bab I A. Latar Belakang", "Dasar hukum dan maksud penyusunan LKj."),
    Section("bab1_organisasi", "Bab I B. Tugas, Fungsi dan Struktur Organisasi",
            "Tugas, fungsi, susunan organisasi dan sumber daya manusia."),
    Section("bab1_isu_strategis", "Bab I C. Permasalahan Utama (Isu Strategis)",
            "Permasalahan utama yang dihadapi organisasi pada tahun ini."),
    Section("bab2_perencanaan", "Bab II Perencanaan Kinerja",
            "Rencana Strategis, Rencana Kinerja Tahunan dan Perjanjian Kinerja. Tabel PK dibuat otomatis."),
    Section("bab3_capaian", "Bab III A. Capaian Kinerja Organisasi",
            "Pengantar capaian kinerja. Tabel Capaian dan analisis per indikator dibuat otomatis dari data."),
    Section("bab3_anggaran", "Bab III B. Realisasi Anggaran",
            "Pagu dan realisasi anggaran per program/kegiatan beserta penjelasannya."),
    Section("bab4_penutup", "Bab IV Penutup", "Kesimpulan capaian, kendala, dan langkah perbaikan tahun berikutnya."),
)


def sections_for(report: LkjReport) -> list[Section]:
    """The fixed sections and one analysis section per indicator of the report."""
    sections = list(FIXED_SECTIONS)
    for ind in indicators_for(report.year, report.report_code):
        sections.append(Section(f"analisis:{ind.code}", f"Analisis indikator {ind.code}: {ind.name}",
                                "Analisis capaian: penyebab keberhasilan/kegagalan, perbandingan dengan tahun lalu, "
                                "efisiensi, dan program penunjang. Tabel angka dibuat otomatis."))
    return sections


def save_section(report: LkjReport, key: str, text: str, actor: User | None) -> None:
    """Keep the team's text of one narrative section (plain text: paragraphs, **tebal**, butir '- ')."""
    if report.is_signed:
        raise Conflict("LKj sudah ditandatangani; narasinya tidak dapat diubah lagi.", code="lkj_signed")
    if key not in {s.key for s in sections_for(report)}:
        raise NotFound("Bagian narasi tidak ditemukan.")
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > SECTION_MAX:
        raise ValidationFailed({"text": f"Teks maksimal {SECTION_MAX} karakter (sekarang {len(text)})."})
    narrative = dict(report.narrative or {})
    before = narrative.get(key, "")
    if text:
        narrative[key] = text
    else:
        narrative.pop(key, None)
    report.narrative = narrative
    report.updated_at = utcnow()
    db.session.flush()
    audit.record("lkj.narrative.set", report, actor=actor, before={"section": key, "text": before},
                 after={"section": key, "text": text})


# ---- compiling the document ------------------------------------------------------------------------------------

def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _row_snapshot(row: CapaianRow) -> dict[str, Any]:
    return {"target": _dec(row.target), "realisasi": _dec(row.realisasi), "capaian": _dec(row.capaian),
            "kategori": row.kategori, "reason": row.reason, "months_counted": row.months_counted,
            "months_in_period": row.months_in_period}


def _person(role: str, unit_code: str | None = None) -> dict[str, str]:
    query = (select(User).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == Role(role), User.is_active_account.is_(True)).order_by(User.id))
    if unit_code:
        query = query.join(Unit, Unit.id == User.unit_id).where(Unit.code == unit_code)
    user = db.session.scalar(query.limit(1))
    return {"name": user.name if user else "", "nip": (user.nip or "") if user else ""}


def build_snapshot(year: int, report_code: str) -> dict[str, Any]:
    """Everything the document shows, as plain JSON: the figures are frozen with the version that uses them."""
    from silabu.accounts.org import default_satker

    report_code = normalise_report_code(report_code)
    spec = report_spec(report_code)
    satker = default_satker()
    bands = current_bands()
    indicators = indicators_for(year, report_code)
    data = indicator_data(indicators, year)
    table = TabelCapaian(year, report_code, period_spec(year), [], bands, final_periods(year))
    table.rows = [_row(data[i.id], table.period, bands) for i in indicators]
    _attach_previous(table, bands)
    sub_periods = [period_spec(year, k) for k in ("tw1", "tw2", "tw3", "tw4", "s1", "s2")]
    packets = latest_packets(year)
    rows = []
    for ind, row in zip(indicators, table.rows):
        rows.append({
            "indicator_id": ind.id, "sasaran_code": row.sasaran_code, "sasaran": row.sasaran, "code": row.code,
            "name": row.name, "unit": row.unit, "polarity": row.polarity, "consolidation": row.consolidation,
            "source": row.source, "output_codes": row.output_codes, "target_year": _dec(ind.target_year),
            **_row_snapshot(row),
            "months": [_dec(v) for v in row.months],
            "periods": {p.key: {"label": p.label, **_row_snapshot(_row(data[ind.id], p, bands))} for p in sub_periods},
            "rencana_aksi": {f"{k[0]}{k[1]}": str(v) for k, v in sorted(data[ind.id].targets.items())},
            "previous": None if row.previous is None else {
                "year": row.previous.year, "target": _dec(row.previous.target),
                "realisasi": _dec(row.previous.realisasi), "capaian": _dec(row.previous.capaian),
                "kategori": row.previous.kategori},
        })
    manual = [{"indicator_code": r.indicator.code, "period": r.period, "value": str(r.value), "note": r.note,
               "evidence_name": r.evidence_name, "evidence_sha256": r.evidence_sha256}
              for r in db.session.scalars(select(ManualRealisasi).join(Indicator)
                                          .where(Indicator.year == year, Indicator.report_code == report_code)
                                          .order_by(Indicator.position, Indicator.code, ManualRealisasi.period))]
    measurable = [Decimal(r["capaian"]) for r in rows if r["capaian"] is not None]
    by_kategori = {b.label: sum(1 for r in rows if r["kategori"] == b.label) for b in bands}
    return {
        "year": year, "report_code": report_code, "title": spec.title, "subject": subject_name(spec),
        "satker": {"name": satker.name if satker else "", "city": (satker.city if satker else "") or "",
                   "address": (satker.address if satker else "") or "", "level": satker.level if satker else ""},
        "signer": {"label": spec.signer_label, **_person(spec.signer_role)},
        "corrector": {"label": spec.corrector_label, **_person(spec.corrector_role, spec.corrector_unit)},
        "final_periods": table.final_periods,
        "bands": [{"min": _dec(b.minimum), "label": b.label, "range": calc.describe_band(b, bands)} for b in bands],
        "rows": rows,
        "previous_year": table.previous_year,
        "packets": [{"period": p, "version": packets[p].version, "berita_acara_number": packets[p].berita_acara_number,
                     "pleno_date": packets[p].pleno_date.isoformat() if packets[p].pleno_date else None,
                     "data_sha256": packets[p].data_sha256} for p in table.final_periods if p in packets],
        "manual": manual,
        "summary": {"indicators": len(rows), "sasaran": len({(r["sasaran_code"], r["sasaran"]) for r in rows}),
                    "measurable": len(measurable), "not_measurable": len(rows) - len(measurable),
                    "average_capaian": _dec(calc.round2(sum(measurable, Decimal(0)) / len(measurable)))
                    if measurable else None,
                    "by_kategori": by_kategori},
    }


def snapshot_sha256(snapshot: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def verification_url(code: str) -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/") + f"/lkj/verifikasi/{code}"


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(LkjDocument.id).where(LkjDocument.verification_code == code)) is None:
            return code


def render(snapshot: Mapping[str, Any], narrative: Mapping[str, str], *, version: int | None, code: str | None,
           status_label: str, compiled_at: datetime) -> tuple[bytes, bytes]:
    """The DOCX and the PDF of one version (or of a preview, without version and code)."""
    from silabu.lkj.document import DocumentMeta, render_docx, render_pdf

    meta = DocumentMeta(version=version, code=format_code(code) if code else None,
                        url=verification_url(code) if code else None, status_label=status_label,
                        compiled_at=compiled_at)
    return render_docx(snapshot, narrative, meta), render_pdf(snapshot, narrative, meta)


def _store_bytes(data: bytes, suffix: str) -> tuple[str, str, int]:
    from silabu.evidence.storage import get_storage, key_for

    sha = hashlib.sha256(data).hexdigest()
    key = key_for(sha, suffix)
    storage = get_storage()
    if not storage.exists(key):
        storage.store(key, data)
    return key, sha, len(data)


def compile_report(year: int, report_code: str, actor: User | None = None) -> LkjDocument:
    """Compile a new version of the LKj from the current data and narrative: DOCX + PDF with a verification code."""
    report = ensure_report(year, report_code)
    if report.is_signed:
        raise Conflict("LKj sudah ditandatangani; versi yang ditandatangani tidak dapat dikompilasi ulang.",
                       code="lkj_signed")
    if not indicators_for(year, report.report_code):
        raise ValidationFailed({"indicators": f"Belum ada indikator {report.report_code} untuk tahun {year}. "
                                              "Impor atau tambahkan Perjanjian Kinerja terlebih dahulu."})
    snapshot = build_snapshot(year, report.report_code)
    narrative = dict(report.narrative or {})
    version = report.current_version + 1
    code = _new_code()
    compiled_at = utcnow()
    docx_bytes, pdf_bytes = render(snapshot, narrative, version=version, code=code,
                                   status_label=f"Draf versi {version}", compiled_at=compiled_at)
    docx_key, docx_sha, docx_size = _store_bytes(docx_bytes, ".docx")
    pdf_key, pdf_sha, pdf_size = _store_bytes(pdf_bytes, ".pdf")
    doc = LkjDocument(report_id=report.id, version=version, compiled_at=compiled_at,
                      compiled_by_id=getattr(actor, "id", None), narrative=narrative, data=snapshot,
                      data_sha256=snapshot_sha256(snapshot), verification_code=code, docx_key=docx_key,
                      docx_sha256=docx_sha, docx_size=docx_size, pdf_key=pdf_key, pdf_sha256=pdf_sha,
                      pdf_size=pdf_size)
    try:
        with db.session.begin_nested():
            db.session.add(doc)
            db.session.flush()
    except IntegrityError:
        raise Conflict("Versi ini baru saja dikompilasi oleh proses lain. Muat ulang halaman.") from None
    report.current_version = version
    report.updated_at = utcnow()
    db.session.add(LkjReviewStep(report_id=report.id, document_id=doc.id, step=report.status.value,
                                 action="kompilasi", to_status=report.status.value, actor_id=getattr(actor, "id", None),
                                 details={"version": version, "pdf_sha256": pdf_sha, "docx_sha256": docx_sha}))
    db.session.flush()
    audit.record("lkj.compile", report, actor=actor,
                 after={"version": version, "verification_code": code, "pdf_sha256": pdf_sha, "docx_sha256": docx_sha,
                        "data_sha256": doc.data_sha256})
    return doc


def compile_first_draft(year: int, actor: User | None = None) -> list[LkjDocument]:
    """The year-end job: compile version 1 of every report of ``year`` that has indicators and no version yet.

    Idempotent: a report that already has a compiled version is left alone, so the job may run again.
    """
    created = []
    for code in report_codes(year):
        if not indicators_for(year, code):
            continue
        report = get_report(year, code)
        if report is not None and report.current_version > 0:
            continue
        try:
            created.append(compile_report(year, code, actor))
        except Conflict:  # another scheduler process compiled it at the same moment
            continue
    return created


def first_draft_due(today: date) -> int | None:
    """The year whose first draft the job compiles on ``today`` (config LKJ_FIRST_DRAFT_MONTH, default January)."""
    month = int(current_app.config.get("LKJ_FIRST_DRAFT_MONTH", 1) or 1)
    return today.year - 1 if today.month >= month else None


def render_preview(year: int, report_code: str, fmt: str) -> bytes:
    """The document as it would be compiled now, without storing a version (for the API's document.docx)."""
    report_code = normalise_report_code(report_code)
    if not indicators_for(year, report_code):
        raise NotFound(f"Belum ada indikator {report_code} untuk tahun {year}.")
    report = get_report(year, report_code)
    snapshot = build_snapshot(year, report_code)
    narrative = dict(report.narrative or {}) if report else {}
    from silabu.lkj.document import DocumentMeta, render_docx, render_pdf

    meta = DocumentMeta(version=None, code=None, url=None, status_label="Pratinjau draf (data terkini)",
                        compiled_at=utcnow())
    return render_docx(snapshot, narrative, meta) if fmt == "docx" else render_pdf(snapshot, narrative, meta)


def get_document(report: LkjReport, version: int | str) -> LkjDocument:
    try:
        number_ = int(version)
    except (TypeError, ValueError):
        number_ = -1
    doc = db.session.scalar(select(LkjDocument).where(LkjDocument.report_id == report.id,
                                                      LkjDocument.version == number_))
    if doc is None:
        raise NotFound("Versi dokumen tidak ditemukan.")
    return doc


def current_document(report: LkjReport) -> LkjDocument | None:
    if not report.current_version:
        return None
    return get_document(report, report.current_version)


def signed_document(report: LkjReport) -> LkjDocument | None:
    if report.signed_version is None:
        return None
    return get_document(report, report.signed_version)


# ---- verification ------------------------------------------------------------------------------------------

def document_by_code(code: str) -> LkjDocument:
    """The compiled version a verification code (as printed, with or without dash) belongs to."""
    clean = "".join(ch for ch in str(code or "").upper() if ch.isalnum())
    if len(clean) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in clean):
        raise NotFound("Kode verifikasi tidak dikenal.")
    doc = db.session.scalar(select(LkjDocument).where(LkjDocument.verification_code == clean)
                            .options(selectinload(LkjDocument.report)))
    if doc is None:
        raise NotFound("Kode verifikasi tidak dikenal.")
    return doc


def match_file(doc: LkjDocument, data: bytes) -> str | None:
    """Which file of the version these bytes are ("pdf", "docx", "final"), by sha256; None when none."""
    sha = hashlib.sha256(data or b"").hexdigest()
    for name, value in (("pdf", doc.pdf_sha256), ("docx", doc.docx_sha256), ("final", doc.final_sha256)):
        if value and value == sha:
            return name
    return None


# ---- the review -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    key: str
    label: str
    from_status: LkjStatus | None  # None: several (returns)
    to_status: LkjStatus | None
    who: str  # rendatin | corrector | signer | pleno | pleno_reviewer


ACTIONS: dict[str, Action] = {a.key: a for a in (
    Action("ajukan_koreksi", "Ajukan untuk dikoreksi", LkjStatus.DRAFT, LkjStatus.KOREKSI, "rendatin"),
    Action("setujui_koreksi", "Koreksi selesai, lanjut ke pleno", LkjStatus.KOREKSI, LkjStatus.PLENO, "corrector"),
    Action("catat_pleno", "Catat hasil rapat pleno", LkjStatus.PLENO, LkjStatus.REVISI, "pleno"),
    Action("ajukan_pleno", "Paparkan lagi dalam pleno berikutnya", LkjStatus.REVISI, LkjStatus.PLENO, "rendatin"),
    Action("ajukan_paraf", "Ajukan untuk diparaf", LkjStatus.REVISI, LkjStatus.PARAF, "rendatin"),
    Action("paraf", "Bubuhkan paraf", LkjStatus.PARAF, LkjStatus.TANDA_TANGAN, "corrector"),
    Action("tandatangani", "Tandatangani", LkjStatus.TANDA_TANGAN, LkjStatus.DITANDATANGANI, "signer"),
    Action("kirim", "Catat pengiriman", LkjStatus.DITANDATANGANI, LkjStatus.DIKIRIM, "rendatin"),
    Action("arsipkan", "Arsipkan", LkjStatus.DIKIRIM, LkjStatus.ARSIP, "rendatin"),
    Action("kembalikan", "Kembalikan dengan catatan", None, None, "reviewer"),
)}
# A reviewer returns the report to the step before theirs.
RETURN_TO = {LkjStatus.KOREKSI: LkjStatus.DRAFT, LkjStatus.PLENO: LkjStatus.KOREKSI,
             LkjStatus.PARAF: LkjStatus.REVISI, LkjStatus.TANDA_TANGAN: LkjStatus.PARAF}
RETURN_WHO = {LkjStatus.KOREKSI: "corrector", LkjStatus.PLENO: "pleno_reviewer", LkjStatus.PARAF: "corrector",
              LkjStatus.TANDA_TANGAN: "signer"}
COMPILABLE = frozenset(LkjStatus) - SIGNED_STATUSES


def _corrector(report: LkjReport, user: User, on_date: date) -> tuple[bool, str | None]:
    """Kasubag RDI (or the Plh/Plt for RDI) for the Sekretariat's report; a Ketua/Komisioner for the KPU's."""
    spec = report_spec(report.report_code)
    if spec.corrector_unit is None:
        return user.has_role(spec.corrector_role), None
    if user.has_role(spec.corrector_role) and user.unit is not None and user.unit.code == spec.corrector_unit:
        return True, None
    from silabu.accounts.access import active_delegations

    for delegation in active_delegations(user, on_date):
        if delegation.unit.code == spec.corrector_unit:
            return True, f"{delegation.kind}. {spec.corrector_label}"
    return False, None


def _may(report: LkjReport, who: str, user: User, on_date: date) -> tuple[bool, str | None]:
    spec = report_spec(report.report_code)
    if who == "rendatin":
        return user.has_role(Role.RENDATIN), None
    if who == "corrector":
        return _corrector(report, user, on_date)
    if who == "signer":
        return user.has_role(spec.signer_role), None
    if who == "pleno":
        return user.has_role(Role.RENDATIN, Role.SEKRETARIS, Role.KETUA), None
    if who == "pleno_reviewer":
        return user.has_role(Role.SEKRETARIS, Role.KETUA), None
    return False, None


def allowed_actions(report: LkjReport, user: User, on_date: date) -> list[Action]:
    """The actions ``user`` may take on the report as it stands."""
    actions = []
    for action in ACTIONS.values():
        if action.key == "kembalikan":
            who = RETURN_WHO.get(report.status)
            if who and _may(report, who, user, on_date)[0]:
                actions.append(action)
        elif action.from_status == report.status and _may(report, action.who, user, on_date)[0]:
            actions.append(action)
    return actions


def can_compile(report: LkjReport, user: User) -> bool:
    return report.status in COMPILABLE and user.has_role(Role.RENDATIN)


def _parse_date(value: Any, field_name: str, label: str, errors: dict[str, str]) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        errors[field_name] = f"{label} wajib diisi."
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field_name] = f"{label} harus berformat TTTT-BB-HH."
        return None


def perform(report: LkjReport, action_key: str, actor: User, *, today: date, note: str | None = None,
            pleno_date: Any = None, sent_date: Any = None, letter_number: str | None = None,
            sent_to: str | None = None, final_file: tuple[str, bytes] | None = None) -> LkjReviewStep:
    """Take one review step; records who, when, on which version and what was said."""
    action = ACTIONS.get(action_key)
    if action is None:
        raise ValidationFailed({"action": "Langkah tidak dikenal."})
    before_status = report.status
    if action.key == "kembalikan":
        target = RETURN_TO.get(report.status)
        if target is None:
            raise Conflict(f"LKj berstatus {report.status_label.lower()} tidak dapat dikembalikan.")
        allowed, on_behalf_of = _may(report, RETURN_WHO[report.status], actor, today)
    else:
        if report.status != action.from_status:
            raise Conflict(f"Langkah '{action.label}' tidak dapat dilakukan: LKj berstatus "
                           f"{report.status_label.lower()}.", code="lkj_wrong_step")
        target = action.to_status
        allowed, on_behalf_of = _may(report, action.who, actor, today)
    if not allowed:
        raise Forbidden(_forbidden_message(report, action))
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if len(note) > NOTE_MAX:
        errors["note"] = f"Catatan maksimal {NOTE_MAX} karakter."
    if action.key in ("kembalikan", "catat_pleno") and not note:
        errors["note"] = ("Catatan wajib diisi: apa yang perlu diperbaiki." if action.key == "kembalikan"
                          else "Catatan hasil pleno wajib diisi (masukan dan koreksi).")
    doc = current_document(report)
    if doc is None and action.key != "kembalikan":
        errors["version"] = "Belum ada versi dokumen. Kompilasi draf terlebih dahulu."
    details: dict[str, Any] = {}
    pleno_round = None
    if action.key == "catat_pleno":
        held = _parse_date(pleno_date, "pleno_date", "Tanggal rapat pleno", errors)
        if held is not None and held > today:
            errors["pleno_date"] = "Tanggal rapat pleno tidak boleh di masa depan."
        if held is not None:
            details["pleno_date"] = held.isoformat()
    if action.key == "tandatangani" and doc is not None:
        paraf = db.session.scalar(select(LkjReviewStep).where(LkjReviewStep.report_id == report.id,
                                                              LkjReviewStep.action == "paraf")
                                  .order_by(LkjReviewStep.id.desc()).limit(1))
        if paraf is None or paraf.document_id != doc.id:
            raise Conflict(f"Versi {doc.version} belum diparaf (ada kompilasi ulang setelah paraf). Kembalikan ke "
                           "paraf agar versi yang ditandatangani sama dengan yang diparaf.", code="lkj_not_initialled")
    if action.key == "kirim":
        sent = _parse_date(sent_date, "sent_date", "Tanggal pengiriman", errors)
        signed = signed_document(report)
        if sent is not None and sent > today:
            errors["sent_date"] = "Tanggal pengiriman tidak boleh di masa depan."
        elif sent is not None and signed is not None and signed.signed_at is not None and sent < _local_date(
                signed.signed_at):
            errors["sent_date"] = "Tanggal pengiriman tidak boleh sebelum tanggal tanda tangan."
        letter = (letter_number or "").strip()
        if not letter:
            errors["letter_number"] = "Nomor surat pengantar wajib diisi."
        elif len(letter) > 120:
            errors["letter_number"] = "Nomor surat maksimal 120 karakter."
        recipient = (sent_to or "").strip() or default_recipient()
        if len(recipient) > 200:
            errors["sent_to"] = "Tujuan maksimal 200 karakter."
        if sent is not None:
            details.update(sent_date=sent.isoformat(), letter_number=letter, sent_to=recipient)
    if errors:
        raise ValidationFailed(errors)

    if action.key == "catat_pleno":
        report.pleno_rounds += 1
        pleno_round = report.pleno_rounds
    elif action.key == "tandatangani":
        if final_file is not None and final_file[1]:
            key, sha, name, content_type, size = _store_upload(final_file[0], final_file[1], documents_only=True)
            doc.final_key, doc.final_sha256, doc.final_name = key, sha, name
            doc.final_content_type, doc.final_size = content_type, size
            details["final_sha256"] = sha
        doc.is_signed = True
        doc.signed_at = utcnow()
        doc.signed_by_id = actor.id
        report.signed_version = doc.version
        details.update(version=doc.version, pdf_sha256=doc.pdf_sha256, docx_sha256=doc.docx_sha256)
    elif action.key == "kirim":
        report.sent_date = date.fromisoformat(details["sent_date"])
        report.letter_number = details["letter_number"]
        report.sent_to = details["sent_to"]
    elif action.key == "arsipkan":
        report.archived_at = utcnow()
    report.status = target
    report.updated_at = utcnow()
    step = LkjReviewStep(report_id=report.id, document_id=doc.id if doc else None, step=before_status.value,
                         action=action.key, to_status=target.value, actor_id=actor.id, on_behalf_of=on_behalf_of,
                         note=note or None, pleno_round=pleno_round, details=details)
    db.session.add(step)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("LKj baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
                       code="lkj_changed") from None
    audit.record(f"lkj.{action.key}", report, actor=actor, on_behalf_of=on_behalf_of, note=note or None,
                 before={"status": before_status.value},
                 after={"status": target.value, "version": doc.version if doc else None, **details})
    _notify_next(report, step)
    return step


def _local_date(moment: datetime) -> date:
    from silabu.accounts.org import satker_timezone
    from silabu.core.clock import zone

    return as_utc(moment).astimezone(zone(satker_timezone())).date()


def _forbidden_message(report: LkjReport, action: Action) -> str:
    spec = report_spec(report.report_code)
    who = RETURN_WHO.get(report.status) if action.key == "kembalikan" else action.who
    return {
        "rendatin": "Langkah ini dilakukan oleh Sub Bagian Rendatin.",
        "corrector": f"Langkah ini dilakukan oleh {spec.corrector_label}.",
        "signer": f"{spec.title} ditandatangani oleh {spec.signer_label}.",
        "pleno": "Hasil pleno dicatat oleh Rendatin, Sekretaris atau Ketua.",
        "pleno_reviewer": "Pengembalian dari rapat pleno dilakukan oleh Sekretaris atau Ketua.",
    }.get(who or "", "Anda tidak berwenang melakukan langkah ini.")


def default_recipient() -> str:
    from silabu.accounts.org import default_satker

    satker = default_satker()
    if satker is not None and satker.level == "provinsi":
        return "Biro Perencanaan dan Inspektorat KPU RI"
    return "KPU Provinsi"


def users_for(report: LkjReport, who: str, on_date: date) -> list[User]:
    """People who can take the next step (to notify them)."""
    users = db.session.scalars(select(User).where(User.is_active_account.is_(True)).options(
        selectinload(User.role_rows)))
    return [u for u in users if _may(report, who, u, on_date)[0]]


def _notify_next(report: LkjReport, step: LkjReviewStep) -> None:
    from silabu.accounts.org import satker_timezone
    from silabu.notifications.services import notify

    who = {LkjStatus.DRAFT: "rendatin", LkjStatus.KOREKSI: "corrector", LkjStatus.PLENO: "pleno",
           LkjStatus.REVISI: "rendatin", LkjStatus.PARAF: "corrector", LkjStatus.TANDA_TANGAN: "signer",
           LkjStatus.DITANDATANGANI: "rendatin"}.get(report.status)
    if who is None:
        return
    spec = report_spec(report.report_code)
    today = local_today(satker_timezone())
    title = f"{spec.title} {report.year}: {report.status_label}"
    body = f"Langkah berikutnya menunggu Anda. {('Catatan: ' + step.note) if step.note else ''}".strip()
    for user in users_for(report, who, today):
        if user.id == step.actor_id:
            continue
        notify(user, "lkj", title, body, link=f"/lkj/{report.year}/{report.report_code}",
               key=f"lkj-step-{step.id}")


def history(report: LkjReport) -> list[LkjReviewStep]:
    return list(db.session.scalars(select(LkjReviewStep).where(LkjReviewStep.report_id == report.id)
                                   .options(selectinload(LkjReviewStep.actor), selectinload(LkjReviewStep.document))
                                   .order_by(LkjReviewStep.id)))


def step_label(step: LkjReviewStep) -> str:
    if step.action == "kompilasi":
        return f"Kompilasi versi {step.details.get('version', '')}".strip()
    if step.action == "catat_pleno":
        return f"Hasil rapat pleno ke-{step.pleno_round}"
    action = ACTIONS.get(step.action)
    if step.action == "kembalikan":
        return f"Dikembalikan ke tahap {LKJ_STATUS_LABELS[LkjStatus(step.to_status)].lower()}"
    return action.label if action else step.action


def can_view(user: User) -> bool:
    return user.has_role(*LKJ_VIEW_ROLES)


def sees_entries(user: User) -> bool:
    """Whether the trace lists the entries behind a figure, or only their count.

    The entries counted are those of the pleno packets, so they follow the packets' readers (Rendatin, the
    Sekretaris, the Ketua); a Kasubag reading the LKj sees the figures, not another unit's work, and the admin
    keeps settings, not the work.
    """
    from silabu.pleno.services import can_view as sees_packets

    return sees_packets(user)


def assert_can_view(user: User) -> None:
    if not can_view(user):
        raise Forbidden("Halaman LKj hanya untuk Rendatin, Kepala Sub Bagian, Sekretaris, Ketua dan Admin.")


def status_summary(year: int) -> list[dict[str, Any]]:
    """Per report of the year: its spec, report row (if any), indicator count."""
    out = []
    for code in report_codes(year):
        out.append({"spec": report_spec(code), "report": get_report(year, code),
                    "indicators": db.session.scalar(select(func.count(Indicator.id)).where(
                        Indicator.year == year, Indicator.report_code == code)) or 0})
    return out


def iter_years_for_index(today: date) -> list[int]:
    years = set(years_known())
    years.add(today.year)
    return sorted(years, reverse=True)

