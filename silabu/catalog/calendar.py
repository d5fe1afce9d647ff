"""Working days: Monday-Friday minus national holidays and the admin's cuti bersama/closures."""
from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays
from sqlalchemy import delete, select

from silabu.catalog.models import ClosureKind, OfficeDay
from silabu.core import audit
from silabu.core.clock import YEAR_MAX, YEAR_MIN
from silabu.core.errors import NotFound, ValidationFailed
from silabu.core.parsing import parse_date
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import User


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[date, str]:
    return dict(holidays.Indonesia(years=year, language="id"))


def suggested_cuti_bersama(year: int) -> dict[date, str]:
    """Cuti bersama the government announced, as the ``holidays`` package knows them (for the admin to adopt)."""
    gov = holidays.Indonesia(years=year, language="id", categories=("government",))
    return dict(gov.items())


class MonthCalendar:
    """The working days of one month, with the reason a day is not one."""

    def __init__(self, year: int, month: int) -> None:
        self.year, self.month = year, month
        first = date(year, month, 1)
        last = date(year, month, _cal.monthrange(year, month)[1])
        self.first, self.last = first, last
        national = national_holidays(year)
        office = {o.day: o for o in db.session.scalars(
            select(OfficeDay).where(OfficeDay.day >= first, OfficeDay.day <= last))}
        self.off: dict[date, str] = {}
        day = first
        while day <= last:
            o = office.get(day)
            if o is not None and o.kind == ClosureKind.WORKDAY:
                pass
            elif o is not None:
                self.off[day] = o.name
            elif day in national:
                self.off[day] = national[day]
            elif day.weekday() >= 5:
                self.off[day] = "Akhir pekan"
            day += timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.last.day)]

    @property
    def working_days(self) -> list[date]:
        return [d for d in self.days if d not in self.off]

    def is_working_day(self, day: date) -> bool:
        return day not in self.off

    def reason(self, day: date) -> str | None:
        return self.off.get(day)

    @property
    def last_working_day(self) -> date | None:
        wd = self.working_days
        return wd[-1] if wd else None


def month_calendar(year: int, month: int) -> MonthCalendar:
    return MonthCalendar(year, month)


def is_working_day(day: date) -> bool:
    return MonthCalendar(day.year, day.month).is_working_day(day)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (start itself not counted)."""
    day, seen = start, 0
    cache: dict[tuple[int, int], MonthCalendar] = {}
    while seen < count:
        day += timedelta(days=1)
        key = (day.year, day.month)
        if key not in cache:
            cache[key] = MonthCalendar(*key)
        if cache[key].is_working_day(day):
            seen += 1
    return day


KIND_LABELS = {
    ClosureKind.CUTI_BERSAMA: "Cuti bersama",
    ClosureKind.CLOSURE: "Kantor tutup",
    ClosureKind.WORKDAY: "Hari kerja tambahan",
}


def set_office_day(day: date, kind: ClosureKind, name: str, *, actor: User | None = None) -> OfficeDay:
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


def remove_office_day(day: date, *, actor: User | None = None) -> None:
    row = db.session.scalar(select(OfficeDay).where(OfficeDay.day == day))
    if row is None:
        raise NotFound("Tanggal tersebut tidak ada dalam daftar.")
    audit.record("office_day.remove", row, actor=actor, before={"day": day, "kind": row.kind.value, "name": row.name})
    db.session.execute(delete(OfficeDay).where(OfficeDay.id == row.id))


def office_days(year: int) -> list[OfficeDay]:
    return list(db.session.scalars(select(OfficeDay).where(OfficeDay.day >= date(year, 1, 1),
                                                           OfficeDay.day <= date(year, 12, 31))
                                   .order_by(OfficeDay.day)))


def add_office_day(day_text: str, kind_text: str, name: str, *, actor: User) -> OfficeDay:
    """Set a cuti bersama, an office closure or an extra working day, refusing ones that change nothing."""
    errors: dict[str, str] = {}
    day = parse_date(day_text, "day", "Tanggal", errors)
    if day is not None and not YEAR_MIN <= day.year <= YEAR_MAX:
        errors["day"] = f"Tanggal harus antara tahun {YEAR_MIN} dan {YEAR_MAX}."
        day = None
    try:
        kind = ClosureKind((kind_text or "").strip())
    except ValueError:
        kind = None
        errors["kind"] = "Pilih jenis: cuti bersama, kantor tutup, atau hari kerja tambahan."
    name = (name or "").strip()
    if not name:
        errors["name"] = "Keterangan wajib diisi."
    elif len(name) > 200:
        errors["name"] = "Keterangan maksimal 200 karakter."
    if day is not None and kind is not None:
        holiday = national_holidays(day.year).get(day)
        off_anyway = day.weekday() >= 5 or holiday is not None
        if kind == ClosureKind.WORKDAY and not off_anyway:
            errors["kind"] = "Tanggal ini sudah hari kerja biasa; hari kerja tambahan hanya untuk akhir pekan atau libur."
        elif kind != ClosureKind.WORKDAY and holiday is not None:
            errors["day"] = f"Tanggal ini sudah libur nasional ({holiday})."
        elif kind != ClosureKind.WORKDAY and day.weekday() >= 5:
            errors["day"] = "Tanggal ini jatuh pada akhir pekan dan sudah bukan hari kerja."
    if errors:
        raise ValidationFailed(errors)
    return set_office_day(day, kind, name, actor=actor)


@dataclass
class SuggestedDay:
    day: date
    name: str
    set_as: OfficeDay | None


def suggested_days(year: int) -> list[SuggestedDay]:
    """The government's cuti bersama for ``year`` and whether each is already set."""
    existing = {o.day: o for o in office_days(year)}
    return [SuggestedDay(d, n, existing.get(d)) for d, n in sorted(suggested_cuti_bersama(year).items())]


def adopt_cuti_bersama(year: int, *, actor: User) -> list[OfficeDay]:
    """Adopt the government's cuti bersama of ``year`` for the days the admin has not set yet."""
    added = []
    for s in suggested_days(year):
        if s.set_as is None:
            added.append(set_office_day(s.day, ClosureKind.CUTI_BERSAMA, s.name, actor=actor))
    return added
