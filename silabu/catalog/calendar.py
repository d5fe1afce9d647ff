"""Working days: Monday-Friday minus national holidays and the admin's cuti bersama/closures."""
from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select

from silabu.catalog.models import ClosureKind, OfficeDay
from silabu.extensions import db


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[date, str]:
    return dict(holidays.Indonesia(years=year, language="id"))


def suggested_cuti_bersama(year: int) -> dict[date, str]:
    """Cuti bersama the government announced, as the ``holidays`` package knows them (for the admin to adopt)."""
    gov = holidays.Indonesia(years=year, language="id", categories=("government",))
    return {d: n for d, n in gov.items()}


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
