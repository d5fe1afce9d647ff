"""Which units a month counts, and what a packet of that month leaves out (the pleno's guard).

One rule decides which units count: an active unit with staff who log entries (ASN or Kasubag), or any unit
that has entries in the month. A unit without them (the Sekretariat itself, usually) has no month to close and
is never "Belum" anywhere. ``month_completeness`` says, before a build or before finalizing, which counted
units are still open and how many verified entries of the month are not in the packet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from silabu.accounts.models import Role, Unit, User
from silabu.accounts.services import role_holder_ids
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.pleno.models import Packet

# Who is expected to log daily entries.
LOGGING_ROLES = (Role.ASN, Role.KASUBAG)


def counted_unit_ids(period: str) -> set[int]:
    """The units a month counts: active units with staff who log, and any unit with entries in ``period``."""
    staffed = select(User.unit_id).where(User.id.in_(role_holder_ids(*LOGGING_ROLES)))
    with_entries = select(Entry.unit_id).where(Entry.period == period)
    return set(db.session.scalars(select(Unit.id).where(or_(
        (Unit.is_active.is_(True)) & Unit.id.in_(staffed), Unit.id.in_(with_entries)))))


@dataclass
class UnitGap:
    """One counted unit whose month is open, or whose verified entries are not all in the packet."""

    code: str
    name: str
    is_closed: bool
    entries: int  # entries of the month in the unit, any status
    verified: int  # verified entries of the month in the unit now
    in_packet: int  # of those, in the packet (or that a build now would take)

    @property
    def verified_missing(self) -> int:
        return max(self.verified - self.in_packet, 0)

    @property
    def not_in_packet(self) -> int:
        """Entries of the unit's month outside the packet: all of an open month, the late-verified of a closed one."""
        return self.entries - self.in_packet if not self.is_closed else self.verified_missing

    @property
    def text(self) -> str:
        if not self.is_closed:
            return (f"{self.code} ({self.name}): bulan unit belum ditutup; {self.not_in_packet} entri di luar paket, "
                    f"{self.verified_missing} di antaranya sudah terverifikasi")
        return f"{self.code} ({self.name}): {self.verified_missing} entri terverifikasi belum masuk paket"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "is_closed": self.is_closed, "entries": self.not_in_packet,
                "verified_not_in_packet": self.verified_missing}


@dataclass
class Completeness:
    period: str
    units_counted: int
    gaps: list[UnitGap] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.gaps

    @property
    def open_units(self) -> list[UnitGap]:
        return [g for g in self.gaps if not g.is_closed]

    @property
    def entries_missing(self) -> int:
        return sum(g.not_in_packet for g in self.gaps)

    @property
    def message(self) -> str:
        if self.is_complete:
            return "Seluruh unit sudah menutup bulan dan semua entri terverifikasi masuk paket."
        return (f"{len(self.open_units)} dari {self.units_counted} unit belum menutup bulan; {self.entries_missing} "
                "entri bulan ini di luar paket: " + "; ".join(g.text for g in self.gaps) + ".")

    def as_json(self) -> dict[str, Any]:
        return {"units_counted": self.units_counted, "open_units": len(self.open_units),
                "entries_missing": self.entries_missing, "units": [g.as_json() for g in self.gaps],
                "message": self.message}


def month_completeness(period: str, packet: Packet | None = None) -> Completeness:
    """What ``packet`` (or, without one, a build now) leaves out of ``period``: open units, late-verified entries."""
    ids = counted_unit_ids(period)
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code))) if ids else []
    closed = set(db.session.scalars(select(UnitMonth.unit_id).where(UnitMonth.period == period,
                                                                     UnitMonth.is_closed.is_(True))))
    counts: dict[tuple[int, EntryStatus], int] = {
        (unit_id, status): n for unit_id, status, n in db.session.execute(
            select(Entry.unit_id, Entry.status, func.count(Entry.id)).where(Entry.period == period)
            .group_by(Entry.unit_id, Entry.status))}
    in_packet: dict[str, int] | None = None
    if packet is not None:
        in_packet = {str(u["code"]): int(u.get("activities") or 0) for u in (packet.summary or {}).get("units", [])}
    gaps = []
    for unit in units:
        entries = sum(n for (uid, _), n in counts.items() if uid == unit.id)
        verified = counts.get((unit.id, EntryStatus.VERIFIED), 0)
        is_closed = unit.id in closed
        if in_packet is not None:
            taken = in_packet.get(unit.code, 0)
        else:
            taken = verified if is_closed else 0
        gap = UnitGap(unit.code, unit.name, is_closed, entries, verified, taken)
        if not is_closed or gap.verified_missing:
            gaps.append(gap)
    return Completeness(period, len(units), gaps)
