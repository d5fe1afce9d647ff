"""Who may see and act on what. Pages use the decorators; services use the predicates."""
from __future__ import annotations

from datetime import date
from functools import wraps
from typing import Callable

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from silabu.accounts.models import Delegation, Role, Unit, User
from silabu.extensions import db


def role_required(*roles: str | Role) -> Callable:
    """Page decorator: the user must hold one of ``roles`` (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def active_delegations(user: User, on_date: date) -> list[Delegation]:
    return list(db.session.scalars(select(Delegation).where(
        Delegation.delegate_id == user.id, Delegation.revoked_at.is_(None),
        Delegation.start_date <= on_date, Delegation.end_date >= on_date)))


def verifier_unit_ids(user: User, on_date: date) -> set[int]:
    """Units whose staff entries ``user`` verifies on ``on_date``: as their Kasubag, or as Plh/Plt."""
    units: set[int] = set()
    if user.has_role(Role.KASUBAG):
        units.add(user.unit_id)
    units.update(d.unit_id for d in active_delegations(user, on_date))
    return units


def is_unit_head(user: User, unit_id: int) -> bool:
    return user.unit_id == unit_id and user.has_role(Role.KASUBAG)


def head_verifier_for(unit: Unit, user: User) -> bool:
    """Whether ``user`` verifies the Kasubag's own entries of ``unit`` (configured, else the Sekretaris)."""
    if unit.head_verifier_id is not None:
        return unit.head_verifier_id == user.id
    return user.has_role(Role.SEKRETARIS)


def delegation_for(user: User, unit_id: int, on_date: date) -> Delegation | None:
    """The delegation under which ``user`` acts for the unit, when not its own Kasubag."""
    if is_unit_head(user, unit_id):
        return None
    for d in active_delegations(user, on_date):
        if d.unit_id == unit_id:
            return d
    return None


def verifies(verifier: User, owner: User, unit: Unit, staff_unit_ids: set[int],
             heads: Callable[[Unit], bool]) -> bool:
    """The one rule of who verifies an entry of ``owner`` logged in ``unit``.

    Nobody verifies their own work; a Kasubag's own entries go to the unit's head verifier (``heads``);
    everyone else's go to whoever verifies the unit's staff (``staff_unit_ids``: Kasubag or Plh/Plt).
    """
    if owner.id == verifier.id:
        return False
    if is_unit_head(owner, unit.id):
        return heads(unit)
    return unit.id in staff_unit_ids


def can_verify_entry(user: User, entry, on_date: date) -> bool:  # noqa: ANN001
    return verifies(user, entry.user, entry.unit, verifier_unit_ids(user, on_date),
                    lambda unit: head_verifier_for(unit, user))


def can_view_entries_of(viewer: User, owner: User, on_date: date) -> bool:
    """Whether ``viewer`` may list ``owner``'s entries at all (each entry is still checked on its own)."""
    if viewer.id == owner.id or viewer.has_role(Role.SEKRETARIS):
        return True
    if is_unit_head(owner, owner.unit_id):
        return head_verifier_for(owner.unit, viewer)
    return owner.unit_id in verifier_unit_ids(viewer, on_date)


def can_view_entry(user: User, entry, on_date: date) -> bool:  # noqa: ANN001
    if entry.user_id == user.id or user.has_role(Role.SEKRETARIS):
        return True
    return can_verify_entry(user, entry, on_date)
