"""The LKj side of the demo, from CSV files beside ``indicators.csv``: Rendatin's manual realisasi with their
evidence, last year's Perjanjian Kinerja, and the
finance export of pagu and realisasi anggaran (this year and last). Safe to run twice; every figure goes
through the same services the pages use."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlalchemy import select

from silabu.accounts.models import Role, User
from silabu.catalog.models import Indicator
from silabu.core.errors import ServiceError
from silabu.core.tables import read_table
from silabu.extensions import db


def _evidence_pdf(title: str, note: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from silabu.core import pdf

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont(pdf.fonts().regular, 12)
    page.drawString(72, 770, title)
    page.setFont(pdf.fonts().regular, 10)
    page.drawString(72, 750, note)
    page.drawString(72, 730, "Dokumen contoh data demo SILABU.")
    page.save()
    return out.getvalue()


def _manual(path: Path, year: int, rendatin: User, today: date) -> int:
    from silabu.lkj import services

    if not path.is_file():
        return 0
    indicators = {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.year == year))}
    saved = 0
    for row in read_table(path.name, path.read_bytes()).rows:
        indicator = indicators.get((row.get("indicator_code") or "").strip())
        if indicator is None:
            continue
        evidence = _evidence_pdf(indicator.name, row.get("note") or "")
        for month in range(1, 13):
            value = (row.get(f"m{month}") or "").strip()
            if not value or (year, month) >= (today.year, today.month):
                continue  # a month not yet over has no figure
            services.save_manual_realisasi(indicator, f"{year}-{month:02d}", value, row.get("note") or "Data demo",
                                           rendatin, today=today, filename=row.get("evidence") or "bukti.pdf",
                                           data=evidence)
            saved += 1
    return saved


def load_lkj_demo(folder: Path, today: date) -> str:
    """Fill the demo LKj of ``today.year`` (and last year's, to compare with); returns what it did."""
    rendatin = next((u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.RENDATIN)),
                    None)
    if rendatin is None:
        return ""
    year = today.year
    done: list[str] = []
    try:
        with db.session.begin_nested():
            done.append(_fill(folder, year, rendatin, today))
    except ServiceError as exc:  # e.g. a year already signed in this installation: leave it as it is
        done.append(f"LKj demo tidak diperbarui: {exc.message}")
    return " ".join(done)


def _fill(folder: Path, year: int, rendatin: User, today: date) -> str:
    from silabu.lkj import services
    from silabu.lkj.services import budget

    services.import_indicators(read_table("indicators.csv", (folder / "indicators.csv").read_bytes()).rows,
                               year - 1)
    db.session.flush()
    manual = _manual(folder / "lkj_manual.csv", year, rendatin, today)
    manual += _manual(folder / "lkj_manual_previous.csv", year - 1, rendatin, today)
    for name, budget_year in (("budget.csv", year), ("budget_previous.csv", year - 1)):
        path = folder / name
        if path.is_file():
            budget.import_budget_file(name, path.read_bytes(), budget_year, rendatin)
    return f"LKj: {manual} realisasi manual, anggaran {year - 1} dan {year}."
