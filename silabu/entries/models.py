"""The ASN's daily entries."""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import created_at_column, str_enum
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import Unit, User
    from silabu.catalog.models import OutputCode
    from silabu.evidence.models import Evidence


class EntryStatus(str, enum.Enum):
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
    start_time: Mapped[Optional[time]] = mapped_column(Time)
    end_time: Mapped[Optional[time]] = mapped_column(Time)
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus), default=EntryStatus.DRAFT)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    return_note: Mapped[Optional[str]] = mapped_column(Text)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    client_uuid: Mapped[Optional[str]] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Optimistic concurrency: two verifiers acting at once -> one wins, the other gets a 409.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])
    unit: Mapped["Unit"] = relationship()
    output_code: Mapped["OutputCode"] = relationship()
    verified_by: Mapped[Optional["User"]] = relationship(foreign_keys=[verified_by_id])
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="entry", order_by="Evidence.id",
                                                      cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_editable(self) -> bool:
        return self.status in (EntryStatus.DRAFT, EntryStatus.RETURNED) and not self.is_locked

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        return f"<Entry {self.id} {self.entry_date} {self.status.value}>"
