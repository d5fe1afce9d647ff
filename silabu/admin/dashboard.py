"""The numbers on the admin's home page."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from silabu.accounts.models import Unit
from silabu.accounts.org import user_counts_per_unit
from silabu.catalog.calendar import office_days, suggested_days
from silabu.catalog.models import CodeLevel, Indicator, OutputCode
from silabu.extensions import db


@dataclass
class Dashboard:
    units: list[Unit]
    users_per_unit: dict[int, dict[str, int]]
    users_active: int
    users_inactive: int
    codes_active: int
    codes_usable: int
    codes_total: int
    office_days_year: int
    cuti_bersama_pending: int
    indicators_year: int
    year: int


def dashboard(year: int) -> Dashboard:
    """The numbers on the admin home page."""
    per_unit = user_counts_per_unit()
    codes_active = db.session.scalar(select(func.count()).select_from(OutputCode)
                                     .where(OutputCode.is_active.is_(True))) or 0
    codes_usable = db.session.scalar(select(func.count()).select_from(OutputCode).where(
        and_(OutputCode.is_active.is_(True), OutputCode.level == CodeLevel.RO))) or 0
    codes_total = db.session.scalar(select(func.count()).select_from(OutputCode)) or 0
    indicators = db.session.scalar(select(func.count()).select_from(Indicator).where(Indicator.year == year)) or 0
    return Dashboard(
        units=list(db.session.scalars(select(Unit).order_by(Unit.code))), users_per_unit=per_unit,
        users_active=sum(v["active"] for v in per_unit.values()),
        users_inactive=sum(v["inactive"] for v in per_unit.values()),
        codes_active=codes_active, codes_usable=codes_usable, codes_total=codes_total,
        office_days_year=len(office_days(year)),
        cuti_bersama_pending=sum(1 for s in suggested_days(year) if s.set_as is None),
        indicators_year=indicators, year=year)
