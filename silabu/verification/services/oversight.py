"""The Sekretaris's view of every unit's verification progress, and the unit-months left open past their window."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from silabu.accounts.delegation import delegations_on
from silabu.accounts.models import Role, Unit, User
from silabu.accounts.services import role_holder_ids, users_with_role
from silabu.core.clock import period_of, previous_period
from silabu.core.parsing import parse_month
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.extensions import db
from silabu.verification.services.unit_month import verification_window, zero_counts

OVERDUE_LOOKBACK_MONTHS = 12


def verification_progress(counts: dict[str, int]) -> float | None:
    """Verified share of what the ASNs handed in (drafts not counted), in percent; None when nothing was."""
    handed_in = counts["submitted"] + counts["verified"] + counts["returned"]
    return round(counts["verified"] * 100 / handed_in, 2) if handed_in else None


@dataclass
class UnitProgress:
    unit: Unit
    counts: dict[str, int]
    unit_month: UnitMonth | None
    window: tuple[date, date]
    today: date
    verifiers: list[str] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return bool(self.unit_month and self.unit_month.is_closed)

    @property
    def waiting(self) -> int:
        return self.counts["submitted"]

    @property
    def overdue(self) -> bool:
        """Still open after the verification window, with entries in the month."""
        return not self.is_closed and self.today > self.window[1] and self.counts["total"] > 0

    @property
    def progress(self) -> float | None:
        return verification_progress(self.counts)

    @property
    def state(self) -> str:
        if self.is_closed:
            return "closed"
        if self.overdue:
            return "overdue"
        if self.today >= self.window[0]:
            return "window"
        return "open"

    @property
    def state_label(self) -> str:
        return {"closed": "Ditutup", "overdue": "Terlambat", "window": "Masa verifikasi",
                "open": "Berjalan"}[self.state]


def unit_verifiers(unit_id: int, today: date) -> list[User]:
    """Who verifies the unit's staff today: its Kasubag and any active Plh/Plt."""
    people = {u.id: u for u in users_with_role(Role.KASUBAG, unit_id=unit_id)}
    for d in delegations_on(today, unit_id=unit_id):
        if d.delegate.is_active_account:
            people.setdefault(d.delegate.id, d.delegate)
    return list(people.values())


def oversight(period: str, today: date) -> list[UnitProgress]:
    """Every active unit's verification progress for ``period`` as of ``today`` (the Sekretaris's view)."""
    parse_month(period)
    window = verification_window(period)
    units = list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.code)))
    counts: dict[int, dict[str, int]] = {u.id: zero_counts() for u in units}
    for uid, status, n in db.session.execute(select(Entry.unit_id, Entry.status, func.count(Entry.id))
                                             .where(Entry.period == period).group_by(Entry.unit_id, Entry.status)):
        if uid in counts:
            counts[uid][status.value] += n
            counts[uid]["total"] += n
    ums = {um.unit_id: um for um in db.session.scalars(select(UnitMonth).where(UnitMonth.period == period)
                                                        .options(selectinload(UnitMonth.closed_by)))}
    with_staff = set(db.session.scalars(select(User.unit_id).where(User.id.in_(role_holder_ids(Role.ASN)))
                                        .distinct()))
    heads: dict[int, list[str]] = defaultdict(list)
    for user in users_with_role(Role.KASUBAG):
        heads[user.unit_id].append(user.name)
    for d in delegations_on(today):
        heads[d.unit_id].append(f"{d.kind}. {d.delegate.name}")
    return [UnitProgress(unit=u, counts=counts[u.id], unit_month=ums.get(u.id), window=window, today=today,
                         verifiers=heads.get(u.id, []))
            for u in units if counts[u.id]["total"] or u.id in with_staff]


@dataclass
class Overdue:
    unit: Unit
    period: str
    closes: date
    waiting: int


def overdue_unit_months(today: date) -> list[Overdue]:
    """Unit-months of the last year still open after their window, with entries in them, oldest first."""
    periods, p = [], period_of(today)
    for _ in range(OVERDUE_LOOKBACK_MONTHS + 1):
        periods.append(p)
        p = previous_period(p)
    rows = db.session.execute(select(Entry.unit_id, Entry.period, Entry.status, func.count(Entry.id))
                              .where(Entry.period.in_(periods))
                              .group_by(Entry.unit_id, Entry.period, Entry.status)).all()
    closed = set(db.session.execute(select(UnitMonth.unit_id, UnitMonth.period).where(
        UnitMonth.period.in_(periods), UnitMonth.is_closed.is_(True))).all())
    waiting: dict[tuple[int, str], int] = defaultdict(int)
    for uid, period, status, n in rows:
        waiting[(uid, period)] += n if status == EntryStatus.SUBMITTED else 0
    windows = {period: verification_window(period) for period in {k[1] for k in waiting}}
    keys = sorted((k for k in waiting if k not in closed and today > windows[k[1]][1]), key=lambda k: (k[1], k[0]))
    if not keys:
        return []
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({k[0] for k in keys}),
                                                                    Unit.is_active.is_(True)))}
    return [Overdue(unit=units[uid], period=period, closes=windows[period][1], waiting=waiting[(uid, period)])
            for uid, period in keys if uid in units]
