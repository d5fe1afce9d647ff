"""Who opens which verification pages, and who closes a unit-month (the rule of who verifies is ``Scope``)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from silabu.accounts.access import Scope, scope_for
from silabu.accounts.delegation import acting_for, is_unit_head
from silabu.accounts.models import Role, Unit, User
from silabu.accounts.org import today_for
from silabu.core.errors import Forbidden, NotFound
from silabu.entries.models import Entry
from silabu.extensions import db

# Who follows every unit's progress (DOMAIN.md: the Sekretaris sees overdue verification).
OVERSEER_ROLES = (Role.SEKRETARIS,)


QUEUE_HOLDERS = "Kepala Sub Bagian unit itu (atau Plh/Plt-nya) dan Sekretaris"


def unit_for_viewer(user: User, unit_code: str, *, on_date: date | None = None) -> Unit:
    """The unit if ``user`` may open its verification pages. A unit that exists is no secret (every page names
    the satker's units), so one the user may not open is refused with the reason (403); 404 only when there is no
    such unit."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (unit_code or "").strip().upper()))
    if unit is None:
        raise NotFound("Unit tidak ditemukan.")
    assert_may_open_unit(user, unit, on_date=on_date)
    return unit


def assert_may_open_unit(user: User, unit: Unit, *, on_date: date | None = None) -> None:
    """403 with the reason when ``user`` may not open the verification queue or data of ``unit``."""
    if scope_for(user, on_date).visible(unit.id):
        return
    raise Forbidden(f"Antrean verifikasi {unit.name} hanya dapat dibuka oleh {QUEUE_HOLDERS}.",
                    code="not_verifier_of_unit")


def assert_opens_queue(user: User, on_date: date | None = None) -> None:
    """The verification pages at all: 403 with the reason for someone who verifies no unit."""
    if not scope_for(user, on_date).opens_queue:
        raise Forbidden("Halaman verifikasi hanya untuk Kepala Sub Bagian, Plh/Plt verifikator yang ditetapkan, "
                        "dan Sekretaris. Entri Anda sendiri ada di Bulan ini.", code="no_queue")


def assert_may_verify(entry: Entry, verifier: User, on_date: date | None = None) -> None:
    """Forbidden when ``verifier`` sees the entry but may not verify it (their own, or not their unit); NotFound
    when they may not even see it. Callers check this before reading anything else of the request."""
    scope = Scope(verifier, on_date or today_for(verifier))
    if scope.can_verify_entry(entry):
        return
    if entry.user_id == verifier.id and verifier.has_role(Role.KASUBAG):
        raise Forbidden("Entri Anda sendiri tidak dapat Anda verifikasi; entri Kepala Sub Bagian diverifikasi "
                        "oleh Sekretaris atau verifikator yang ditetapkan.", code="own_entry")
    if scope.can_view_entry(entry):
        raise Forbidden("Anda bukan verifikator entri ini.", code="not_verifier")
    raise NotFound("Entri tidak ditemukan.")


def can_close(actor: User, unit: Unit, on_date: date) -> bool:
    """Close and reopen: the unit's Kasubag or its Plh/Plt on that day (an admin keeps settings, not the work)."""
    return is_unit_head(actor, unit.id) or acting_for(actor, unit.id, on_date) is not None


def assert_may_close(actor: User, unit: Unit, on_date: date | None = None, *, doing: str = "Penutupan bulan") -> None:
    """Close or reopen: the unit's Kasubag or its Plh/Plt; anyone else gets 403 with the reason (the unit exists and
    its name is no secret). Checked before the month or the reason is looked at."""
    if can_close(actor, unit, on_date or today_for(actor)):
        return
    raise Forbidden(f"{doing} {unit.name} dilakukan oleh Kepala Sub Bagian unit itu (atau Plh/Plt-nya).",
                    code="not_unit_head")


def assert_may_reopen(actor: User, unit: Unit, on_date: date | None = None) -> None:
    assert_may_close(actor, unit, on_date, doing="Pembukaan kembali")


def may_oversee(actor: User) -> bool:
    return actor.has_role(*OVERSEER_ROLES)


def assert_may_oversee(actor: User) -> None:
    if not may_oversee(actor):
        raise Forbidden("Pantauan verifikasi hanya untuk Sekretaris.")
