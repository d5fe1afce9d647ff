"""The organisation: satker (with its timezone) and units."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from silabu.accounts.models import Satker, Unit, User
from silabu.core.clock import local_today
from silabu.extensions import db


def default_satker() -> Satker | None:
    return db.session.scalar(select(Satker).order_by(Satker.id).limit(1))


def satker_timezone(unit: Unit | None = None) -> str:
    """The timezone that decides "today" and "month end" for a unit (its satker's), else the configured one."""
    if unit is not None and unit.satker is not None:
        return unit.satker.timezone
    satker = default_satker()
    return satker.timezone if satker else current_app.config["SATKER_TIMEZONE"]


def today_for(user: User | None = None) -> date:
    return local_today(satker_timezone(user.unit if user is not None else None))


def units(active_only: bool = True) -> list[Unit]:
    q = select(Unit).order_by(Unit.code)
    if active_only:
        q = q.where(Unit.is_active.is_(True))
    return list(db.session.scalars(q))


def ensure_satker(code: str, name: str, timezone: str = "Asia/Jakarta", **extra: str) -> Satker:
    satker = db.session.scalar(select(Satker).where(Satker.code == code))
    if satker is None:
        satker = Satker(code=code, name=name, timezone=timezone, **extra)
        db.session.add(satker)
    else:
        satker.name, satker.timezone = name, timezone
        for k, v in extra.items():
            setattr(satker, k, v)
    db.session.flush()
    return satker


def ensure_unit(satker: Satker, code: str, name: str, parent_code: str | None = None) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    parent = db.session.scalar(select(Unit).where(Unit.code == parent_code)) if parent_code else None
    if unit is None:
        unit = Unit(satker_id=satker.id, code=code, name=name, parent_id=parent.id if parent else None)
        db.session.add(unit)
    else:
        unit.name, unit.parent_id = name, parent.id if parent else None
    db.session.flush()
    return unit
