"""Verifying and returning entries, one at a time or a whole ASN-month (SOP Kudus step 3).

- Only a submitted entry can be verified or returned; a return needs a note; a verified entry never changes.
- An act under a Plh/Plt delegation is recorded "a.n." the unit.
- Two verifiers acting at once: the entry's version decides; the loser gets a Conflict with the current state.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.access import Scope
from silabu.accounts.delegation import on_behalf_of
from silabu.accounts.models import Role, Unit, User
from silabu.accounts.org import today_for
from silabu.core import audit
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.core.formatting import bulan, tanggal
from silabu.core.links import path_for
from silabu.core.parsing import parse_month
from silabu.entries.models import NOTE_MAX, Entry, EntryStatus
from silabu.entries.months import (
    assert_unlocked,
    get_or_create_unit_month,
    month_is_closed,
)
from silabu.entries.services import version_conflict, write
from silabu.extensions import db
from silabu.notifications.services import notify
from silabu.verification.services.access import assert_may_verify


def _assert_version(entry: Entry, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != entry.version:
        raise version_conflict(entry)


def _assert_submitted(entry: Entry, doing: str) -> None:
    if entry.status == EntryStatus.SUBMITTED:
        return
    reason = {EntryStatus.DRAFT: "masih draf dan belum diajukan oleh ASN",
              EntryStatus.VERIFIED: "sudah diverifikasi",
              EntryStatus.RETURNED: "sedang dikembalikan ke ASN untuk diperbaiki"}[entry.status]
    raise Conflict(f"Entri tidak dapat {doing}: entri {reason}.", code=f"entry_{entry.status.value}",
                   details={"current": {"id": entry.id, "status": entry.status.value, "version": entry.version}})


def _may_act(entry: Entry, verifier: User, on_date: date | None, expected_version: int | None, doing: str) -> str | None:
    """What every act on one entry checks first, in this order; returns the "a.n." of a Plh/Plt act."""
    on_date = on_date or today_for(verifier)
    assert_may_verify(entry, verifier, on_date)
    assert_unlocked(entry)
    _assert_version(entry, expected_version)
    _assert_submitted(entry, doing)
    return on_behalf_of(verifier, entry.unit, on_date)


def verify_entry(entry: Entry, verifier: User, *, expected_version: int | None = None,
                 on_date: date | None = None) -> Entry:
    """Mark a submitted entry verified."""
    behalf = _may_act(entry, verifier, on_date, expected_version, "diverifikasi")
    write(entry, status=EntryStatus.VERIFIED, verified_at=utcnow(), verified_by_id=verifier.id)
    audit.record("entry.verify", entry, actor=verifier, before={"status": EntryStatus.SUBMITTED},
                 after={"status": EntryStatus.VERIFIED}, on_behalf_of=behalf)
    return entry


def return_entry(entry: Entry, verifier: User, note: str, *, expected_version: int | None = None,
                 on_date: date | None = None) -> Entry:
    """Send a submitted entry back to its ASN with a note saying what to fix."""
    behalf = _may_act(entry, verifier, on_date, expected_version, "dikembalikan")
    note = str(note or "").strip()
    if not note:
        raise ValidationFailed({"note": "Catatan wajib diisi: tuliskan apa yang perlu diperbaiki ASN."})
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": f"Catatan maksimal {NOTE_MAX} karakter (sekarang {len(note)})."})
    write(entry, status=EntryStatus.RETURNED, return_note=note, return_count=(entry.return_count or 0) + 1,
           verified_at=None, verified_by_id=None)
    audit.record("entry.return", entry, actor=verifier, before={"status": EntryStatus.SUBMITTED},
                 after={"status": EntryStatus.RETURNED, "return_count": entry.return_count}, note=note,
                 on_behalf_of=behalf)
    notify(entry.user, "entry_returned", f"Entri {tanggal(entry.entry_date)} dikembalikan untuk diperbaiki",
           body=f"{verifier.name}: {note}", link=path_for("entries.detail", entry_id=entry.id))
    return entry


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
    parse_month(period)
    if any(month_is_closed(uid, period) for uid in {e.unit_id for e in mine}):
        raise Conflict(f"Bulan {bulan(period)} unit ini sudah ditutup; entri terkunci.", code="month_closed")
    todo = [e for e in mine if e.status == EntryStatus.SUBMITTED]
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
    behalf = {uid: on_behalf_of(verifier, units[uid], on_date) for uid in {e.unit_id for e in todo}}
    for e in todo:
        audit.record("entry.verify", e, actor=verifier, before={"status": EntryStatus.SUBMITTED},
                     after={"status": EntryStatus.VERIFIED}, note="Verifikasi sekaligus", on_behalf_of=behalf[e.unit_id])
    for uid in behalf:
        um = get_or_create_unit_month(uid, period)
        audit.record("unit_month.verify_all", um, actor=verifier, on_behalf_of=behalf[uid],
                     after={"user_id": owner.id, "verified": sum(1 for e in todo if e.unit_id == uid)})
    return len(todo)
