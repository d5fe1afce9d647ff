"""The rules of month-end verification (SOP Kudus step 3). Pages, the API, jobs and the demo all come through here.

- Only a submitted entry can be verified or returned; a return needs a note; a verified entry never changes.
- Who may verify what is decided in ``silabu.accounts.access``; an act under a Plh/Plt delegation is
  recorded "a.n." the unit.
- A unit-month can be closed from its last working day on, when nothing is left submitted; closing locks
  every entry of the unit-month, reopening (with a reason) unlocks them.
- Two verifiers acting at once: the entry's version decides; the loser gets a Conflict with the current state.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.access import (can_verify_entry, can_view_entry, delegation_for,
                                    head_verifier_for, is_unit_head, verifier_unit_ids, verifies)
from silabu.accounts.models import Delegation, Role, Unit, User, UserRole
from silabu.accounts.org import today_for
from silabu.catalog.calendar import MonthCalendar, add_working_days
from silabu.core import audit
from silabu.core.audit import AuditEvent
from silabu.core.clock import parse_period, period_of, previous_period, utcnow
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.core.formatting import bulan, tanggal
from silabu.entries.models import NOTE_MAX, STATUS_LABELS, Entry, EntryStatus
from silabu.entries.services import assert_unlocked, month_is_closed
from silabu.extensions import db
from silabu.notifications.services import notify
from silabu.verification.models import UnitMonth

REOPEN_REASON_MAX = 1000
DELEGATION_REASON_MAX = 500
DELEGATION_KINDS = ("Plh", "Plt")
STATUS_KEYS = ("submitted", "verified", "returned", "draft")
OVERDUE_LOOKBACK_MONTHS = 12


# ---------- small helpers ----------

def check_period(value: str, field_name: str = "month") -> str:
    """A valid 'YYYY-MM' or ValidationFailed."""
    try:
        parse_period(value)
    except (TypeError, ValueError):
        raise ValidationFailed({field_name: "Format bulan harus TTTT-BB, mis. 2026-11."}) from None
    return value


def _on_behalf_of(verifier: User, unit: Unit, on_date: date) -> str | None:
    """'a.n. <unit>' when ``verifier`` acts for the unit under a Plh/Plt delegation."""
    return f"a.n. {unit.name}" if delegation_for(verifier, unit.id, on_date) is not None else None


def _link(endpoint: str, **values: Any) -> str:
    """A site-relative URL, also from jobs and CLI commands that run outside a request."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def _zero_counts() -> dict[str, int]:
    return {k: 0 for k in STATUS_KEYS} | {"total": 0}


def _version_conflict(entry: Entry, message: str | None = None) -> Conflict:
    return Conflict(message or (f"Entri ini baru saja diubah oleh pengguna lain; statusnya sekarang "
                                f"'{STATUS_LABELS[entry.status]}'. Muat ulang lalu periksa kembali."),
                    code="version_conflict",
                    details={"current": {"id": entry.id, "status": entry.status.value, "version": entry.version,
                                         "locked": bool(entry.is_locked)}})


def _refreshed(entry: Entry) -> Entry:
    db.session.refresh(entry)
    return entry


def get_unit_month(unit_id: int, period: str) -> UnitMonth | None:
    return db.session.scalar(select(UnitMonth).where(UnitMonth.unit_id == unit_id, UnitMonth.period == period))


def get_or_create_unit_month(unit_id: int, period: str) -> UnitMonth:
    """The unit-month row; two requests creating it at once end up with the same row."""
    row = get_unit_month(unit_id, period)
    if row is not None:
        return row
    row = UnitMonth(unit_id=unit_id, period=period, is_closed=False)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = get_unit_month(unit_id, period)
        if row is None:
            raise
    return row


def unit_by_code(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == (code or "").strip().upper()))
    if unit is None:
        raise NotFound("Unit tidak ditemukan.")
    return unit


# ---------- who sees what ----------

class Scope:
    """What one verifier may verify on one day, computed once (the queue filters hundreds of entries with it).

    ``can_verify`` applies the same rule as ``access.can_verify_entry`` (``access.verifies``), with the
    verifier's units looked up once instead of per entry.
    """

    def __init__(self, verifier: User, on_date: date) -> None:
        self.verifier, self.on_date = verifier, on_date
        self.unit_ids = verifier_unit_ids(verifier, on_date)
        self.oversees = verifier.has_role(Role.SEKRETARIS)
        units = list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.code)))
        self.head_unit_ids = {u.id for u in units if head_verifier_for(u, verifier)}
        self._units = {u.id: u for u in units}

    def can_verify(self, owner: User, unit: Unit) -> bool:
        return verifies(self.verifier, owner, unit, self.unit_ids, lambda u: u.id in self.head_unit_ids)

    def full_view(self, unit_id: int) -> bool:
        """Sees every ASN of the unit (the verifier of its staff, the Sekretaris)."""
        return unit_id in self.unit_ids or self.oversees

    def visible(self, unit_id: int) -> bool:
        return self.full_view(unit_id) or unit_id in self.head_unit_ids

    @property
    def is_verifier(self) -> bool:
        return bool(self.unit_ids) or self.oversees

    def units(self) -> list[Unit]:
        """Units whose queue this person opens: their own verification units first, then the rest they see."""
        ids = set(self.unit_ids) | self.head_unit_ids
        return sorted((self._units[i] for i in ids if i in self._units),
                      key=lambda u: (u.id not in self.unit_ids, u.code))


def scope_for(user: User, on_date: date | None = None) -> Scope:
    return Scope(user, on_date or today_for(user))


def unit_for_viewer(user: User, unit_code: str, *, on_date: date | None = None) -> Unit:
    """The unit if ``user`` may open its verification pages; 404 otherwise."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (unit_code or "").strip().upper()))
    if unit is None or not scope_for(user, on_date).visible(unit.id):
        raise NotFound("Unit tidak ditemukan.")
    return unit


def assert_may_verify(entry: Entry, verifier: User, on_date: date | None = None) -> None:
    """Forbidden when ``verifier`` sees the entry but may not verify it (their own, or not their unit); NotFound
    when they may not even see it. Callers check this before reading anything else of the request."""
    on_date = on_date or today_for(verifier)
    if can_verify_entry(verifier, entry, on_date):
        return
    if entry.user_id == verifier.id and verifier.has_role(Role.KASUBAG):
        raise Forbidden("Entri Anda sendiri tidak dapat Anda verifikasi; entri Kepala Sub Bagian diverifikasi "
                        "oleh Sekretaris atau verifikator yang ditetapkan.", code="own_entry")
    if can_view_entry(verifier, entry, on_date):
        raise Forbidden("Anda bukan verifikator entri ini.", code="not_verifier")
    raise NotFound("Entri tidak ditemukan.")


def _assert_version(entry: Entry, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != entry.version:
        raise _version_conflict(entry)


def _assert_submitted(entry: Entry, doing: str) -> None:
    if entry.status == EntryStatus.SUBMITTED:
        return
    reason = {EntryStatus.DRAFT: "masih draf dan belum diajukan oleh ASN",
              EntryStatus.VERIFIED: "sudah diverifikasi",
              EntryStatus.RETURNED: "sedang dikembalikan ke ASN untuk diperbaiki"}[entry.status]
    raise Conflict(f"Entri tidak dapat {doing}: entri {reason}.", code=f"entry_{entry.status.value}",
                   details={"current": {"id": entry.id, "status": entry.status.value, "version": entry.version}})


def _apply(entry: Entry, **changes: Any) -> None:
    """Write the change under a savepoint; when another verifier got there first, report what the entry is now.

    The attributes are set inside the savepoint: a failed flush then leaves the request's transaction usable.
    """
    try:
        with db.session.begin_nested():
            for key, value in changes.items():
                setattr(entry, key, value)
            db.session.flush()
    except StaleDataError:
        raise _version_conflict(_refreshed(entry)) from None


# ---------- one entry ----------

def verify_entry(entry: Entry, verifier: User, *, expected_version: int | None = None,
                 on_date: date | None = None) -> Entry:
    """Mark a submitted entry verified."""
    on_date = on_date or today_for(verifier)
    assert_may_verify(entry, verifier, on_date)
    assert_unlocked(entry)
    _assert_version(entry, expected_version)
    _assert_submitted(entry, "diverifikasi")
    behalf = _on_behalf_of(verifier, entry.unit, on_date)
    _apply(entry, status=EntryStatus.VERIFIED, verified_at=utcnow(), verified_by_id=verifier.id)
    audit.record("entry.verify", entry, actor=verifier, before={"status": EntryStatus.SUBMITTED},
                 after={"status": EntryStatus.VERIFIED}, on_behalf_of=behalf)
    return entry


def return_entry(entry: Entry, verifier: User, note: str, *, expected_version: int | None = None,
                 on_date: date | None = None) -> Entry:
    """Send a submitted entry back to its ASN with a note saying what to fix."""
    on_date = on_date or today_for(verifier)
    assert_may_verify(entry, verifier, on_date)
    assert_unlocked(entry)
    _assert_version(entry, expected_version)
    _assert_submitted(entry, "dikembalikan")
    note = str(note or "").strip()
    if not note:
        raise ValidationFailed({"note": "Catatan wajib diisi: tuliskan apa yang perlu diperbaiki ASN."})
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": f"Catatan maksimal {NOTE_MAX} karakter (sekarang {len(note)})."})
    behalf = _on_behalf_of(verifier, entry.unit, on_date)
    _apply(entry, status=EntryStatus.RETURNED, return_note=note, return_count=(entry.return_count or 0) + 1,
           verified_at=None, verified_by_id=None)
    audit.record("entry.return", entry, actor=verifier, before={"status": EntryStatus.SUBMITTED},
                 after={"status": EntryStatus.RETURNED, "return_count": entry.return_count}, note=note,
                 on_behalf_of=behalf)
    notify(entry.user, "entry_returned", f"Entri {tanggal(entry.entry_date)} dikembalikan untuk diperbaiki",
           body=f"{verifier.name}: {note}", link=_link("entries.detail", entry_id=entry.id))
    return entry


# ---------- one ASN-month ----------

def verify_all(owner: User, period: str, verifier: User, *, on_date: date | None = None) -> int:
    """Verify every submitted entry of ``owner`` in ``period`` that ``verifier`` may verify; returns how many.

    Someone who may not verify ``owner`` is refused (403/404) whatever ``period`` says; the month is checked after.
    """
    on_date = on_date or today_for(verifier)
    scope = Scope(verifier, on_date)
    entries = list(db.session.scalars(select(Entry).where(Entry.user_id == owner.id, Entry.period == period)
                                      .options(selectinload(Entry.unit)).order_by(Entry.entry_date, Entry.id)))
    unit_ids = {e.unit_id for e in entries} or {owner.unit_id}
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    mine = [e for e in entries if scope.can_verify(owner, units[e.unit_id])]
    if not mine and not any(scope.can_verify(owner, u) for u in units.values()):
        if owner.id == verifier.id and verifier.has_role(Role.KASUBAG):
            raise Forbidden("Entri Anda sendiri tidak dapat Anda verifikasi.", code="own_entry")
        if any(scope.full_view(uid) for uid in unit_ids):
            raise Forbidden("Anda bukan verifikator entri ASN ini.", code="not_verifier")
        raise NotFound("Pegawai tidak ditemukan.")
    check_period(period)
    closed = {uid for uid in {e.unit_id for e in mine} if month_is_closed(uid, period)}
    if closed:
        raise Conflict(f"Bulan {bulan(period)} unit ini sudah ditutup; entri terkunci.", code="month_closed")
    todo = [e for e in mine if e.status == EntryStatus.SUBMITTED and not e.is_locked]
    if not todo:
        return 0
    now = utcnow()
    try:
        with db.session.begin_nested():
            for e in todo:
                e.status, e.verified_at, e.verified_by_id = EntryStatus.VERIFIED, now, verifier.id
            db.session.flush()
    except StaleDataError:
        raise Conflict("Sebagian entri baru saja diubah oleh pengguna lain; tidak ada yang diverifikasi. "
                       "Muat ulang lalu coba lagi.", code="version_conflict") from None
    behalf = {uid: _on_behalf_of(verifier, units[uid], on_date) for uid in {e.unit_id for e in todo}}
    for e in todo:
        audit.record("entry.verify", e, actor=verifier, before={"status": EntryStatus.SUBMITTED},
                     after={"status": EntryStatus.VERIFIED}, note="Verifikasi sekaligus", on_behalf_of=behalf[e.unit_id])
    for uid in behalf:
        um = get_or_create_unit_month(uid, period)
        audit.record("unit_month.verify_all", um, actor=verifier, on_behalf_of=behalf[uid],
                     after={"user_id": owner.id, "verified": sum(1 for e in todo if e.unit_id == uid)})
    return len(todo)


# ---------- the unit-month ----------

def verification_window(period: str) -> tuple[date, date]:
    """(opens, closes): from the month's last working day to N working days after it (VERIFICATION_WINDOW_DAYS)."""
    year, month = parse_period(check_period(period))
    cal = MonthCalendar(year, month)
    opens = cal.last_working_day or cal.last
    days = int(current_app.config.get("VERIFICATION_WINDOW_DAYS", 3))
    return opens, add_working_days(opens, days) if days > 0 else opens


def unit_counts(unit_id: int, period: str) -> dict[str, int]:
    """Entries of a unit-month by status."""
    counts = _zero_counts()
    for status, n in db.session.execute(select(Entry.status, func.count(Entry.id)).where(
            Entry.unit_id == unit_id, Entry.period == period).group_by(Entry.status)):
        counts[status.value] = n
        counts["total"] += n
    return counts


def can_close(actor: User, unit: Unit, on_date: date) -> bool:
    """Close and reopen: the unit's Kasubag or its Plh/Plt on that day (an admin keeps settings, not the work)."""
    return is_unit_head(actor, unit.id) or delegation_for(actor, unit.id, on_date) is not None


def assert_may_close(actor: User, unit: Unit, on_date: date | None = None) -> None:
    """Close: the unit's Kasubag or its Plh/Plt; the Sekretaris (who sees the unit) gets 403, others 404."""
    if can_close(actor, unit, on_date or today_for(actor)):
        return
    if actor.has_role(Role.SEKRETARIS):
        raise Forbidden("Penutupan bulan dilakukan oleh Kepala Sub Bagian unit (atau Plh/Plt-nya).")
    raise NotFound("Unit tidak ditemukan.")


def assert_may_reopen(actor: User, unit: Unit, on_date: date | None = None) -> None:
    """Reopen: the same people as close; checked before the reason or the month is looked at."""
    if can_close(actor, unit, on_date or today_for(actor)):
        return
    if actor.has_role(Role.SEKRETARIS):
        raise Forbidden("Pembukaan kembali dilakukan oleh Kepala Sub Bagian unit (atau Plh/Plt-nya).")
    raise NotFound("Unit tidak ditemukan.")


@dataclass
class CloseReport:
    """What closing left behind: returned entries and drafts never submitted, per ASN."""

    unit_month: UnitMonth
    counts: dict[str, int]
    unsubmitted: list[tuple[User, int]] = field(default_factory=list)
    returned: list[tuple[User, int]] = field(default_factory=list)


def close_month(unit: Unit, period: str, actor: User, *, on_date: date | None = None) -> UnitMonth:
    """Close the unit-month: nothing may be left submitted; every entry of it is locked."""
    today = on_date or today_for(actor)
    assert_may_close(actor, unit, today)
    check_period(period)
    opens, _closes = verification_window(period)
    if today < opens:
        raise Conflict(f"Bulan {bulan(period)} belum dapat ditutup sebelum hari kerja terakhirnya "
                       f"({tanggal(opens)}).", code="too_early")
    if month_is_closed(unit.id, period):
        raise Conflict(f"Bulan {bulan(period)} unit ini sudah ditutup.", code="month_closed")
    waiting = unit_counts(unit.id, period)["submitted"]
    if waiting:
        raise Conflict(f"Masih ada {waiting} entri yang menunggu verifikasi; verifikasi atau kembalikan dahulu "
                       "sebelum menutup bulan.", code="entries_waiting", details={"submitted": waiting})
    um = get_or_create_unit_month(unit.id, period)
    before = {"is_closed": False}
    behalf = _on_behalf_of(actor, unit, today)
    with db.session.begin_nested():
        _switch_unit_month(um, closing=True, is_closed=True, closed_at=utcnow(), closed_by_id=actor.id,
                           closed_on_behalf_of=behalf)
        # Bump the version too: a verifier or ASN holding an older copy of a row now gets a conflict.
        db.session.execute(update(Entry).where(Entry.unit_id == unit.id, Entry.period == period)
                           .values(is_locked=True, version=Entry.version + 1)
                           .execution_options(synchronize_session="fetch"))
        # Counted again after the update holds the rows: a submit that slipped in between is caught here.
        waiting = unit_counts(unit.id, period)["submitted"]
        if waiting:
            raise Conflict(f"Masih ada {waiting} entri yang menunggu verifikasi; verifikasi atau kembalikan dahulu "
                           "sebelum menutup bulan.", code="entries_waiting", details={"submitted": waiting})
    db.session.refresh(um)
    counts = unit_counts(unit.id, period)
    audit.record("unit_month.close", um, actor=actor, before=before, on_behalf_of=um.closed_on_behalf_of,
                 after={"is_closed": True, "unit": unit.code, "period": period, **counts})
    return um


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
    check_period(period)
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
        db.session.execute(update(Entry).where(Entry.unit_id == unit.id, Entry.period == period)
                           .values(is_locked=False, version=Entry.version + 1)
                           .execution_options(synchronize_session="fetch"))
    db.session.refresh(um)
    audit.record("unit_month.reopen", um, actor=actor, before={"is_closed": True}, after={"is_closed": False},
                 note=reason, on_behalf_of=_on_behalf_of(actor, unit, today))
    return um


# ---------- the queue ----------

@dataclass
class AsnGroup:
    """One ASN's month in a unit: counts, entries (when loaded) and days without entries."""

    owner: User
    unit: Unit
    can_verify: bool
    counts: dict[str, int] = field(default_factory=_zero_counts)
    entries: list[Entry] | None = None
    empty_days: list[date] = field(default_factory=list)
    filled_days: int = 0
    working_days: int = 0

    @property
    def waiting(self) -> int:
        return self.counts["submitted"]

    @property
    def compliance(self) -> float | None:
        """Days with a submitted-or-verified entry / working days so far (DOMAIN.md)."""
        return round(self.filled_days * 100 / self.working_days, 2) if self.working_days else None

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
        out = _zero_counts()
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


def queue(verifier: User, period: str, *, unit_id: int | None = None, on_date: date | None = None,
          owner_id: int | None = None, readonly_groups: bool = False, load_entries: bool = True) -> Queue:
    """The verification queue of ``period``, grouped by ASN, with counts and empty working days per ASN.

    Without ``unit_id``: every unit the verifier verifies, only the ASNs they may verify. With ``unit_id``
    (404 when not visible) and ``readonly_groups``: also the unit's ASNs they only see (e.g. the Kasubag's
    own entries, which the Sekretaris verifies). ``owner_id`` loads the entries of that ASN only (the
    pages show one ASN at a time); the counts always cover everyone.
    """
    on_date = on_date or today_for(verifier)
    scope = Scope(verifier, on_date)
    if unit_id is not None:
        if not scope.visible(unit_id):
            raise NotFound("Unit tidak ditemukan.")
        unit_ids = [unit_id]
    else:
        unit_ids = [u.id for u in scope.units() if u.id in scope.unit_ids or u.id in scope.head_unit_ids]
        readonly_groups = False
    check_period(period)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.code))}

    year, month = parse_period(period)
    cal = MonthCalendar(year, month)
    working = [d for d in cal.working_days if d <= on_date]

    # One grouped query gives counts per ASN and the days each ASN covered.
    rows = db.session.execute(
        select(Entry.unit_id, Entry.user_id, Entry.entry_date, Entry.status, func.count(Entry.id))
        .where(Entry.unit_id.in_(unit_ids), Entry.period == period)
        .group_by(Entry.unit_id, Entry.user_id, Entry.entry_date, Entry.status)).all()
    staff = db.session.execute(select(User.unit_id, User.id).join(UserRole, UserRole.user_id == User.id).where(
        User.unit_id.in_(unit_ids), User.is_active_account.is_(True), UserRole.role == Role.ASN)).all()
    keys = {(r[0], r[1]) for r in rows} | {(r[0], r[1]) for r in staff}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({k[1] for k in keys})))} if keys else {}

    groups: dict[tuple[int, int], AsnGroup] = {}
    for uid, user_id in keys:
        owner, unit = users[user_id], units[uid]
        can = scope.can_verify(owner, unit)
        if not can and not (readonly_groups and scope.full_view(uid)):
            continue
        groups[(uid, user_id)] = AsnGroup(owner=owner, unit=unit, can_verify=can)
    unit_totals = {uid: _zero_counts() for uid in units}
    days_any: dict[tuple[int, int], set[date]] = defaultdict(set)
    days_filled: dict[tuple[int, int], set[date]] = defaultdict(set)
    for uid, user_id, day, status, n in rows:
        unit_totals[uid][status.value] += n
        unit_totals[uid]["total"] += n
        g = groups.get((uid, user_id))
        if g is None:
            continue
        g.counts[status.value] += n
        g.counts["total"] += n
        days_any[(uid, user_id)].add(day)
        if status in (EntryStatus.SUBMITTED, EntryStatus.VERIFIED):
            days_filled[(uid, user_id)].add(day)
    for key, g in groups.items():
        g.working_days = len(working)
        g.filled_days = sum(1 for d in working if d in days_filled[key])
        g.empty_days = [d for d in working if d not in days_any[key]]

    if load_entries and groups:
        q = (select(Entry).where(Entry.unit_id.in_(unit_ids), Entry.period == period)
             .options(selectinload(Entry.evidence), selectinload(Entry.output_code), selectinload(Entry.user),
                      selectinload(Entry.unit))
             .order_by(Entry.entry_date, Entry.id))
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
                 groups=ordered, unit_counts=unit_totals, unit_months=ums, working_days=working, off_days=cal.off)


def fill_entries(q: Queue, group: AsnGroup) -> AsnGroup:
    """Load one ASN's entries of the queue's month (the pages show one ASN at a time)."""
    group.entries = list(db.session.scalars(
        select(Entry).where(Entry.unit_id == group.unit.id, Entry.user_id == group.owner.id, Entry.period == q.period)
        .options(selectinload(Entry.evidence), selectinload(Entry.output_code), selectinload(Entry.user),
                 selectinload(Entry.unit))
        .order_by(Entry.entry_date, Entry.id)))
    return group


def waiting_by_period(verifier: User, on_date: date | None = None) -> dict[str, int]:
    """Submitted entries this verifier may verify, per month (so no month with waiting work goes unseen)."""
    scope = Scope(verifier, on_date or today_for(verifier))
    unit_ids = scope.unit_ids | scope.head_unit_ids
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


def default_period(today: date) -> str:
    """The month a verifier works on today: this month once its window opened, else the previous one."""
    current = period_of(today)
    return current if today >= verification_window(current)[0] else previous_period(current)


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


ACTION_LABELS = {
    "entry.create": "Dibuat", "entry.update": "Diubah", "entry.submit": "Diajukan",
    "entry.resubmit": "Diajukan ulang", "entry.verify": "Diverifikasi", "entry.return": "Dikembalikan",
    "entry.delete": "Dihapus", "unit_month.close": "Bulan ditutup", "unit_month.reopen": "Bulan dibuka kembali",
    "unit_month.verify_all": "Verifikasi sekaligus",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# ---------- oversight ----------

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
        """Verified share of what the ASNs handed in (drafts not counted)."""
        handed_in = self.counts["submitted"] + self.counts["verified"] + self.counts["returned"]
        return round(self.counts["verified"] * 100 / handed_in, 2) if handed_in else None

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


def oversight(period: str, today: date) -> list[UnitProgress]:
    """Every active unit's verification progress for ``period`` as of ``today`` (the Sekretaris's view)."""
    check_period(period)
    window = verification_window(period)
    units = list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.code)))
    counts: dict[int, dict[str, int]] = {u.id: _zero_counts() for u in units}
    for uid, status, n in db.session.execute(select(Entry.unit_id, Entry.status, func.count(Entry.id))
                                             .where(Entry.period == period).group_by(Entry.unit_id, Entry.status)):
        if uid in counts:
            counts[uid][status.value] += n
            counts[uid]["total"] += n
    ums = {um.unit_id: um for um in db.session.scalars(select(UnitMonth).where(UnitMonth.period == period)
                                                        .options(selectinload(UnitMonth.closed_by)))}
    with_staff = set(db.session.scalars(select(User.unit_id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == Role.ASN, User.is_active_account.is_(True)).distinct()))
    heads: dict[int, list[str]] = defaultdict(list)
    for user in db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
            UserRole.role == Role.KASUBAG, User.is_active_account.is_(True)).order_by(User.name)):
        heads[user.unit_id].append(user.name)
    for d in db.session.scalars(select(Delegation).where(Delegation.revoked_at.is_(None), Delegation.start_date <= today,
                                                         Delegation.end_date >= today)
                                .options(selectinload(Delegation.delegate))):
        heads[d.unit_id].append(f"{d.kind}. {d.delegate.name}")
    return [UnitProgress(unit=u, counts=counts[u.id], unit_month=ums.get(u.id), window=window, today=today,
                         verifiers=heads.get(u.id, []))
            for u in units if counts[u.id]["total"] or u.id in with_staff]


# ---------- notifications (called by the scheduler) ----------

def _unit_verifiers(unit_id: int, today: date) -> list[User]:
    people = {u.id: u for u in db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.unit_id == unit_id, UserRole.role == Role.KASUBAG, User.is_active_account.is_(True)))}
    for d in db.session.scalars(select(Delegation).where(Delegation.unit_id == unit_id, Delegation.revoked_at.is_(None),
                                                         Delegation.start_date <= today, Delegation.end_date >= today)):
        if d.delegate.is_active_account:
            people.setdefault(d.delegate.id, d.delegate)
    return list(people.values())


def notify_window_opened(period: str, today: date) -> int:
    """Tell each open unit's Kasubag (and Plh/Plt) that the verification window is open; once per unit-month."""
    check_period(period)
    opens, closes = verification_window(period)
    if today < opens:
        return 0
    sent = 0
    for p in oversight(period, today):
        if p.is_closed:
            continue
        for person in _unit_verifiers(p.unit.id, today):
            row = notify(person, "verification_window",
                         f"Masa verifikasi {bulan(period)} dibuka",
                         body=(f"Verifikasi entri {p.unit.name} bulan {bulan(period)} dapat dilakukan sampai "
                               f"{tanggal(closes)}. Menunggu verifikasi: {p.waiting} entri."),
                         link=_link("verification.queue_page", unit_code=p.unit.code, period=period),
                         key=f"verif-window:{p.unit.code}:{period}")
            sent += row is not None
    return sent


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


def notify_overdue(today: date) -> int:
    """Daily notice for every unit-month still open after its window: to the unit's verifiers and the Sekretaris."""
    items = overdue_unit_months(today)
    if not items:
        return 0
    sekretaris = list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == Role.SEKRETARIS, User.is_active_account.is_(True))))
    sent = 0
    for item in items:
        unit, period = item.unit, item.period
        body = (f"Verifikasi {unit.name} bulan {bulan(period)} melewati batas {tanggal(item.closes)} dan "
                f"bulan belum ditutup. Menunggu verifikasi: {item.waiting} entri. Keterlambatan dapat mengurangi "
                "tunjangan kinerja pegawai.")
        title = f"Verifikasi {bulan(period)} terlambat: {unit.code}"
        key = f"verif-overdue:{unit.code}:{period}:{today.isoformat()}"
        for person in _unit_verifiers(unit.id, today):
            sent += notify(person, "verification_overdue", title, body=body, key=key,
                           link=_link("verification.queue_page", unit_code=unit.code, period=period)) is not None
        for person in sekretaris:
            sent += notify(person, "verification_overdue", title, body=body, key=key,
                           link=_link("verification.oversight", month=period)) is not None
    return sent


# ---------- acting verifiers (Plh/Plt) ----------

# Who follows every unit's progress (DOMAIN.md: the Sekretaris sees overdue verification), and who appoints
# Plh/Plt (an organisation setting: the admin too). Pages, the API and the services all read these.
OVERSEER_ROLES = (Role.SEKRETARIS,)
DELEGATOR_ROLES = (Role.SEKRETARIS, Role.ADMIN)


def assert_may_oversee(actor: User) -> None:
    if not actor.has_role(*OVERSEER_ROLES):
        raise Forbidden("Pantauan verifikasi hanya untuk Sekretaris.")


def assert_may_delegate(actor: User) -> None:
    """Plh/Plt are appointed, listed and revoked by an admin or the Sekretaris only (403 for everyone else)."""
    if not actor.has_role(*DELEGATOR_ROLES):
        raise Forbidden("Hanya admin atau Sekretaris yang dapat mengelola penunjukan Plh/Plt verifikator.")


def delegate(unit: Unit, delegate_user: User, start_date: date, end_date: date, actor: User, kind: str = "Plh",
             reason: str = "") -> Delegation:
    """Let ``delegate_user`` verify ``unit`` from ``start_date`` to ``end_date`` (inclusive) as Plh/Plt."""
    assert_may_delegate(actor)
    errors: dict[str, str] = {}
    kind = (kind or "Plh").strip().capitalize()
    if kind not in DELEGATION_KINDS:
        errors["kind"] = "Jenis harus Plh atau Plt."
    if not isinstance(start_date, date):
        errors["start_date"] = "Tanggal mulai wajib diisi."
    if not isinstance(end_date, date):
        errors["end_date"] = "Tanggal selesai wajib diisi."
    elif isinstance(start_date, date) and end_date < start_date:
        errors["end_date"] = "Tanggal selesai tidak boleh sebelum tanggal mulai."
    reason = (reason or "").strip()
    if len(reason) > DELEGATION_REASON_MAX:
        errors["reason"] = f"Alasan maksimal {DELEGATION_REASON_MAX} karakter."
    if delegate_user is None or not delegate_user.is_active_account:
        errors["delegate"] = "Pilih pegawai yang aktif."
    elif is_unit_head(delegate_user, unit.id):
        errors["delegate"] = "Pegawai ini sudah Kepala Sub Bagian unit tersebut."
    if not unit.is_active:
        errors["unit"] = "Unit tidak aktif."
    if errors:
        raise ValidationFailed(errors)
    overlap = db.session.scalar(select(Delegation.id).where(
        Delegation.unit_id == unit.id, Delegation.delegate_id == delegate_user.id, Delegation.revoked_at.is_(None),
        Delegation.start_date <= end_date, Delegation.end_date >= start_date).limit(1))
    if overlap is not None:
        raise ValidationFailed({"start_date": "Pegawai ini sudah ditunjuk untuk unit ini pada sebagian rentang "
                                              "tanggal tersebut."})
    row = Delegation(unit_id=unit.id, delegate_id=delegate_user.id, start_date=start_date, end_date=end_date,
                     kind=kind, reason=reason, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("delegation.create", row, actor=actor,
                 after={"unit": unit.code, "delegate_id": delegate_user.id, "delegate": delegate_user.name,
                        "kind": kind, "start_date": start_date, "end_date": end_date, "reason": reason})
    notify(delegate_user, "delegation", f"Anda ditunjuk sebagai {kind} verifikator {unit.name}",
           body=f"Berlaku {tanggal(start_date)} s.d. {tanggal(end_date)}." + (f" {reason}" if reason else ""),
           link=_link("verification.index"))
    return row


def revoke_delegation(delegation: Delegation, actor: User) -> Delegation:
    """End a delegation now; actions already taken under it stay as recorded."""
    assert_may_delegate(actor)
    if delegation.revoked_at is not None:
        raise Conflict("Penunjukan ini sudah dicabut.", code="already_revoked")
    delegation.revoked_at = utcnow()
    db.session.flush()
    audit.record("delegation.revoke", delegation, actor=actor, before={"revoked_at": None},
                 after={"revoked_at": delegation.revoked_at})
    return delegation


def delegations(*, include_revoked: bool = False) -> list[Delegation]:
    q = (select(Delegation).options(selectinload(Delegation.unit), selectinload(Delegation.delegate),
                                    selectinload(Delegation.created_by))
         .order_by(Delegation.end_date.desc(), Delegation.id.desc()))
    if not include_revoked:
        q = q.where(Delegation.revoked_at.is_(None))
    return list(db.session.scalars(q))


def get_delegation(delegation_id: int) -> Delegation:
    row = db.session.get(Delegation, delegation_id)
    if row is None:
        raise NotFound("Penunjukan tidak ditemukan.")
    return row


# ---------- the softfile ----------

@dataclass
class ReportGroup:
    owner: User
    entries: list[Entry]
    counts: dict[str, int]
    filled_days: int
    working_days: int

    @property
    def quantity_totals(self) -> list[tuple[str, Any]]:
        totals: dict[str, Any] = defaultdict(int)
        for e in self.entries:
            totals[e.unit_of_measure] += e.quantity
        return sorted(totals.items())


@dataclass
class MonthReport:
    """The data of "softfile dokumen data kinerja ASN hasil verifikasi" for one unit-month."""

    unit: Unit
    period: str
    groups: list[ReportGroup]
    unit_month: UnitMonth | None
    signer_name: str
    signer_nip: str
    signer_title: str
    printed_on: date
    counts: dict[str, int]
    working_days: int


def month_report(unit: Unit, period: str, viewer: User, *, on_date: date | None = None) -> MonthReport:
    """Verified entries of the unit-month per ASN, with totals and the Kasubag who signs."""
    on_date = on_date or today_for(viewer)
    scope = Scope(viewer, on_date)
    if not scope.full_view(unit.id):
        raise NotFound("Unit tidak ditemukan.")
    check_period(period)
    q = queue(viewer, period, unit_id=unit.id, on_date=on_date, readonly_groups=True, load_entries=False)
    verified = list(db.session.scalars(select(Entry).where(Entry.unit_id == unit.id, Entry.period == period,
                                                           Entry.status == EntryStatus.VERIFIED)
                                       .options(selectinload(Entry.output_code), selectinload(Entry.evidence))
                                       .order_by(Entry.entry_date, Entry.id)))
    by_owner: dict[int, list[Entry]] = defaultdict(list)
    for e in verified:
        by_owner[e.user_id].append(e)
    groups = [ReportGroup(owner=g.owner, entries=by_owner.get(g.owner.id, []), counts=g.counts,
                          filled_days=g.filled_days, working_days=g.working_days) for g in q.groups]
    head = db.session.scalar(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.unit_id == unit.id, UserRole.role == Role.KASUBAG, User.is_active_account.is_(True)).order_by(User.id))
    acting = delegation_for(viewer, unit.id, on_date)
    title = f"Kepala {unit.name}" if not unit.name.lower().startswith("kepala") else unit.name
    if acting is not None:
        signer, title = viewer, f"{acting.kind}. {title}"
    else:
        signer = head
    return MonthReport(unit=unit, period=period, groups=groups, unit_month=q.unit_months.get(unit.id),
                       signer_name=signer.name if signer else "", signer_nip=(signer.nip or "") if signer else "",
                       signer_title=title, printed_on=on_date, counts=q.unit_counts[unit.id],
                       working_days=len(MonthCalendar(*parse_period(period)).working_days))


__all__ = [
    "verify_entry", "return_entry", "verify_all", "close_month", "reopen_month", "get_or_create_unit_month",
    "queue", "verification_window", "oversight", "notify_window_opened", "notify_overdue", "delegate",
    "revoke_delegation", "Scope", "scope_for", "unit_for_viewer", "close_report", "month_report", "histories",
    "entry_history", "action_label", "delegations", "get_delegation", "check_period", "unit_counts", "can_close",
    "fill_entries", "default_period", "overdue_unit_months", "waiting_by_period", "assert_may_verify",
    "assert_may_close", "assert_may_reopen", "assert_may_delegate",
]
