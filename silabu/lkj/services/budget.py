"""Bab III B Realisasi Anggaran: pagu and realisasi per output code and year, imported as finance exports them
(CSV/XLSX from SAKTI/OM-SPAN), and the absorption (realisasi / pagu) per sasaran beside its capaian.

Every path (the CLI ``flask lkj import-budget``, the Rendatin page) imports here: the whole file is checked first
and a file with any bad row changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts.models import Role, User
from silabu.catalog.models import CodeLevel, OutputCode
from silabu.core import audit
from silabu.core.errors import ValidationFailed
from silabu.core.formatting import angka
from silabu.core.parsing import decimal_or_none, parse_year
from silabu.core.tables import read_table
from silabu.extensions import db
from silabu.lkj import capaian as calc
from silabu.lkj.models import BudgetLine
from silabu.lkj.services.reports import assert_open, report_codes

BUDGET_ROLES = (Role.RENDATIN, Role.ADMIN)
HISTORY_YEARS = 5
SHOWN_ERRORS = 10
# Column names as the finance exports spell them (lower-cased, spaces as underscores).
CODE_COLUMNS = ("output_code", "kode_output", "kode", "kode_ro", "kode_akun_output", "code")
PAGU_COLUMNS = ("pagu", "pagu_revisi", "pagu_dipa", "pagu_anggaran")
REALISASI_COLUMNS = ("realisasi", "realisasi_anggaran", "realisasi_belanja", "realisasi_sp2d")
NAME_COLUMNS = ("uraian", "nama", "keterangan", "name")
TOTAL_WORDS = ("jumlah", "total", "grand total", "sub total", "subtotal")


def _key(name: str) -> str:
    return "_".join(str(name or "").strip().lower().replace(".", " ").split())


def _pick(row: Mapping[str, str], names: Sequence[str]) -> str:
    for name in names:
        if name in row and str(row[name] or "").strip():
            return str(row[name]).strip()
    return ""


def parse_amount(value: Any) -> Decimal | None:
    """Rupiah as finance writes it: 1.234.567 / 1.234.567,00 / 1234567.00 / Rp 1.234.567; None when not a number."""
    text = str(value if value is not None else "").strip().replace("Rp", "").replace("rp", "").strip()
    if not text:
        return None
    if "," not in text and text.count(".") > 1:
        text = text.replace(".", "")
    elif "," not in text and "." in text and len(text.rsplit(".", 1)[1]) == 3:
        text = text.replace(".", "")  # 1.234 is a thousand and thirty-four rupiah, not one point two
    number = decimal_or_none(text)
    if number is None:
        return None
    return number


@dataclass
class BudgetImport:
    year: int
    lines: int
    pagu: Decimal
    realisasi: Decimal
    replaced: int


def import_budget(rows: Sequence[Mapping[str, str]], year: int, *, actor: User | None = None,
                  source_name: str | None = None, line_of=None) -> BudgetImport:
    """Replace the budget of ``year`` with the rows (code, pagu, realisasi); any bad row refuses the whole file."""
    year = parse_year(year)
    for code in report_codes(year):
        assert_open(year, code)
    line_of = line_of or (lambda index: index + 2)
    codes = {c.code: c for c in db.session.scalars(select(OutputCode))}
    errors: list[str] = []
    parsed: dict[int, tuple[OutputCode, Decimal, Decimal]] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        row = {_key(k): v for k, v in raw.items()}
        line = line_of(index)
        code_text = "".join(_pick(row, CODE_COLUMNS).split())
        pagu_text, real_text = _pick(row, PAGU_COLUMNS), _pick(row, REALISASI_COLUMNS)
        label = (_pick(row, NAME_COLUMNS) or code_text).strip().lower()
        if not code_text and not pagu_text and not real_text:
            continue
        if label.startswith(TOTAL_WORDS) or code_text.lower().startswith(TOTAL_WORDS):
            continue  # the export's own total line: SILABU sums the lines itself
        problems = []
        code = codes.get(code_text)
        if not code_text:
            problems.append("kode output kosong")
        elif code is None:
            problems.append(f"kode output {code_text} tidak ada di daftar kode output")
        elif code_text in seen:
            problems.append(f"kode output {code_text} sudah ada di baris {seen[code_text]}")
        pagu = parse_amount(pagu_text)
        real = parse_amount(real_text) if real_text else Decimal(0)
        if not pagu_text:
            problems.append("pagu kosong")
        elif pagu is None:
            problems.append(f"pagu '{pagu_text}' bukan angka")
        elif pagu < 0:
            problems.append("pagu tidak boleh negatif")
        if real is None:
            problems.append(f"realisasi '{real_text}' bukan angka")
        elif real < 0:
            problems.append("realisasi tidak boleh negatif")
        if not problems and real > pagu:
            problems.append(f"realisasi Rp{angka(real)} melebihi pagu Rp{angka(pagu)}")
        for value in (pagu, real):
            if value is not None and not problems and (abs(value) >= Decimal("1e16")
                                                       or value != value.quantize(Decimal("0.01"))):
                problems.append("angka terlalu besar atau lebih dari dua angka di belakang koma")
                break
        if problems:
            errors.append(f"Baris {line}: " + "; ".join(problems) + ".")
            continue
        seen[code_text] = line
        parsed[code.id] = (code, pagu, real)
    if errors:
        shown = errors[:SHOWN_ERRORS]
        more = f" (dan {len(errors) - SHOWN_ERRORS} baris lain)" if len(errors) > SHOWN_ERRORS else ""
        raise ValidationFailed({"file": " ".join(shown) + more + " Tidak ada data anggaran yang diubah."},
                               message=f"{len(errors)} baris anggaran ditolak; tidak ada data yang diubah.",
                               details={"rows": errors})
    if not parsed:
        raise ValidationFailed({"file": "Berkas tidak memuat baris anggaran (kolom kode output, pagu, realisasi)."})
    existing = list(db.session.scalars(select(BudgetLine).where(BudgetLine.year == year)))
    before = {"lines": len(existing), "pagu": str(sum((b.pagu for b in existing), Decimal(0))),
              "realisasi": str(sum((b.realisasi for b in existing), Decimal(0)))}
    for old in existing:
        db.session.delete(old)
    db.session.flush()
    for code, pagu, real in parsed.values():
        db.session.add(BudgetLine(year=year, output_code_id=code.id, pagu=pagu, realisasi=real,
                                  source_name=(source_name or "")[:255] or None,
                                  imported_by_id=getattr(actor, "id", None)))
    db.session.flush()
    total_pagu = sum((p for _, p, _ in parsed.values()), Decimal(0))
    total_real = sum((r for _, _, r in parsed.values()), Decimal(0))
    audit.record("lkj.budget.import", object_type="lkj_budget_lines", actor=actor, before=before,
                 after={"year": year, "lines": len(parsed), "pagu": str(total_pagu), "realisasi": str(total_real),
                        "source": source_name})
    return BudgetImport(year, len(parsed), total_pagu, total_real, len(existing))


def import_budget_file(filename: str, content: bytes, year: Any, actor: User | None = None) -> BudgetImport:
    """An uploaded finance export (CSV/XLSX) for ``year``; the file's own line numbers in the messages."""
    table = read_table(filename or "anggaran.csv", content)
    if not table.rows:
        raise ValidationFailed({"file": "Berkas tidak memuat baris data."})
    keys = {_key(k) for k in table.rows[0]}
    missing = [label for label, names in (("kode output", CODE_COLUMNS), ("pagu", PAGU_COLUMNS),
                                          ("realisasi", REALISASI_COLUMNS)) if not keys & set(names)]
    if missing:
        raise ValidationFailed({"file": f"Kolom {', '.join(missing)} tidak ada. Kolom yang dibaca: kode output "
                                        "(kode), pagu, realisasi."})
    return import_budget(table.rows, year, actor=actor, source_name=filename, line_of=table.line_of)


def budget_lines(year: int) -> list[BudgetLine]:
    return list(db.session.scalars(select(BudgetLine).join(OutputCode).where(BudgetLine.year == year)
                                   .options(selectinload(BudgetLine.output_code)).order_by(OutputCode.code)))


def absorption(pagu: Decimal | None, realisasi: Decimal | None) -> Decimal | None:
    """Penyerapan anggaran (%): realisasi / pagu × 100, two decimals; None without a pagu."""
    if pagu is None or realisasi is None or pagu == 0:
        return None
    return calc.round2(Decimal(realisasi) * 100 / Decimal(pagu))


def _program_of(code: OutputCode, by_id: Mapping[int, OutputCode]) -> OutputCode:
    current = code
    while current.level != CodeLevel.PROGRAM and current.parent_id is not None and current.parent_id in by_id:
        current = by_id[current.parent_id]
    return current


def _report_lines(lines: list[BudgetLine], sasaran_codes: Sequence[tuple[str, str, set[int]]],
                  closure: Mapping[int, set[int]], by_id: Mapping[int, OutputCode]) -> list[BudgetLine]:
    """The lines of the programmes the report's indicators are measured in (the Sekretariat's LKj: Dukungan
    Manajemen; the KPU's: Penyelenggaraan Pemilu); every line when none of its codes is mapped."""
    ro_ids = set().union(*(ids for _, _, ids in sasaran_codes)) if sasaran_codes else set()
    programs = {_program_of(b.output_code, by_id).id for b in lines
                if closure.get(b.output_code_id, {b.output_code_id}) & ro_ids}
    if not programs:
        return lines
    return [b for b in lines if _program_of(b.output_code, by_id).id in programs]


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def budget_snapshot(year: int, sasaran_codes: Iterable[tuple[str, str, set[int]]],
                    closure: Mapping[int, set[int]]) -> dict[str, Any]:
    """The budget as the document shows it: lines, totals, per programme, per sasaran, and the earlier years.

    ``sasaran_codes``: (sasaran code, sasaran, RO code ids its indicators count). A line counts for a sasaran when
    an RO it stands for is one of them."""
    sasaran_codes = list(sasaran_codes)
    by_id = {c.id: c for c in db.session.scalars(select(OutputCode))}
    lines = _report_lines(budget_lines(year), sasaran_codes, closure, by_id)
    total_pagu = sum((b.pagu for b in lines), Decimal(0))
    total_real = sum((b.realisasi for b in lines), Decimal(0))
    programs: dict[str, dict[str, Any]] = {}
    for b in lines:
        program = _program_of(b.output_code, by_id)
        item = programs.setdefault(program.code, {"code": program.code, "name": program.name, "pagu": Decimal(0),
                                                  "realisasi": Decimal(0)})
        item["pagu"] += b.pagu
        item["realisasi"] += b.realisasi
    sasaran = []
    for code, name, ro_ids in sasaran_codes:
        matched = [b for b in lines if closure.get(b.output_code_id, {b.output_code_id}) & ro_ids]
        pagu = sum((b.pagu for b in matched), Decimal(0)) if matched else None
        real = sum((b.realisasi for b in matched), Decimal(0)) if matched else None
        sasaran.append({"sasaran_code": code, "sasaran": name, "codes": [b.output_code.code for b in matched],
                        "pagu": _dec(pagu), "realisasi": _dec(real), "absorption": _dec(absorption(pagu, real))})
    history = []
    for earlier in range(year - HISTORY_YEARS, year):
        rows = _report_lines(budget_lines(earlier), sasaran_codes, closure, by_id)
        if rows:
            pagu = sum((b.pagu for b in rows), Decimal(0))
            real = sum((b.realisasi for b in rows), Decimal(0))
            history.append({"year": earlier, "pagu": str(pagu), "realisasi": str(real),
                            "absorption": _dec(absorption(pagu, real))})
    return {
        "lines": [{"code": b.output_code.code, "name": b.output_code.name, "level": b.output_code.level.value,
                   "pagu": str(b.pagu), "realisasi": str(b.realisasi),
                   "absorption": _dec(absorption(b.pagu, b.realisasi))} for b in lines],
        "total": {"pagu": str(total_pagu), "realisasi": str(total_real),
                  "absorption": _dec(absorption(total_pagu, total_real))} if lines else None,
        "programs": [{**p, "pagu": str(p["pagu"]), "realisasi": str(p["realisasi"]),
                      "absorption": _dec(absorption(p["pagu"], p["realisasi"]))} for p in programs.values()],
        "sasaran": sasaran,
        "history": history,
    }
