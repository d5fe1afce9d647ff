"""The output-code catalogue (RKA/DIPA), office closures, and the Perjanjian Kinerja indicators."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import created_at_column, str_enum
from silabu.extensions import db


class CodeLevel(enum.StrEnum):
    """The levels of Program.Kegiatan.KRO.RO; only an RO is specific enough to log work under."""

    PROGRAM = "program"
    KEGIATAN = "kegiatan"
    KRO = "kro"
    RO = "ro"


# How many dot-separated parts a code of each level has (076.01.WA = program.kegiatan... by position).
CODE_LEVELS = {3: CodeLevel.PROGRAM, 4: CodeLevel.KEGIATAN, 5: CodeLevel.KRO, 6: CodeLevel.RO}


class OutputCode(db.Model):
    """One line of the budget classification Program.Kegiatan.KRO.RO, e.g. 076.01.WA.4499.EBA.962."""

    __tablename__ = "output_codes"
    __table_args__ = (UniqueConstraint("satker_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"), index=True)  # accounts.tenancy
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    default_unit: Mapped[str] = mapped_column(String(50), default="")
    level: Mapped[CodeLevel] = mapped_column(str_enum(CodeLevel, 20), default=CodeLevel.RO)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("output_codes.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()

    parent: Mapped[OutputCode | None] = relationship(remote_side="OutputCode.id")

    @property
    def is_usable(self) -> bool:
        """Entries are logged against RO lines (the leaves of the catalogue)."""
        return self.is_active and self.level == CodeLevel.RO

    def __repr__(self) -> str:
        return f"<OutputCode {self.code}>"


class FavoriteCode(db.Model):
    __tablename__ = "favorite_codes"
    __table_args__ = (UniqueConstraint("user_id", "output_code_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    output_code_id: Mapped[int] = mapped_column(ForeignKey("output_codes.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<FavoriteCode user={self.user_id} code={self.output_code_id}>"


class ClosureKind(enum.StrEnum):
    CUTI_BERSAMA = "cuti_bersama"
    CLOSURE = "closure"  # office closed for another reason (e.g. a regional decree)
    WORKDAY = "workday"  # a weekend or holiday declared a working day


class OfficeDay(db.Model):
    """Admin-set exceptions to the national calendar: cuti bersama, closures, extra working days."""

    __tablename__ = "office_days"
    __table_args__ = (UniqueConstraint("satker_id", "day"),)  # each satker's additions to the national calendar

    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"), index=True)  # accounts.tenancy
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[ClosureKind] = mapped_column(str_enum(ClosureKind))
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<OfficeDay {self.day} {self.kind.value}>"


class Polarity(enum.StrEnum):
    HIGHER = "+"
    LOWER = "-"


class Consolidation(enum.StrEnum):
    SUM = "sum"
    LAST = "last"
    AVG = "avg"


class Measure(enum.StrEnum):
    """How an indicator's realisasi is measured (DOMAIN.md, "Capaian")."""

    SUM_QUANTITY = "sum_quantity"  # quantities of verified entries of its codes, in the indicator's own unit
    COUNT_ENTRIES = "count_entries"  # the number of those entries, whatever their unit
    COUNT_FINAL_PACKETS = "count_final_packets"  # months whose pleno packet is final
    MANUAL = "manual"  # entered by Rendatin with evidence


class Indicator(db.Model):
    """An indicator of the Perjanjian Kinerja of one report (LKJ-SEK, LKJ-KPU) and year."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("satker_id", "year", "report_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"), index=True)  # accounts.tenancy
    year: Mapped[int] = mapped_column(Integer, index=True)
    report_code: Mapped[str] = mapped_column(String(20))
    sasaran_code: Mapped[str] = mapped_column(String(20))
    sasaran: Mapped[str] = mapped_column(String(400))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(400))
    unit: Mapped[str] = mapped_column(String(50))
    target_year: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    polarity: Mapped[Polarity] = mapped_column(str_enum(Polarity, 2))
    consolidation: Mapped[Consolidation] = mapped_column(str_enum(Consolidation, 10))
    output_code_id: Mapped[int | None] = mapped_column(ForeignKey("output_codes.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    measure: Mapped[Measure] = mapped_column(str_enum(Measure, 30), default=Measure.SUM_QUANTITY,
                                             server_default=Measure.SUM_QUANTITY.value)
    # The Renstra's end-of-period target, for Bab III's comparison (optional).
    target_renstra: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    output_code: Mapped[OutputCode | None] = relationship()

    def __repr__(self) -> str:
        return f"<Indicator {self.year} {self.report_code} {self.code}>"
