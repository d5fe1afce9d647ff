"""Who may see and act on what. Pages use the decorators; services, the queue, the API and the menu use ``Scope``.

The rule of who verifies an entry is written once, in ``Scope.can_verify``:
- nobody verifies their own work, nor work of another satker;
- a Kasubag's own entries go to the unit's head verifier (configured per unit, else the Sekretaris);
- everyone else's go to whoever verifies the unit's staff that day: its Kasubag, or its Plh/Plt.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import cached_property, wraps
from typing import TYPE_CHECKING

from flask_login import current_user, login_required
from sqlalchemy import select

from silabu.accounts.delegation import delegations_on, is_unit_head
from silabu.accounts.models import Role, Unit, User
from silabu.core.errors import Forbidden
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.entries.models import Entry


def roles_reason(roles: Iterable[str | Role]) -> str:
    """Why a role-restricted page is refused, in the reader's words: who it is for."""
    from silabu.accounts.models import ROLE_LABELS

    names = {**ROLE_LABELS, Role.KETUA: "Ketua"}  # the admin's label "Ketua/Komisioner" would promise too much here
    labels = list(dict.fromkeys(names.get(Role(r), str(r)) for r in roles))
    who = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " dan " + labels[-1]
    return f"Halaman ini hanya untuk {who}; peran akun Anda tidak termasuk."


def role_required(*roles: str | Role) -> Callable:
    """Page decorator: the user must hold one of ``roles`` (403 with who the page is for, otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                raise Forbidden(roles_reason(roles))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def head_verifier_for(unit: Unit, user: User) -> bool:
    """Whether ``user`` verifies the Kasubag's own entries of ``unit`` (configured, else the Sekretaris)."""
    if unit.head_verifier_id is not None:
        return unit.head_verifier_id == user.id
    return user.has_role(Role.SEKRETARIS)


class Scope:
    """What one person may verify and see on one day, computed once (the queue filters hundreds of entries with it)."""

    def __init__(self, user: User, on_date: date) -> None:
        self.user, self.on_date = user, on_date
        self.delegations = delegations_on(on_date, delegate=user)
        self.staff_unit_ids: set[int] = {d.unit_id for d in self.delegations}
        if user.has_role(Role.KASUBAG):
            self.staff_unit_ids.add(user.unit_id)
        self.oversees = user.has_role(Role.SEKRETARIS)

    @cached_property
    def _units(self) -> dict[int, Unit]:
        return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.code))}

    @cached_property
    def head_unit_ids(self) -> set[int]:
        """Units whose Kasubag's own entries this person verifies."""
        return {u.id for u in self._units.values() if head_verifier_for(u, self.user)}

    def can_verify(self, owner: User, unit: Unit) -> bool:
        """The one rule of who verifies an entry of ``owner`` logged in ``unit``."""
        if owner.id == self.user.id or unit.satker_id != self.user.unit.satker_id:
            return False  # nobody verifies their own work, nor another satker's (a province reads, never acts)
        if is_unit_head(owner, unit.id):
            return unit.id in self.head_unit_ids if unit.id in self._units else head_verifier_for(unit, self.user)
        return unit.id in self.staff_unit_ids

    def can_verify_entry(self, entry: Entry) -> bool:
        return self.can_verify(entry.user, entry.unit)

    def can_view_entry(self, entry: Entry) -> bool:
        """Its owner; once handed in, also its verifiers and the Sekretaris. A draft is its owner's own."""
        from silabu.entries.models import EntryStatus

        if entry.user_id == self.user.id:
            return True
        if entry.status == EntryStatus.DRAFT:
            return False
        return self.oversees or self.can_verify_entry(entry)

    def can_view_entries_of(self, owner: User) -> bool:
        """Whether this person may list ``owner``'s entries at all (each entry is still checked on its own)."""
        if owner.id == self.user.id or self.oversees:
            return True
        if is_unit_head(owner, owner.unit_id):
            return head_verifier_for(owner.unit, self.user)
        return owner.unit_id in self.staff_unit_ids

    def full_view(self, unit_id: int) -> bool:
        """Sees every ASN of the unit (the verifier of its staff, the Sekretaris)."""
        return unit_id in self.staff_unit_ids or self.oversees

    def visible(self, unit_id: int) -> bool:
        return self.full_view(unit_id) or unit_id in self.head_unit_ids

    @property
    def opens_queue(self) -> bool:
        """Has a verification queue: the menu shows it, the pages and the API open it."""
        return bool(self.staff_unit_ids) or self.oversees or bool(self.head_unit_ids)

    def units(self) -> list[Unit]:
        """Units whose queue this person opens: their own verification units first, then the rest they see."""
        ids = set(self.staff_unit_ids) | self.head_unit_ids
        return sorted((self._units[i] for i in ids if i in self._units),
                      key=lambda u: (u.id not in self.staff_unit_ids, u.code))


def scope_for(user: User, on_date: date | None = None) -> Scope:
    from silabu.accounts.org import today_for

    return Scope(user, on_date or today_for(user))


def can_verify_entry(user: User, entry: Entry, on_date: date) -> bool:
    return Scope(user, on_date).can_verify_entry(entry)


def can_view_entry(user: User, entry: Entry, on_date: date) -> bool:
    return Scope(user, on_date).can_view_entry(entry)


def assert_can_view_entry(user: User, entry: Entry, on_date: date) -> None:
    """NotFound for an entry the person does not see in any form; for a verified entry whose data they read in the
    pleno packets (Rendatin, the Ketua), 403 with the reason instead: it exists for them, only not this page."""
    if can_view_entry(user, entry, on_date):
        return
    from silabu.core.errors import NotFound
    from silabu.entries.models import EntryStatus
    from silabu.pleno.services import can_view as reads_packets

    if entry.status == EntryStatus.VERIFIED and reads_packets(user):
        raise Forbidden("Rincian entri hanya dapat dibuka oleh pemiliknya, verifikatornya dan Sekretaris; data entri "
                        "yang sudah diverifikasi Anda baca di paket pleno bulanan.", code="packet_reader")
    raise NotFound("Entri tidak ditemukan.")
