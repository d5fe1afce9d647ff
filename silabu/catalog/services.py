"""Catalogue rules: importing and finding output codes, favourites, office days, indicators."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, or_, select

from silabu.catalog.models import (CODE_LEVELS, ClosureKind, Consolidation, FavoriteCode, Indicator, OfficeDay,
                                   OutputCode, Polarity)
from silabu.core import audit
from silabu.core.errors import NotFound, ValidationFailed
from silabu.extensions import db


@dataclass
class CatalogImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _level_for(code: str, given: str) -> str:
    given = (given or "").strip().lower()
    if given in CODE_LEVELS.values():
        return given
    return CODE_LEVELS.get(code.count(".") + 1, "ro")


def import_output_codes(rows: list[dict[str, str]], *, actor=None) -> CatalogImportReport:  # noqa: ANN001
    """Create or update codes from rows with ``code,name[,default_unit,level]`` (an RKA/DIPA paste)."""
    report = CatalogImportReport()
    seen: dict[str, OutputCode] = {c.code: c for c in db.session.scalars(select(OutputCode))}
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or row.get("kode") or "").strip().strip(".")
        name = (row.get("name") or row.get("nama") or row.get("uraian") or "").strip()
        if not code or not name:
            report.errors.append((number, "kode dan nama wajib diisi"))
            continue
        parts = code.split(".")
        if len(parts) < 3 or any(not p or not p.replace("-", "").isalnum() for p in parts) or len(code) > 60:
            report.errors.append((number, f"kode '{code}' bukan format Program.Kegiatan.KRO.RO"))
            continue
        values = dict(name=name[:300], default_unit=(row.get("default_unit") or row.get("satuan") or "").strip()[:50],
                      level=_level_for(code, row.get("level", "")))
        existing = seen.get(code)
        if existing is None:
            existing = OutputCode(code=code, **values)
            db.session.add(existing)
            seen[code] = existing
            report.created += 1
        else:
            for k, v in values.items():
                setattr(existing, k, v)
            existing.is_active = True
            report.updated += 1
    db.session.flush()
    for code, oc in seen.items():
        parent_code = code.rsplit(".", 1)[0]
        parent = seen.get(parent_code)
        oc.parent_id = parent.id if parent is not None else None
    audit.record("output_codes.import", object_type="output_codes", actor=actor,
                 after={"created": report.created, "updated": report.updated, "errors": len(report.errors)})
    return report


def usable_codes_query():  # noqa: ANN201
    return select(OutputCode).where(OutputCode.is_active.is_(True), OutputCode.level == "ro")


def search_codes(q: str | None = None, limit: int = 50) -> list[OutputCode]:
    query = usable_codes_query()
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(OutputCode.code).like(like), func.lower(OutputCode.name).like(like)))
    return list(db.session.scalars(query.order_by(OutputCode.code).limit(limit)))


def get_usable_code(code: str) -> OutputCode:
    oc = db.session.scalar(select(OutputCode).where(OutputCode.code == (code or "").strip()))
    if oc is None:
        raise ValidationFailed({"output_code": "Kode output tidak dikenal."})
    if not oc.is_active:
        raise ValidationFailed({"output_code": "Kode output sudah tidak aktif."})
    if oc.level != "ro":
        raise ValidationFailed({"output_code": "Pilih kode sampai tingkat RO (mis. 076.01.WA.4499.EBA.962)."})
    return oc


def codes_for_user(user_id: int, limit_recent: int = 8) -> tuple[list[OutputCode], list[OutputCode], list[OutputCode]]:
    """(favourites, recently used, all usable) — the entry form lists them in that order."""
    from silabu.entries.models import Entry

    favourites = list(db.session.scalars(usable_codes_query().join(FavoriteCode, FavoriteCode.output_code_id == OutputCode.id)
                                         .where(FavoriteCode.user_id == user_id).order_by(OutputCode.code)))
    recent_ids = db.session.execute(
        select(Entry.output_code_id, func.max(Entry.id).label("last")).where(Entry.user_id == user_id)
        .group_by(Entry.output_code_id).order_by(func.max(Entry.id).desc()).limit(limit_recent)).all()
    by_id = {c.id: c for c in db.session.scalars(usable_codes_query().order_by(OutputCode.code))}
    recent = [by_id[r[0]] for r in recent_ids if r[0] in by_id]
    return favourites, recent, list(by_id.values())


def toggle_favorite(user_id: int, output_code_id: int) -> bool:
    row = db.session.scalar(select(FavoriteCode).where(FavoriteCode.user_id == user_id,
                                                       FavoriteCode.output_code_id == output_code_id))
    if row is not None:
        db.session.delete(row)
        return False
    if db.session.get(OutputCode, output_code_id) is None:
        raise NotFound("Kode output tidak ditemukan.")
    db.session.add(FavoriteCode(user_id=user_id, output_code_id=output_code_id))
    return True


def set_office_day(day: date, kind: ClosureKind, name: str, *, actor=None) -> OfficeDay:  # noqa: ANN001
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "Keterangan wajib diisi."})
    row = db.session.scalar(select(OfficeDay).where(OfficeDay.day == day))
    before = {"kind": row.kind.value, "name": row.name} if row else None
    if row is None:
        row = OfficeDay(day=day, kind=kind, name=name[:200], created_by_id=getattr(actor, "id", None))
        db.session.add(row)
    else:
        row.kind, row.name = kind, name[:200]
    db.session.flush()
    audit.record("office_day.set", row, actor=actor, before=before, after={"day": day, "kind": kind.value, "name": name})
    return row


def remove_office_day(day: date, *, actor=None) -> None:  # noqa: ANN001
    row = db.session.scalar(select(OfficeDay).where(OfficeDay.day == day))
    if row is None:
        raise NotFound("Tanggal tersebut tidak ada dalam daftar.")
    audit.record("office_day.remove", row, actor=actor, before={"day": day, "kind": row.kind.value, "name": row.name})
    db.session.execute(delete(OfficeDay).where(OfficeDay.id == row.id))


def import_indicators(rows: list[dict[str, str]], year: int, *, actor=None) -> CatalogImportReport:  # noqa: ANN001
    """Create or update the Perjanjian Kinerja of ``year`` from rows shaped like ``indicators.csv``."""
    report = CatalogImportReport()
    for number, row in enumerate(rows, start=2):
        try:
            target = Decimal((row.get("target_year") or "").replace(",", "."))
        except InvalidOperation:
            report.errors.append((number, "target_year bukan angka"))
            continue
        try:
            polarity = Polarity((row.get("polarity") or "+").strip())
            consolidation = Consolidation((row.get("consolidation") or "sum").strip().lower())
        except ValueError:
            report.errors.append((number, "polarity harus + atau -, consolidation sum/last/avg"))
            continue
        code = (row.get("indicator_code") or "").strip()
        report_code = (row.get("report") or "").strip().upper()
        if not code or not report_code or not row.get("indicator"):
            report.errors.append((number, "report, indicator_code dan indicator wajib diisi"))
            continue
        oc_code = (row.get("output_code") or "").strip()
        oc = db.session.scalar(select(OutputCode).where(OutputCode.code == oc_code)) if oc_code else None
        if oc_code and oc is None:
            report.errors.append((number, f"kode output {oc_code} tidak ada di katalog"))
            continue
        ind = db.session.scalar(select(Indicator).where(Indicator.year == year, Indicator.report_code == report_code,
                                                        Indicator.code == code))
        values = dict(sasaran_code=(row.get("sasaran_code") or "").strip(), sasaran=(row.get("sasaran") or "").strip(),
                      name=row["indicator"].strip(), unit=(row.get("unit") or "").strip(), target_year=target,
                      polarity=polarity, consolidation=consolidation, output_code_id=oc.id if oc else None,
                      position=number)
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
