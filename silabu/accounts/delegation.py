"""Acting verifiers (Plh/Plt): who stands in for a unit's Kasubag on a given day, and their appointment.

- The Sekretaris or the admin appoints a Plh/Plt for a unit over a date range, and may revoke it early.
- A delegation is active on a day from its start to its end date (inclusive) until it is revoked; every rule
  that asks "who acts for this unit today" reads ``delegations_on``.
- Nobody appoints themselves (separation of duties: the attempt is refused and logged), and a unit's own Kasubag
  is not appointed for it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts.models import Delegation, DelegationKind, Role, Unit, User
from silabu.core import audit
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.core.formatting import tanggal
from silabu.extensions import db

REASON_MAX = 500
# Who appoints Plh/Plt: an organisation setting, kept by the admin and the Sekretaris.
DELEGATOR_ROLES = (Role.SEKRETARIS, Role.ADMIN)


def delegations_on(on_date: date, *, unit_id: int | None = None, delegate: User | None = None) -> list[Delegation]:
    """Delegations active on ``on_date`` (optionally of one unit, or of one person), with unit and delegate."""
    q = (select(Delegation).where(Delegation.revoked_at.is_(None), Delegation.start_date <= on_date,
                                  Delegation.end_date >= on_date)
         .options(selectinload(Delegation.unit), selectinload(Delegation.delegate))
         .order_by(Delegation.start_date, Delegation.id))
    if unit_id is not None:
        q = q.where(Delegation.unit_id == unit_id)
    if delegate is not None:
        q = q.where(Delegation.delegate_id == delegate.id)
    return list(db.session.scalars(q))


def is_unit_head(user: User, unit_id: int) -> bool:
    """The unit's own Kepala Sub Bagian."""
    return user.unit_id == unit_id and user.has_role(Role.KASUBAG)


def acting_for(user: User, unit_id: int, on_date: date) -> Delegation | None:
    """The delegation under which ``user`` acts for the unit on that day; None for its own Kasubag or nobody."""
    if is_unit_head(user, unit_id):
        return None
    return next((d for d in delegations_on(on_date, delegate=user) if d.unit_id == unit_id), None)


def on_behalf_of(user: User, unit: Unit, on_date: date) -> str | None:
    """'a.n. <unit>' for an act under a Plh/Plt delegation (the audit log and the papers say so)."""
    return f"a.n. {unit.name}" if acting_for(user, unit.id, on_date) is not None else None


def may_delegate(actor: User) -> bool:
    return actor.has_role(*DELEGATOR_ROLES)


def assert_may_delegate(actor: User) -> None:
    """Plh/Plt are appointed, listed and revoked by an admin or the Sekretaris only (403 for everyone else)."""
    if not may_delegate(actor):
        raise Forbidden("Hanya admin atau Sekretaris yang dapat mengelola penunjukan Plh/Plt verifikator.")


def delegate(unit: Unit | None, delegate_user: User | None, start_date: date | None, end_date: date | None,
             actor: User, kind: str = "Plh", reason: str = "") -> Delegation:
    """Let ``delegate_user`` verify ``unit`` from ``start_date`` to ``end_date`` (inclusive) as Plh/Plt."""
    from silabu.notifications.services import notify

    assert_may_delegate(actor)
    if delegate_user is not None and delegate_user.id == actor.id:
        audit.record_refusal("delegation.self_refused", actor=actor, object_type="delegations",
                             after={"unit": unit.code if unit else None, "delegate_id": actor.id})
        raise Forbidden("Anda tidak dapat menunjuk diri sendiri sebagai Plh/Plt: penunjukan dilakukan oleh orang "
                        "lain (pemisahan tugas).", code="self_delegation")
    errors: dict[str, str] = {}
    try:
        kind_value = DelegationKind((kind or "Plh").strip().capitalize())
    except ValueError:
        kind_value = DelegationKind.PLH
        errors["kind"] = "Jenis harus Plh atau Plt."
    if unit is None:
        errors["unit"] = "Pilih unit."
    elif not unit.is_active:
        errors["unit"] = "Unit tidak aktif."
    if not isinstance(start_date, date):
        errors["start_date"] = "Tanggal mulai wajib diisi."
    if not isinstance(end_date, date):
        errors["end_date"] = "Tanggal selesai wajib diisi."
    elif isinstance(start_date, date) and end_date < start_date:
        errors["end_date"] = "Tanggal selesai tidak boleh sebelum tanggal mulai."
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        errors["reason"] = f"Alasan maksimal {REASON_MAX} karakter."
    if delegate_user is None or not delegate_user.is_active_account:
        errors["delegate"] = "Pilih pegawai yang aktif."
    elif unit is not None and is_unit_head(delegate_user, unit.id):
        errors["delegate"] = "Pegawai ini sudah Kepala Sub Bagian unit tersebut."
    if errors:
        raise ValidationFailed(errors)
    assert unit is not None and delegate_user is not None and start_date is not None and end_date is not None
    overlap = db.session.scalar(select(Delegation.id).where(
        Delegation.unit_id == unit.id, Delegation.delegate_id == delegate_user.id, Delegation.revoked_at.is_(None),
        Delegation.start_date <= end_date, Delegation.end_date >= start_date).limit(1))
    if overlap is not None:
        raise ValidationFailed({"start_date": "Pegawai ini sudah ditunjuk untuk unit ini pada sebagian rentang "
                                              "tanggal tersebut."})
    row = Delegation(unit_id=unit.id, delegate_id=delegate_user.id, start_date=start_date, end_date=end_date,
                     kind=kind_value, reason=reason, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("delegation.create", row, actor=actor,
                 after={"unit": unit.code, "delegate_id": delegate_user.id, "delegate": delegate_user.name,
                        "kind": kind_value, "start_date": start_date, "end_date": end_date, "reason": reason})
    from silabu.core.links import path_for

    notify(delegate_user, "delegation", f"Anda ditunjuk sebagai {kind_value} verifikator {unit.name}",
           body=f"Berlaku {tanggal(start_date)} s.d. {tanggal(end_date)}." + (f" {reason}" if reason else ""),
           link=path_for("verification.index"))
    return row


def revoke(delegation: Delegation, actor: User) -> Delegation:
    """End a delegation now; acts already taken under it stay as recorded."""
    assert_may_delegate(actor)
    if delegation.revoked_at is not None:
        raise Conflict("Penunjukan ini sudah dicabut.", code="already_revoked")
    delegation.revoked_at = utcnow()
    db.session.flush()
    audit.record("delegation.revoke", delegation, actor=actor, before={"revoked_at": None},
                 after={"revoked_at": delegation.revoked_at})
    return delegation


def listing(*, include_revoked: bool = False) -> list[Delegation]:
    """Every appointment, latest ending first (the Plh/Plt page and API)."""
    q = (select(Delegation).options(selectinload(Delegation.unit), selectinload(Delegation.delegate),
                                    selectinload(Delegation.created_by))
         .order_by(Delegation.end_date.desc(), Delegation.id.desc()))
    if not include_revoked:
        q = q.where(Delegation.revoked_at.is_(None))
    return list(db.session.scalars(q))


def get(delegation_id: int) -> Delegation:
    row = db.session.get(Delegation, delegation_id)
    if row is None:
        raise NotFound("Penunjukan tidak ditemukan.")
    return row
