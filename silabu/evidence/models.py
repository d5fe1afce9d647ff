"""Evidence (bukti dukung) attached to entries; the bytes live in storage, addressed by sha256."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import created_at_column, str_enum
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.entries.models import Entry


class EvidenceKind(str, enum.Enum):
    PHOTO = "photo"
    DOCUMENT = "document"


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    # sha256 of the bytes served (the re-encoded copy for photos), also their storage key.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[Optional[str]] = mapped_column(String(200))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    width: Mapped[Optional[int]] = mapped_column(Integer)
    height: Mapped[Optional[int]] = mapped_column(Integer)
    taken_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=False))
    # Private: kept for audits of where a photo was taken, never served or shown to other users.
    gps_lat: Mapped[Optional[float]] = mapped_column(Float)
    gps_lon: Mapped[Optional[float]] = mapped_column(Float)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    entry: Mapped["Entry"] = relationship(back_populates="evidence")

    def __repr__(self) -> str:
        return f"<Evidence {self.id} {self.kind.value} {self.sha256[:10]}>"
