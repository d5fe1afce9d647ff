"""The unit-month lock, and what a closed month counts: one rule for the entry service, verification, the
roll-up, the packet files and the LKj.

- A unit-month is closed by its Kasubag (or Plh/Plt) from its last working day on; closing locks every entry of
  it, for the ASN and the verifier alike, until it is reopened with a reason.
- What the pleno counts of a month ("counted") is its verified entries in unit-months that are closed: an open
  month's entries are still changing, and an entry not verified when its month closed is reported, not counted.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.exc import IntegrityError

from silabu.core.errors import Conflict
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.extensions import db

LOCKED_MESSAGE = "Bulan entri ini sudah ditutup; entri terkunci dan tidak dapat diubah."


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


def month_is_closed(unit_id: int, period: str) -> bool:
    """Whether the unit's month is closed, read from the database now (not from a copy held in the session).

    The row is read whole and refreshes the session's copy, so ``read_unit_month`` can hand it to a new entry
    without asking again."""
    row = db.session.scalar(select(UnitMonth).where(UnitMonth.unit_id == unit_id, UnitMonth.period == period)
                            .execution_options(populate_existing=True))
    return bool(row is not None and row.is_closed)


def read_unit_month(unit_id: int, period: str) -> UnitMonth | None:
    """The unit-month row as ``month_is_closed`` last read it in this session (None: there is no row)."""
    for obj in db.session.identity_map.values():
        if isinstance(obj, UnitMonth) and obj.unit_id == unit_id and obj.period == period:
            return obj
    return None


def assert_unlocked(entry: Entry) -> None:
    """A closed unit-month locks every entry in it, for the ASN and the verifier alike."""
    if month_is_closed(entry.unit_id, entry.period):
        raise Conflict(LOCKED_MESSAGE, code="entry_locked")


def of_entry() -> ColumnElement[bool]:
    """Join condition: the unit-month row of an entry."""
    return and_(UnitMonth.unit_id == Entry.unit_id, UnitMonth.period == Entry.period)


def closed() -> ColumnElement[bool]:
    """The entry's unit-month is closed (for a query that joins ``UnitMonth`` on ``of_entry()``)."""
    return UnitMonth.is_closed.is_(True)


def counted() -> ColumnElement[bool]:
    """The entries a month's figures are made of: verified, in a closed unit-month (join ``UnitMonth`` on ``of_entry``)."""
    return and_(Entry.status == EntryStatus.VERIFIED, closed())


def counted_exists() -> ColumnElement[bool]:
    """``counted()`` as a self-contained condition on ``Entry``, for queries that do not join ``UnitMonth``."""
    return and_(Entry.status == EntryStatus.VERIFIED,
                exists().where(of_entry(), UnitMonth.is_closed.is_(True)))
