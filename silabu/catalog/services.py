"""Catalogue rules: importing and finding output codes, favourites, office days, indicators."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select

from silabu.catalog.models import (
    CODE_LEVELS,
    CodeLevel,
    FavoriteCode,
    OutputCode,
)
from silabu.core import audit
from silabu.core.errors import NotFound, ValidationFailed
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import User


@dataclass
class CatalogImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _level_for(code: str, given: str) -> str:
    given = (given or "").strip().lower()
    if given in CODE_LEVELS.values():
        return given
    return CODE_LEVELS.get(code.count(".") + 1, CodeLevel.RO)


def import_output_codes(rows: list[dict[str, str]], *, actor: User | None = None) -> CatalogImportReport:
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


def usable_codes_query():
    return select(OutputCode).where(OutputCode.is_active.is_(True), OutputCode.level == CodeLevel.RO)


def search_codes(q: str | None = None, limit: int = 50) -> list[OutputCode]:
    query = usable_codes_query()
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(OutputCode.code).like(like), func.lower(OutputCode.name).like(like)))
    return list(db.session.scalars(query.order_by(OutputCode.code).limit(limit)))


def get_usable_code(code: str) -> OutputCode:
    from silabu.accounts.tenancy import current_satker_id

    return check_usable(db.session.scalar(select(OutputCode).where(OutputCode.code == (code or "").strip(),
                                                                   OutputCode.satker_id == current_satker_id())))


def check_usable(oc: OutputCode | None) -> OutputCode:
    """An output code an entry may be logged under: known, active, at RO level."""
    if oc is None:
        raise ValidationFailed({"output_code": "Kode output tidak dikenal."})
    if not oc.is_active:
        raise ValidationFailed({"output_code": "Kode output sudah tidak aktif."})
    if oc.level != CodeLevel.RO:
        raise ValidationFailed({"output_code": "Pilih kode sampai tingkat RO (mis. 076.01.WA.4499.EBA.962)."})
    return oc


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


LEVEL_LABELS = {"program": "Program", "kegiatan": "Kegiatan", "kro": "KRO", "ro": "RO"}
PASTE_MAX_LINES = 5000


def get_output_code(code_id: int) -> OutputCode:
    oc = db.session.get(OutputCode, code_id)
    if oc is None:
        raise NotFound("Kode output tidak ditemukan.")
    return oc


def list_output_codes(q: str = "", active: str = "") -> list[OutputCode]:
    """The catalogue in code order (so parents precede their children), optionally searched and filtered."""
    query = select(OutputCode)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(OutputCode.code).like(like), func.lower(OutputCode.name).like(like)))
    if active == "1":
        query = query.where(OutputCode.is_active.is_(True))
    elif active == "0":
        query = query.where(OutputCode.is_active.is_(False))
    return list(db.session.scalars(query.order_by(OutputCode.code)))


def update_output_code(oc: OutputCode, *, name: str, default_unit: str, actor: User) -> OutputCode:
    """Rename a code or change its usual unit of measure (entries keep their own recorded unit)."""
    name, default_unit = (name or "").strip(), (default_unit or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Nama kode output wajib diisi."
    elif len(name) > 300:
        errors["name"] = "Nama maksimal 300 karakter."
    if len(default_unit) > 50:
        errors["default_unit"] = "Satuan maksimal 50 karakter."
    if errors:
        raise ValidationFailed(errors)
    before = {"name": oc.name, "default_unit": oc.default_unit}
    oc.name, oc.default_unit = name, default_unit
    db.session.flush()
    audit.record("output_code.update", oc, actor=actor, before=before, after={"name": name, "default_unit": default_unit})
    return oc


def set_output_code_active(oc: OutputCode, active: bool, *, actor: User) -> int:
    """(De)activate a code. Deactivating also deactivates the codes under it; existing entries keep theirs.
    Returns how many codes changed."""
    targets = [oc]
    if not active:
        targets += list(db.session.scalars(select(OutputCode).where(OutputCode.code.like(oc.code + ".%"),
                                                                    OutputCode.is_active.is_(True))))
    changed = [t for t in targets if t.is_active != active]
    for t in changed:
        t.is_active = active
    db.session.flush()
    audit.record("output_code.activate" if active else "output_code.deactivate", oc, actor=actor,
                 before={"is_active": not active}, after={"is_active": active, "codes": [t.code for t in changed]})
    return len(changed)


CODE_LIKE = re.compile(r"^\d[\w-]*(\.[\w-]+)+$")
HEADER_WORDS = {"code", "kode", "kode output", "kode_output", "kode kegiatan", "no", "kd"}


def _split_paste_line(line: str) -> list[str]:
    if "\t" in line:
        parts = line.split("\t")
    elif ";" in line:
        parts = next(csv.reader([line], delimiter=";"))
    elif "," in line:
        parts = next(csv.reader([line], delimiter=","))
    else:
        # No separator: "076.01.WA.4499.EBA.962 Layanan Umum" as copied from a PDF.
        parts = line.strip().split(None, 1)
        if not CODE_LIKE.match(parts[0]):
            return [line.strip()]
    parts = [p.strip().strip('"').strip() for p in parts]
    while parts and not parts[-1]:
        parts.pop()
    return parts


def parse_code_paste(text: str) -> tuple[list[dict[str, str]], list[int], list[tuple[int, str]]]:
    """Lines ``code<TAB|;|,>name[<sep>default_unit[<sep>level]]`` -> rows for ``import_output_codes``,
    the text line of each row, and the lines that could not be read."""
    rows: list[dict[str, str]] = []
    line_numbers: list[int] = []
    errors: list[tuple[int, str]] = []
    first = True
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = _split_paste_line(raw)
        if first:
            first = False
            if parts and parts[0].strip().lower() in HEADER_WORDS:
                continue
        if len(parts) < 2:
            errors.append((number, "tidak ada pemisah antara kode dan nama (gunakan TAB, titik koma atau koma)"))
            continue
        level = ""
        if len(parts) == 4 and parts[3].lower() in CODE_LEVELS.values():
            level = parts.pop().lower()
        if len(parts) > 3:
            errors.append((number, "terlalu banyak kolom; format: kode, nama, satuan (beri tanda kutip pada nama "
                                   "yang mengandung koma, atau pisahkan dengan TAB)"))
            continue
        code = re.sub(r"\s*\.\s*", ".", parts[0]).upper()
        rows.append({"code": code, "name": parts[1], "default_unit": parts[2] if len(parts) > 2 else "",
                     "level": level})
        line_numbers.append(number)
    return rows, line_numbers, errors


def import_output_code_text(text: str, *, actor: User) -> CatalogImportReport:
    """Import a pasted RKA/DIPA list; errors carry the pasted text's line numbers."""
    if not (text or "").strip():
        raise ValidationFailed({"text": "Tempelkan daftar kode output terlebih dahulu."})
    if len(text.splitlines()) > PASTE_MAX_LINES:
        raise ValidationFailed({"text": f"Paling banyak {PASTE_MAX_LINES} baris sekali tempel."})
    rows, line_numbers, errors = parse_code_paste(text)
    if not rows:
        first = errors[0] if errors else (1, "tidak ada baris kode")
        raise ValidationFailed({"text": f"Tidak ada baris yang dapat dibaca (baris {first[0]}: {first[1]})."})
    report = import_output_codes(rows, actor=actor)
    # import_output_codes numbers rows as file lines (first data row = 2); map them back to the pasted lines.
    report.errors = sorted(errors + [(line_numbers[n - 2], msg) for n, msg in report.errors])
    return report
