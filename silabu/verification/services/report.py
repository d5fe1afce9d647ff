"""The data of the Kasubag's softfile ("softfile dokumen data kinerja ASN hasil verifikasi") for a unit-month."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts.access import Scope
from silabu.accounts.delegation import acting_for
from silabu.accounts.models import Role, Unit, User
from silabu.accounts.org import today_for
from silabu.accounts.services import first_holder
from silabu.catalog.calendar import MonthCalendar
from silabu.core.clock import parse_period
from silabu.core.errors import Forbidden
from silabu.core.parsing import parse_month
from silabu.entries.compliance import DayTally
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.extensions import db
from silabu.verification.services.access import QUEUE_HOLDERS
from silabu.verification.services.queue import queue


@dataclass
class ReportGroup:
    owner: User
    entries: list[Entry]
    counts: dict[str, int]
    days: DayTally

    @property
    def filled_days(self) -> int:
        return self.days.filled_days

    @property
    def working_days(self) -> int:
        return self.days.working_days

    @property
    def compliance(self) -> float | None:
        return self.days.compliance

    @property
    def quantity_totals(self) -> list[tuple[str, Decimal]]:
        """Quantities per unit of measure: they are never added across units."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for e in self.entries:
            totals[e.unit_of_measure] += e.quantity
        return sorted(totals.items())


@dataclass
class MonthReport:
    """The verified entries of one unit-month per ASN, with totals and who signs."""

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
    knower_name: str = ""  # "Mengetahui": the Sekretaris, when the Kasubag's own entries are in the softfile
    knower_nip: str = ""
    knower_title: str = ""

    @property
    def is_final(self) -> bool:
        """The unit-month is closed: the softfile is the one the Kasubag signs (else provisional, unsigned)."""
        return self.unit_month is not None and bool(self.unit_month.is_closed)


def month_report(unit: Unit, period: str, viewer: User, *, on_date: date | None = None) -> MonthReport:
    """Verified entries of the unit-month per ASN, with totals and the Kasubag who signs."""
    on_date = on_date or today_for(viewer)
    if not Scope(viewer, on_date).full_view(unit.id):
        raise Forbidden(f"Data kinerja {unit.name} hanya dapat diunduh oleh {QUEUE_HOLDERS}.",
                        code="not_verifier_of_unit")
    parse_month(period)
    q = queue(viewer, period, unit_id=unit.id, on_date=on_date, readonly_groups=True, load_entries=False)
    verified = list(db.session.scalars(select(Entry).where(Entry.unit_id == unit.id, Entry.period == period,
                                                           Entry.status == EntryStatus.VERIFIED)
                                       .options(selectinload(Entry.output_code), selectinload(Entry.evidence),
                                                selectinload(Entry.verified_by))
                                       .order_by(Entry.entry_date, Entry.id)))
    by_owner: dict[int, list[Entry]] = defaultdict(list)
    for e in verified:
        by_owner[e.user_id].append(e)
    groups = [ReportGroup(owner=g.owner, entries=by_owner.get(g.owner.id, []), counts=g.counts, days=g.days)
              for g in q.groups]
    head = first_holder(Role.KASUBAG, unit_id=unit.id)
    acting = acting_for(viewer, unit.id, on_date)
    title = f"Kepala {unit.name}" if not unit.name.lower().startswith("kepala") else unit.name
    if acting is not None:
        signer, title = viewer, f"{acting.kind}. {title}"
    else:
        signer = head
    knower = None
    if signer is not None and by_owner.get(signer.id):
        knower = first_holder(Role.SEKRETARIS)
    satker = unit.satker
    return MonthReport(unit=unit, period=period, groups=groups, unit_month=q.unit_months.get(unit.id),
                       knower_name=knower.name if knower else "", knower_nip=(knower.nip or "") if knower else "",
                       knower_title=(f"Sekretaris {satker.name}" if satker else "Sekretaris") if knower else "",
                       signer_name=signer.name if signer else "", signer_nip=(signer.nip or "") if signer else "",
                       signer_title=title, printed_on=on_date, counts=q.unit_counts[unit.id],
                       working_days=len(MonthCalendar(*parse_period(period)).working_days))
