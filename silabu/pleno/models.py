"""Monthly pleno packets: versions per month, their files, and the pleno's outcome."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import str_enum
from silabu.evidence.blobs import names_blobs
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import User



class PacketStatus(enum.StrEnum):
    DRAFT = "draft"
    PRESENTED = "presented"
    FINAL = "final"
    SUPERSEDED = "superseded"  # a final version a correction pleno replaced; kept, never counted again


PACKET_STATUS_LABELS = {PacketStatus.DRAFT: "Draf", PacketStatus.PRESENTED: "Sudah dipaparkan",
                        PacketStatus.FINAL: "Final", PacketStatus.SUPERSEDED: "Final, diganti koreksi"}


class Packet(db.Model):
    __tablename__ = "packets"
    __table_args__ = (UniqueConstraint("satker_id", "kind", "period", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"), index=True)  # accounts.tenancy
    # "satker": the satker's own month; "provinsi": a province's roll-up of its children's final packets.
    kind: Mapped[str] = mapped_column(String(20), default="satker", server_default="satker")
    period: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PacketStatus] = mapped_column(str_enum(PacketStatus), default=PacketStatus.DRAFT)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    built_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_sha256: Mapped[str] = mapped_column(String(64), default="")
    presented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    presented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    berita_acara_number: Mapped[str | None] = mapped_column(String(120))
    pleno_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # Finalized although units were open or verified entries missing: why (as the Berita Acara records it), and what.
    incomplete_reason: Mapped[str | None] = mapped_column(Text)
    incomplete_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A correction pleno: the final version this one replaces once final, and why.
    supersedes_version: Mapped[int | None] = mapped_column(Integer)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    files: Mapped[list[PacketFile]] = relationship(back_populates="packet", order_by="PacketFile.id",
                                                     cascade="all, delete-orphan")
    built_by: Mapped[User | None] = relationship(foreign_keys=[built_by_id])

    def __repr__(self) -> str:
        return f"<Packet {self.period} v{self.version} {self.status.value}>"


class PacketFile(db.Model):
    __tablename__ = "packet_files"
    __table_args__ = (UniqueConstraint("packet_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))

    packet: Mapped[Packet] = relationship(back_populates="files")

    def __repr__(self) -> str:
        return f"<PacketFile {self.name}>"


names_blobs(PacketFile.storage_key)
