"""The ASN's daily entries, their evidence, and the unit-month that locks them once its Kasubag closes it."""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from silabu.core.models import created_at_column, str_enum
from silabu.evidence.blobs import names_blobs
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import Unit, User
    from silabu.catalog.models import OutputCode


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    RETURNED = "returned"


STATUS_LABELS = {
    EntryStatus.DRAFT: "Draf",
    EntryStatus.SUBMITTED: "Diajukan",
    EntryStatus.VERIFIED: "Terverifikasi",
    EntryStatus.RETURNED: "Dikembalikan",
}

ACTIVITY_MAX = 1000
OUTPUT_MAX = 1000
UNIT_MAX = 50
NOTE_MAX = 2000


class Entry(db.Model):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("user_id", "client_uuid"),
        Index("ix_entries_unit_period_status", "unit_id", "period", "status"),
        Index("ix_entries_user_period", "user_id", "period"),
        Index("ix_entries_period_status_unit", "period", "status", "unit_id"),  # the monthly roll-up
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The unit at the time of the entry: it decides who verifies it, even if the ASN moves later.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    entry_date: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM of entry_date, for the unit-month
    output_code_id: Mapped[int] = mapped_column(ForeignKey("output_codes.id"), index=True)
    activity: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_of_measure: Mapped[str] = mapped_column(String(UNIT_MAX))
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus), default=EntryStatus.DRAFT)
    return_note: Mapped[str | None] = mapped_column(Text)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    client_uuid: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic concurrency: two verifiers acting at once -> one wins, the other gets a 409.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship()
    output_code: Mapped[OutputCode] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    evidence: Mapped[list[Evidence]] = relationship(back_populates="entry", order_by="Evidence.id",
                                                      cascade="all, delete-orphan")
    # The unit-month the entry belongs to (none until someone closes or opens it); read-only from here.
    unit_month: Mapped[UnitMonth | None] = relationship(
        primaryjoin=lambda: and_(foreign(Entry.unit_id) == UnitMonth.unit_id, foreign(Entry.period) == UnitMonth.period),
        viewonly=True, uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_locked(self) -> bool:
        """A closed unit-month locks every entry in it (``entries.months`` holds the rule for queries)."""
        return self.unit_month is not None and self.unit_month.is_closed

    @property
    def is_editable(self) -> bool:
        return self.status in (EntryStatus.DRAFT, EntryStatus.RETURNED) and not self.is_locked

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        return f"<Entry {self.id} {self.entry_date} {self.status.value}>"


class UnitMonth(db.Model):
    """One unit's month: open, or closed by its Kasubag (or Plh/Plt), which locks every entry of it."""

    __tablename__ = "unit_months"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(7))
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str | None] = mapped_column(String(1000))

    unit: Mapped[Unit] = relationship()
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])

    def __repr__(self) -> str:
        return f"<UnitMonth {self.unit_id} {self.period} {'closed' if self.is_closed else 'open'}>"


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class Evidence(db.Model):
    """Evidence (bukti dukung) of an entry; the bytes live in storage, addressed by sha256."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    # sha256 of the bytes served (the re-encoded copy for photos), also their storage key.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    # Private: kept for audits of where a photo was taken, never served or shown to other users.
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    entry: Mapped[Entry] = relationship(back_populates="evidence")

    @property
    def taken_on_other_day(self) -> bool:
        """The photo's EXIF time is not on its entry's date: a warning to the ASN and the verifier, never a refusal."""
        return self.taken_at is not None and self.taken_at.date() != self.entry.entry_date

    def __repr__(self) -> str:
        return f"<Evidence {self.id} {self.kind.value} {self.sha256[:10]}>"


names_blobs(Evidence.storage_key, Evidence.thumbnail_key)
