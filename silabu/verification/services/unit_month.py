"""Closing and reopening a unit-month, and its verification window (SOP Kudus step 3).

- A unit-month can be closed from its last working day on, when nothing is left submitted; closing locks every
  entry of the unit-month (``entries.months``), reopening (with a reason) unlocks them.
- The window runs from the month's last working day to ``VERIFICATION_WINDOW_DAYS`` working days after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from silabu.accounts.delegation import on_behalf_of
from silabu.accounts.models import Unit, User
from silabu.accounts.org import today_for
from silabu.catalog.calendar import MonthCalendar, add_working_days
from silabu.core import audit
from silabu.core.clock import parse_period, period_of, previous_period, utcnow
from silabu.core.errors import Conflict, ValidationFailed
from silabu.core.formatting import bulan, tanggal
from silabu.core.parsing import parse_month
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.entries.months import (
    get_or_create_unit_month,
    get_unit_month,
    month_is_closed,
)
from silabu.extensions import db
from silabu.verification.services.access import assert_may_close, assert_may_reopen

REOPEN_REASON_MAX = 1000
STATUS_KEYS = ("submitted", "verified", "returned", "draft")


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(STATUS_KEYS, 0) | {"total": 0}


def verification_window(period: str) -> tuple[date, date]:
    """(opens, closes): from the month's last working day to N working days after it (VERIFICATION_WINDOW_DAYS)."""
    year, month = parse_period(parse_month(period))
    cal = MonthCalendar(year, month)
    opens = cal.last_working_day or cal.last
    days = int(current_app.config.get("VERIFICATION_WINDOW_DAYS", 3))
    return opens, add_working_days(opens, days) if days > 0 else opens


def default_period(today: date) -> str:
    """The month a verifier works on today: this month once its window opened, else the previous one."""
    current = period_of(today)
    return current if today >= verification_window(current)[0] else previous_period(current)


def unit_counts(unit_id: int, period: str) -> dict[str, int]:
    """Entries of a unit-month by status."""
    counts = zero_counts()
    for status, n in db.session.execute(select(Entry.status, func.count(Entry.id)).where(
            Entry.unit_id == unit_id, Entry.period == period).group_by(Entry.status)):
        counts[status.value] = n
        counts["total"] += n
    return counts


@dataclass
class CloseReport:
    """What closing left behind: returned entries and drafts never submitted, per ASN."""

    unit_month: UnitMonth
    counts: dict[str, int]
    unsubmitted: list[tuple[User, int]] = field(default_factory=list)
    returned: list[tuple[User, int]] = field(default_factory=list)


def _waiting_conflict(waiting: int) -> Conflict:
    return Conflict(f"Masih ada {waiting} entri yang menunggu verifikasi; verifikasi atau kembalikan dahulu "
                    "sebelum menutup bulan.", code="entries_waiting", details={"submitted": waiting})


def close_month(unit: Unit, period: str, actor: User, *, on_date: date | None = None) -> UnitMonth:
    """Close the unit-month: nothing may be left submitted; every entry of it is locked."""
    today = on_date or today_for(actor)
    assert_may_close(actor, unit, today)
    parse_month(period)
    opens, _closes = verification_window(period)
    if today < opens:
        raise Conflict(f"Bulan {bulan(period)} belum dapat ditutup sebelum hari kerja terakhirnya "
                       f"({tanggal(opens)}).", code="too_early")
    if month_is_closed(unit.id, period):
        raise Conflict(f"Bulan {bulan(period)} unit ini sudah ditutup.", code="month_closed")
    waiting = unit_counts(unit.id, period)["submitted"]
    if waiting:
        raise _waiting_conflict(waiting)
    um = get_or_create_unit_month(unit.id, period)
    behalf = on_behalf_of(actor, unit, today)
    with db.session.begin_nested():
        _switch_unit_month(um, closing=True, is_closed=True, closed_at=utcnow(), closed_by_id=actor.id,
                           closed_on_behalf_of=behalf)
        _bump_versions(unit, period)
        # Counted again after the update holds the rows: a submit that slipped in between is caught here.
        waiting = unit_counts(unit.id, period)["submitted"]
        if waiting:
            raise _waiting_conflict(waiting)
    db.session.refresh(um)
    counts = unit_counts(unit.id, period)
    audit.record("unit_month.close", um, actor=actor, before={"is_closed": False}, on_behalf_of=um.closed_on_behalf_of,
                 after={"is_closed": True, "unit": unit.code, "period": period, **counts})
    return um


def _bump_versions(unit: Unit, period: str) -> None:
    """A verifier or ASN holding an older copy of an entry of the month now gets a conflict."""
    db.session.execute(update(Entry).where(Entry.unit_id == unit.id, Entry.period == period)
                       .values(version=Entry.version + 1).execution_options(synchronize_session="fetch"))


def _switch_unit_month(um: UnitMonth, *, closing: bool, **values: Any) -> None:
    """Close or reopen with a conditional UPDATE: of two people doing it at once, the second gets a Conflict."""
    result = db.session.execute(update(UnitMonth).where(UnitMonth.id == um.id, UnitMonth.is_closed.is_(not closing))
                                .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(f"Bulan {bulan(um.period)} unit ini sudah {'ditutup' if closing else 'dibuka kembali'} "
                       "oleh pengguna lain.", code="month_closed" if closing else "month_open")


def close_report(unit: Unit, period: str) -> CloseReport:
    """Per ASN: drafts never submitted and entries still returned in the unit-month."""
    um = get_or_create_unit_month(unit.id, period)
    counts = unit_counts(unit.id, period)
    rows = db.session.execute(select(Entry.user_id, Entry.status, func.count(Entry.id)).where(
        Entry.unit_id == unit.id, Entry.period == period,
        Entry.status.in_([EntryStatus.DRAFT, EntryStatus.RETURNED])).group_by(Entry.user_id, Entry.status)).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r[0] for r in rows})))} if rows else {}
    report = CloseReport(unit_month=um, counts=counts)
    for user_id, status, n in sorted(rows, key=lambda r: users[r[0]].name):
        (report.unsubmitted if status == EntryStatus.DRAFT else report.returned).append((users[user_id], n))
    return report


def reopen_month(unit: Unit, period: str, actor: User, reason: str, *, on_date: date | None = None) -> UnitMonth:
    """Reopen a closed unit-month (the Kasubag or its Plh/Plt) with a reason; entries unlock."""
    today = on_date or today_for(actor)
    assert_may_reopen(actor, unit, today)
    parse_month(period)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "Alasan membuka kembali wajib diisi."})
    if len(reason) > REOPEN_REASON_MAX:
        raise ValidationFailed({"reason": f"Alasan maksimal {REOPEN_REASON_MAX} karakter."})
    um = get_unit_month(unit.id, period)
    if um is None or not um.is_closed:
        raise Conflict(f"Bulan {bulan(period)} unit ini belum ditutup.", code="month_open")
    with db.session.begin_nested():
        _switch_unit_month(um, closing=False, is_closed=False, reopened_at=utcnow(), reopened_by_id=actor.id,
                           reopen_reason=reason)
        _bump_versions(unit, period)
    db.session.refresh(um)
    audit.record("unit_month.reopen", um, actor=actor, before={"is_closed": True}, after={"is_closed": False},
                 note=reason, on_behalf_of=on_behalf_of(actor, unit, today))
    return um
