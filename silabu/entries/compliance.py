"""Filled days and compliance (DOMAIN.md): one definition for the home page, the month page, the verification
queue, the Kasubag's softfile, the pleno packet and the reminders.

- The working days counted are those of the month up to and including ``until`` (today, for the month that
  is still running; the whole month once it is over).
- A working day is *filled* when it has at least one submitted-or-verified entry; compliance is filled days /
  working days. A day with only drafts or returned entries is started, not filled.
- A working day is *empty* when it has no entry at all: that is what the ASN still owes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, case

from silabu.catalog.calendar import MonthCalendar
from silabu.entries.models import Entry, EntryStatus

FILLED_STATUSES = (EntryStatus.SUBMITTED, EntryStatus.VERIFIED)


def working_days(cal: MonthCalendar, until: date | None = None) -> list[date]:
    """The month's working days up to ``until`` (all of them when ``until`` is None or after the month)."""
    return [d for d in cal.working_days if until is None or d <= until]


def compliance_pct(filled: int, working: int) -> float | None:
    """Filled days as a percentage of working days, two decimals; None for a month without working days yet."""
    return round(filled * 100 / working, 2) if working else None


@dataclass
class DayTally:
    """One person's month: which working days are filled, started, or still empty."""

    working: list[date]
    logged: set[date] = field(default_factory=set)
    filled: set[date] = field(default_factory=set)

    @property
    def working_days(self) -> int:
        return len(self.working)

    @property
    def filled_days(self) -> int:
        return sum(1 for d in self.working if d in self.filled)

    @property
    def empty_days(self) -> list[date]:
        return [d for d in self.working if d not in self.logged]

    @property
    def compliance(self) -> float | None:
        return compliance_pct(self.filled_days, self.working_days)


def tally(cal: MonthCalendar, until: date | None, days: Iterable[tuple[date, EntryStatus]]) -> DayTally:
    """The tally of (entry date, status) pairs of one person's month."""
    result = DayTally(working_days(cal, until))
    for day, status in days:
        result.logged.add(day)
        if status in FILLED_STATUSES:
            result.filled.add(day)
    return result


def filled_day_sql(cal: MonthCalendar, until: date | None = None) -> ColumnElement:
    """The entry's date when it fills a working day, else NULL: ``count(distinct ...)`` of it is the filled days."""
    days = working_days(cal, until)
    return case((and_(Entry.status.in_(FILLED_STATUSES), Entry.entry_date.in_(days) if days else Entry.id.is_(None)),
                 Entry.entry_date), else_=None)
