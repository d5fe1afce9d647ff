"""The verification queue of a month: per unit and ASN, counts, filled and empty working days, the entries."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from silabu.accounts.access import Scope
from silabu.accounts.models import Role, Unit, User
from silabu.accounts.org import today_for
from silabu.accounts.services import role_holder_ids
from silabu.catalog.calendar import MonthCalendar
from silabu.core import audit
from silabu.core.audit import AuditEvent
from silabu.core.clock import parse_period
from silabu.core.errors import NotFound
from silabu.core.parsing import parse_month
from silabu.entries.compliance import DayTally, tally, working_days
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.entries.months import get_unit_month
from silabu.entries.services import action_label  # noqa: F401 - the queue's pages label history with it
from silabu.extensions import db
from silabu.verification.services.access import assert_may_open_unit
from silabu.verification.services.unit_month import verification_window, zero_counts


@dataclass
class AsnGroup:
    """One ASN's month in a unit: counts, entries (when loaded) and the filled and empty working days."""

    owner: User
    unit: Unit
    can_verify: bool
    days: DayTally
    counts: dict[str, int] = field(default_factory=zero_counts)
    entries: list[Entry] | None = None

    @property
    def waiting(self) -> int:
        return self.counts["submitted"]

    @property
    def unsubmitted(self) -> int:
        """Entries the ASN still has to hand in: drafts, and returned entries not yet resubmitted."""
        return self.counts["draft"] + self.counts["returned"]

    @property
    def state(self) -> str:
        """``waiting`` (something to verify), ``unsubmitted`` (nothing to verify, but drafts or returned entries
        left), ``done`` (entries, all verified) or ``empty`` (no entry this month). "Selesai" is only ``done``."""
        if self.waiting:
            return "waiting"
        if self.unsubmitted:
            return "unsubmitted"
        return "done" if self.counts["total"] else "empty"

    @property
    def working_days(self) -> int:
        return self.days.working_days

    @property
    def filled_days(self) -> int:
        return self.days.filled_days

    @property
    def empty_days(self) -> list[date]:
        return self.days.empty_days

    @property
    def compliance(self) -> float | None:
        return self.days.compliance

    @property
    def key(self) -> tuple[int, int]:
        return (self.unit.id, self.owner.id)


@dataclass
class Queue:
    period: str
    today: date
    window: tuple[date, date]
    units: list[Unit]
    groups: list[AsnGroup]
    unit_counts: dict[int, dict[str, int]]
    unit_months: dict[int, UnitMonth]
    working_days: list[date]
    off_days: dict[date, str]

    @property
    def totals(self) -> dict[str, int]:
        out = zero_counts()
        for g in self.groups:
            for k, v in g.counts.items():
                out[k] += v
        return out

    def group(self, owner_id: int) -> AsnGroup | None:
        return next((g for g in self.groups if g.owner.id == owner_id), None)

    def next_waiting(self, after_owner_id: int | None = None) -> AsnGroup | None:
        """The next ASN (in list order, wrapping) with entries left to verify."""
        actionable = [g for g in self.groups if g.can_verify]
        if not actionable:
            return None
        start = 0
        ids = [g.owner.id for g in actionable]
        if after_owner_id in ids:
            start = ids.index(after_owner_id) + 1
        for g in actionable[start:] + actionable[:start]:
            if g.waiting and g.owner.id != after_owner_id:
                return g
        return None

    def is_closed(self, unit_id: int) -> bool:
        um = self.unit_months.get(unit_id)
        return bool(um and um.is_closed)


ENTRY_LOAD = (selectinload(Entry.evidence), selectinload(Entry.output_code), selectinload(Entry.user),
              selectinload(Entry.unit), selectinload(Entry.unit_month))


def queue(verifier: User, period: str, *, unit_id: int | None = None, on_date: date | None = None,
          owner_id: int | None = None, readonly_groups: bool = False, load_entries: bool = True) -> Queue:
    """The verification queue of ``period``, grouped by ASN, with counts and empty working days per ASN.

    Without ``unit_id``: every unit the verifier verifies, only the ASNs they may verify. With ``unit_id``
    (403 when the verifier may not open it) and ``readonly_groups``: also the unit's ASNs they only see (e.g. the Kasubag's
    own entries, which the Sekretaris verifies). ``owner_id`` loads the entries of that ASN only (the
    pages show one ASN at a time); the counts always cover everyone.
    """
    on_date = on_date or today_for(verifier)
    scope = Scope(verifier, on_date)
    if unit_id is not None:
        if not scope.visible(unit_id):
            unit = db.session.get(Unit, unit_id)
            if unit is None:
                raise NotFound("Unit tidak ditemukan.")
            assert_may_open_unit(verifier, unit, on_date=on_date)
        unit_ids = [unit_id]
    else:
        unit_ids = [u.id for u in scope.units()]
        readonly_groups = False
    parse_month(period)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.code))}
    cal = MonthCalendar(*parse_period(period))

    # One grouped query gives counts per ASN and the days each ASN covered.
    rows = db.session.execute(
        select(Entry.unit_id, Entry.user_id, Entry.entry_date, Entry.status, func.count(Entry.id))
        .where(Entry.unit_id.in_(unit_ids), Entry.period == period)
        .group_by(Entry.unit_id, Entry.user_id, Entry.entry_date, Entry.status)).all()
    staff = db.session.execute(select(User.unit_id, User.id).where(
        User.unit_id.in_(unit_ids), User.id.in_(role_holder_ids(Role.ASN)))).all()
    keys = {(r[0], r[1]) for r in rows} | {(r[0], r[1]) for r in staff}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({k[1] for k in keys})))} if keys else {}

    days: dict[tuple[int, int], list[tuple[date, EntryStatus]]] = defaultdict(list)
    unit_totals = {uid: zero_counts() for uid in units}
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(zero_counts)
    for uid, user_id, day, status, n in rows:
        for bucket in (unit_totals[uid], counts[(uid, user_id)]):
            bucket[status.value] += n
            bucket["total"] += n
        days[(uid, user_id)].append((day, status))
    groups: dict[tuple[int, int], AsnGroup] = {}
    for uid, user_id in keys:
        owner, unit = users[user_id], units[uid]
        can = scope.can_verify(owner, unit)
        if not can and not (readonly_groups and scope.full_view(uid)):
            continue
        groups[(uid, user_id)] = AsnGroup(owner=owner, unit=unit, can_verify=can, counts=counts[(uid, user_id)],
                                          days=tally(cal, on_date, days[(uid, user_id)]))

    if load_entries and groups:
        q = select(Entry).where(Entry.unit_id.in_(unit_ids), Entry.period == period).options(*ENTRY_LOAD) \
            .order_by(Entry.entry_date, Entry.id)
        if owner_id is not None:
            q = q.where(Entry.user_id == owner_id)
        for g in groups.values():
            if owner_id is None or g.owner.id == owner_id:
                g.entries = []
        for e in db.session.scalars(q):
            g = groups.get((e.unit_id, e.user_id))
            if g is not None and g.entries is not None:
                g.entries.append(e)

    ordered = sorted(groups.values(), key=lambda g: (g.unit.code, not g.can_verify, g.owner.name.lower(), g.owner.id))
    ums = {um.unit_id: um for um in db.session.scalars(select(UnitMonth).where(UnitMonth.unit_id.in_(unit_ids),
                                                                                UnitMonth.period == period))}
    return Queue(period=period, today=on_date, window=verification_window(period), units=list(units.values()),
                 groups=ordered, unit_counts=unit_totals, unit_months=ums, working_days=working_days(cal, on_date),
                 off_days=cal.off)


def fill_entries(q: Queue, group: AsnGroup) -> AsnGroup:
    """Load one ASN's entries of the queue's month (the pages show one ASN at a time)."""
    group.entries = list(db.session.scalars(
        select(Entry).where(Entry.unit_id == group.unit.id, Entry.user_id == group.owner.id, Entry.period == q.period)
        .options(*ENTRY_LOAD).order_by(Entry.entry_date, Entry.id)))
    return group


def waiting_by_period(verifier: User, on_date: date | None = None) -> dict[str, int]:
    """Submitted entries this verifier may verify, per month (so no month with waiting work goes unseen)."""
    scope = Scope(verifier, on_date or today_for(verifier))
    unit_ids = scope.staff_unit_ids | scope.head_unit_ids
    if not unit_ids:
        return {}
    rows = db.session.execute(select(Entry.unit_id, Entry.user_id, Entry.period, func.count(Entry.id)).where(
        Entry.unit_id.in_(unit_ids), Entry.status == EntryStatus.SUBMITTED)
        .group_by(Entry.unit_id, Entry.user_id, Entry.period)).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r[1] for r in rows})))} if rows else {}
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({r[0] for r in rows})))} if rows else {}
    out: dict[str, int] = defaultdict(int)
    for unit_id, user_id, period, n in rows:
        if scope.can_verify(users[user_id], units[unit_id]):
            out[period] += n
    return dict(sorted(out.items()))


def histories(entries: Iterable[Entry]) -> dict[int, list[AuditEvent]]:
    """The audit history of many entries in one query (the queue shows each entry's history)."""
    ids = [e.id for e in entries]
    out: dict[int, list[AuditEvent]] = {i: [] for i in ids}
    if not ids:
        return out
    for ev in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "entries",
                                                          AuditEvent.object_id.in_(ids))
                                 .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.at, AuditEvent.id)):
        out[ev.object_id].append(ev)
    return out


def entry_history(entry: Entry) -> list[AuditEvent]:
    """The entry's own events and its unit-month's close/reopen, in time order."""
    events = list(audit.history("entries", entry.id))
    um = get_unit_month(entry.unit_id, entry.period)
    if um is not None:
        events += [ev for ev in audit.history("unit_months", um.id) if ev.action in ("unit_month.close",
                                                                                     "unit_month.reopen")]
    return sorted(events, key=lambda ev: (ev.at, ev.id))
