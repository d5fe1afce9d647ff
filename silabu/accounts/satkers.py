"""The satker tree: KPU RI -> KPU Provinsi -> KPU Kabupaten/Kota, each with its code, timezone and address.

Every change goes through one check of the whole tree as it would be afterwards (``_check_tree``): a parent the
installation knows, one level up (a kabupaten/kota under a provinsi, a provinsi under KPU RI, KPU RI under
nothing), no cycle, a timezone of Indonesia (WIB/WITA/WIT). ``flask create-satker`` adds one satker, ``flask
import-satker`` a file of them; a file with any bad row changes nothing.

Which satker a request, job or command works for, and the rule that keeps it to that satker's rows, is
``accounts.tenancy``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from silabu.accounts.models import SATKER_LEVEL_LABELS, Satker, SatkerLevel, User
from silabu.core import audit
from silabu.core.clock import LABEL_TIMEZONES, TIMEZONE_LABELS
from silabu.core.errors import ValidationFailed
from silabu.core.tables import Table
from silabu.extensions import db

LEVEL_WORDS = {
    "ri": SatkerLevel.RI, "kpu ri": SatkerLevel.RI, "pusat": SatkerLevel.RI,
    "provinsi": SatkerLevel.PROVINSI, "prov": SatkerLevel.PROVINSI,
    "kabkota": SatkerLevel.KABKOTA, "kabupaten/kota": SatkerLevel.KABKOTA, "kab/kota": SatkerLevel.KABKOTA,
    "kabupaten": SatkerLevel.KABKOTA, "kota": SatkerLevel.KABKOTA,
}
# The level a parent must have; KPU RI has no parent.
PARENT_LEVEL = {SatkerLevel.PROVINSI: SatkerLevel.RI, SatkerLevel.KABKOTA: SatkerLevel.PROVINSI}
CHILD_LEVEL = {SatkerLevel.RI: SatkerLevel.PROVINSI, SatkerLevel.PROVINSI: SatkerLevel.KABKOTA}
CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,19}")
COLUMNS = ("code", "name", "level", "parent_code", "timezone", "address", "city")
LIMITS = {"name": 200, "address": 400, "city": 100}


def parse_level(value: str | None) -> SatkerLevel | None:
    """``ri``, ``provinsi``, ``kabkota`` (also ``kabupaten``, ``kota``...), or None when not one of them."""
    return LEVEL_WORDS.get(" ".join((value or "").lower().split()))


def parse_timezone(value: str | None) -> str | None:
    """WIB/WITA/WIT or an Indonesian zone name -> the zone name (Asia/Jakarta...), or None when it is neither."""
    text = (value or "").strip()
    if text.upper() in LABEL_TIMEZONES:
        return LABEL_TIMEZONES[text.upper()]
    for name in TIMEZONE_LABELS:
        if text.lower() == name.lower():
            return name
    return None


def level_label(level: str) -> str:
    return SATKER_LEVEL_LABELS.get(level, level)  # type: ignore[call-overload]


TIMEZONE_HELP = "isi WIB, WITA atau WIT (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"


@dataclass
class _Planned:
    """A satker as it will be: its values after the change, and the file line it came from (0: the CLI)."""

    code: str
    name: str
    level: str
    parent_code: str | None
    timezone: str
    address: str | None
    city: str | None
    line: int = 0
    existing: Satker | None = None


@dataclass
class SatkerImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def create_satker(*, code: str, name: str, level: str | None = None, parent_code: str | None = None,
                  timezone: str | None = None, address: str = "", city: str = "", actor: User | None = None) -> Satker:
    """Add one satker to the tree. Without ``level`` it is one level below its parent (a kabupaten/kota without
    one); without ``timezone`` it takes its parent's (else the configured one)."""
    row = {"code": code, "name": name, "level": level or "", "parent_code": parent_code or "",
           "timezone": timezone or "", "address": address, "city": city}
    existing = _existing()
    planned, problems = _plan_row(row, 0, existing, {})
    if not problems and planned is not None and planned.existing is not None:
        problems.append(f"kode satker {planned.code} sudah dipakai ({planned.existing.name}); "
                        "untuk mengubahnya gunakan import-satker")
    if not problems and planned is not None:
        problems.extend(message for _line, message in _check_tree({planned.code: planned}, existing))
    if problems:
        raise ValidationFailed({"satker": "; ".join(problems)})
    assert planned is not None
    return _apply([planned], existing, actor)[0][0]


def import_satkers(table: Table | list[dict[str, str]], *, actor: User | None = None) -> SatkerImportReport:
    """Create or update the satker of a CSV/XLSX (code, name, level, parent_code, timezone, address, city).

    The whole file is checked first, against the tree it would make; with any bad row nothing changes and the
    report lists every row's problems. A column left out of the file keeps the stored values; a parent may come
    later in the file than its children.
    """
    if isinstance(table, list):
        table = Table(rows=table, lines=[i + 2 for i in range(len(table))])
    report = SatkerImportReport()
    if not table.rows:
        report.errors.append((1, "Berkas tidak berisi baris data (baris pertama harus judul kolom)."))
        return report
    present = set().union(*(r.keys() for r in table.rows))
    missing = [c for c in ("code", "name") if c not in present]
    if missing:
        report.errors.append((1, "Kolom wajib tidak ditemukan: " + ", ".join(missing) + ". Periksa baris judul kolom."))
        return report
    existing = _existing()
    planned: dict[str, _Planned] = {}
    broken: set[str] = set()  # codes of rows with problems of their own: their children are not also blamed
    rows = [(table.line_of(i), row) for i, row in enumerate(table.rows)
            if any((v or "").strip() for v in row.values())]
    # Parents first where the file has them, so a child's default level and timezone can follow its parent's.
    for line, row in sorted(rows, key=lambda r: _depth_hint(r[1], {x[1].get("code", "").strip().upper(): x[1]
                                                                    for x in rows})):
        item, problems = _plan_row(row, line, existing, planned)
        if item is not None and item.code in planned:
            problems.append(f"kode {item.code} sudah ada di baris {planned[item.code].line}")
        report.errors.extend((line, p) for p in problems)
        if item is not None and not problems:
            planned[item.code] = item
        elif item is not None:
            broken.add(item.code)
    report.errors.extend(_check_tree(planned, existing, broken - set(planned)))
    if report.errors:
        report.errors.sort()
        return report
    for satker, created in _apply(sorted(planned.values(), key=lambda p: p.line), existing, actor):
        (report.created if created else report.updated).append(satker.code)
    return report


def _depth_hint(row: dict[str, str], by_code: dict[str, dict[str, str]]) -> int:
    """How many ancestors a row has within the file (bounded, so a cycle cannot loop)."""
    depth, seen = 0, set()
    parent = (row.get("parent_code") or "").strip().upper()
    while parent and parent in by_code and parent not in seen and depth < 10:
        seen.add(parent)
        depth += 1
        parent = (by_code[parent].get("parent_code") or "").strip().upper()
    return depth


def _existing() -> dict[str, Satker]:
    return {s.code: s for s in db.session.scalars(select(Satker))}


def _level_of(code: str | None, existing: dict[str, Satker], planned: dict[str, _Planned]) -> str | None:
    if not code:
        return None
    if code in planned:
        return planned[code].level
    return existing[code].level if code in existing else None


def _plan_row(row: dict[str, Any], line: int, existing: dict[str, Satker],
              planned: dict[str, _Planned]) -> tuple[_Planned | None, list[str]]:
    """One row's values as they will be, with the problems of the row itself (the tree is checked later)."""
    def value(key: str) -> str | None:
        return " ".join(str(row[key]).split()) if key in row and row[key] is not None else None

    problems: list[str] = []
    code = (value("code") or "").upper()
    if not code:
        return None, ["kode satker wajib diisi"]
    if not CODE_RE.fullmatch(code):
        problems.append(f"kode satker {code!r} tidak valid: 1–20 huruf besar/angka (boleh . _ -), mis. 3319")
    current = existing.get(code)
    name = value("name") or ""
    if not name:
        problems.append("nama satker wajib diisi")
    for key, limit in LIMITS.items():
        text = value(key)
        if text and len(text) > limit:
            problems.append(f"{key} paling panjang {limit} karakter")

    parent_code = (value("parent_code") or "").upper() or None
    if parent_code is None and "parent_code" not in row and current is not None:
        parent_code = current.parent_code

    raw_level = value("level")
    level: str | None
    if raw_level:
        level = parse_level(raw_level)
        if level is None:
            problems.append(f"tingkat {raw_level!r} tidak dikenal: isi ri, provinsi atau kabkota")
    elif current is not None:
        level = current.level
    else:
        parent_level = _level_of(parent_code, existing, planned)
        level = CHILD_LEVEL.get(parent_level, SatkerLevel.KABKOTA) if parent_level else SatkerLevel.KABKOTA  # type: ignore[arg-type]

    raw_tz = value("timezone")
    timezone: str | None
    if raw_tz:
        timezone = parse_timezone(raw_tz)
        if timezone is None:
            problems.append(f"zona waktu {raw_tz!r} tidak dikenal: {TIMEZONE_HELP}")
    elif current is not None:
        timezone = current.timezone
    else:
        parent = planned.get(parent_code or "") or existing.get(parent_code or "")
        timezone = parent.timezone if parent is not None else current_app.config["SATKER_TIMEZONE"]
    if problems:
        return _Planned(code, name, "", parent_code, "", None, None, line, current), problems
    return _Planned(code, name, str(level), parent_code, str(timezone), value("address"), value("city"), line,
                    current), []


def _check_tree(planned: dict[str, _Planned], existing: dict[str, Satker],
                broken: set[str] | frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """Problems of the tree as it would be after ``planned``: unknown parents, a parent of the wrong level,
    cycles. A stored satker under a changed one is checked too, its problem shown on the changed one's row.
    A parent in ``broken`` (a row refused for its own problems) is not judged again through its children."""
    parent_of = {code: s.parent_code for code, s in existing.items()}
    level_of = {code: s.level for code, s in existing.items()}
    for code, p in planned.items():
        parent_of[code], level_of[code] = p.parent_code, p.level
    errors: list[tuple[int, str]] = []
    to_check = set(planned) | {code for code, parent in parent_of.items() if parent in planned}
    for code in sorted(to_check):
        line = planned[code].line if code in planned else planned[parent_of[code]].line  # type: ignore[index]
        where = "" if code in planned else f"satker {code} di bawahnya: "
        parent, level = parent_of[code], level_of[code]
        if parent is None:
            continue
        if parent in broken:
            continue
        if parent == code:
            errors.append((line, f"{where}satker tidak dapat menjadi induk dirinya sendiri"))
            continue
        if parent not in level_of:
            errors.append((line, f"{where}satker induk {parent} tidak dikenal (tidak ada di berkas maupun di "
                                 "basis data)"))
            continue
        chain, node = [code], parent
        while node is not None and node not in chain:
            chain.append(node)
            node = parent_of.get(node)
        if node is not None:
            loop = chain[chain.index(node):] + [node]
            errors.append((line, f"{where}satker induk membentuk lingkaran: {' → '.join(loop)}"))
            continue
        wanted = PARENT_LEVEL.get(level)  # type: ignore[call-overload]
        if wanted is None:
            errors.append((line, f"{where}{level_label(level)} tidak berinduk ke satker lain; kosongkan parent_code"))
        elif level_of[parent] != wanted:
            errors.append((line, f"{where}{level_label(level)} harus berinduk ke {level_label(wanted)}, sedangkan "
                                 f"{parent} adalah {level_label(level_of[parent])}"))
    return errors


def _snapshot(s: Satker) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "level": s.level, "parent_code": s.parent_code, "timezone": s.timezone,
            "address": s.address, "city": s.city}


def _apply(planned: list[_Planned], existing: dict[str, Satker], actor: User | None) -> list[tuple[Satker, bool]]:
    """Write the checked plan: rows first, then the parent links (a parent may be new too). Flushes."""
    done: list[tuple[Satker, bool, dict[str, Any] | None]] = []
    by_code = dict(existing)
    for p in planned:
        satker = p.existing
        before = _snapshot(satker) if satker is not None else None
        if satker is None:
            satker = Satker(code=p.code, name=p.name, level=p.level, timezone=p.timezone,
                            address=p.address or "", city=p.city or "")
            db.session.add(satker)
        else:
            satker.name, satker.level, satker.timezone = p.name, p.level, p.timezone
            if p.address is not None:
                satker.address = p.address
            if p.city is not None:
                satker.city = p.city
        by_code[p.code] = satker
        done.append((satker, before is None, before))
    db.session.flush()
    for p in planned:
        satker = by_code[p.code]
        satker.parent = by_code[p.parent_code] if p.parent_code else None
    db.session.flush()
    for satker, created, before in done:
        after = _snapshot(satker)
        if created:
            audit.record("satker.create", satker, actor=actor, after=after)
        elif before != after:
            audit.record("satker.update", satker, actor=actor, before=before, after=after)
    return [(s, created) for s, created, _ in done]
