"""The unit-month: open, or closed by the Kasubag (its verified entries locked)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.extensions import db


class UnitMonth(db.Model):
    __tablename__ = "unit_months"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(7))
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    closed_on_behalf_of: Mapped[Optional[str]] = mapped_column(String(200))
    reopened_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    reopened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[Optional[str]] = mapped_column(String(1000))

    unit = relationship("Unit")
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    reopened_by = relationship("User", foreign_keys=[reopened_by_id])

    def __repr__(self) -> str:
        return f"<UnitMonth {self.unit_id} {self.period} {'closed' if self.is_closed else 'open'}>"
