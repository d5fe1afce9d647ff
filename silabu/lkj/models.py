"""The annual Laporan Kinerja: Rencana Aksi targets, manual realisasi, kategori bands, the report, its compiled
versions and every review step (Kupang steps 8-15, Bengkulu 3-6, Banten 6-9)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import created_at_column, str_enum
from silabu.evidence.blobs import names_blobs
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import User
    from silabu.catalog.models import Indicator, OutputCode



class TargetPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


class IndicatorTarget(db.Model):
    """A Rencana Aksi target of one indicator for one month (1-12) or quarter (1-4), for that period alone."""

    __tablename__ = "lkj_indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "period_kind", "period_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    period_kind: Mapped[TargetPeriod] = mapped_column(str_enum(TargetPeriod, 10))
    period_index: Mapped[int] = mapped_column(Integer)
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    indicator: Mapped[Indicator] = relationship()

    def __repr__(self) -> str:
        return f"<IndicatorTarget {self.indicator_id} {self.period_kind.value}{self.period_index}={self.target}>"


class IndicatorOutputCode(db.Model):
    """Further output codes (beside ``Indicator.output_code``) whose verified quantities count as realisasi."""

    __tablename__ = "lkj_indicator_output_codes"
    __table_args__ = (UniqueConstraint("indicator_id", "output_code_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    output_code_id: Mapped[int] = mapped_column(ForeignKey("output_codes.id"))

    output_code: Mapped[OutputCode] = relationship()

    def __repr__(self) -> str:
        return f"<IndicatorOutputCode {self.indicator_id} -> {self.output_code_id}>"


class ManualRealisasi(db.Model):
    """Realisasi entered by Rendatin for a month where no daily entry measures it (e.g. the IKPA score)."""

    __tablename__ = "lkj_manual_realisasi"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_key: Mapped[str | None] = mapped_column(String(200))
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_content_type: Mapped[str | None] = mapped_column(String(120))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = created_at_column()

    indicator: Mapped[Indicator] = relationship()
    entered_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ManualRealisasi {self.indicator_id} {self.period}={self.value}>"


class KategoriBand(db.Model):
    """A configurable kategori: capaian >= ``min_capaian`` (NULL: below every other band)."""

    __tablename__ = "lkj_kategori_bands"

    id: Mapped[int] = mapped_column(primary_key=True)
    min_capaian: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    label: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<KategoriBand {self.min_capaian} {self.label}>"


class LkjStatus(enum.StrEnum):
    DRAFT = "draft"
    KOREKSI = "koreksi"
    PLENO = "pleno"
    REVISI = "revisi"
    PARAF = "paraf"
    TANDA_TANGAN = "tanda_tangan"
    DITANDATANGANI = "ditandatangani"
    DIKIRIM = "dikirim"
    ARSIP = "arsip"


LKJ_STATUS_LABELS = {
    LkjStatus.DRAFT: "Draf",
    LkjStatus.KOREKSI: "Koreksi",
    LkjStatus.PLENO: "Pemaparan dalam rapat pleno",
    LkjStatus.REVISI: "Perbaikan",
    LkjStatus.PARAF: "Paraf",
    LkjStatus.TANDA_TANGAN: "Tanda tangan",
    LkjStatus.DITANDATANGANI: "Ditandatangani, siap dikirim",
    LkjStatus.DIKIRIM: "Dikirim",
    LkjStatus.ARSIP: "Diarsipkan",
}
SIGNED_STATUSES = frozenset({LkjStatus.DITANDATANGANI, LkjStatus.DIKIRIM, LkjStatus.ARSIP})


LKJ_PERIODS = ("tahun", "s1", "s2")  # the annual report, Semester I (months 1-6), Semester II (months 7-12)


class LkjReport(db.Model):
    """One Laporan Kinerja (a year, a report code and a period, e.g. 2026 LKJ-SEK tahun) and where it stands in
    its review. The period is the annual report ("tahun") or a semester report ("s1", "s2", Mentawai)."""

    __tablename__ = "lkj_reports"
    __table_args__ = (UniqueConstraint("satker_id", "year", "report_code", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"), index=True)  # accounts.tenancy
    year: Mapped[int] = mapped_column(Integer)
    report_code: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10), default="tahun", server_default="tahun")
    status: Mapped[LkjStatus] = mapped_column(str_enum(LkjStatus), default=LkjStatus.DRAFT)
    # The narrative as the team is writing it; each compiled version keeps its own copy.
    narrative: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    pleno_rounds: Mapped[int] = mapped_column(Integer, default=0)
    signed_version: Mapped[int | None] = mapped_column(Integer)
    sent_date: Mapped[date | None] = mapped_column(Date)
    letter_number: Mapped[str | None] = mapped_column(String(120))
    sent_to: Mapped[str | None] = mapped_column(String(200))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    letter_subject: Mapped[str | None] = mapped_column(String(300))  # perihal of the cover letter
    hardcopy_location: Mapped[str | None] = mapped_column(String(300))  # where the signed paper copy is kept
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    # Optimistic concurrency: two reviewers acting at once -> one wins, the other gets a 409.
    lock_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    documents: Mapped[list[LkjDocument]] = relationship(back_populates="report", order_by="LkjDocument.version",
                                                          cascade="all, delete-orphan")
    steps: Mapped[list[LkjReviewStep]] = relationship(back_populates="report",
                                                        order_by="LkjReviewStep.id",
                                                        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def status_label(self) -> str:
        return LKJ_STATUS_LABELS[self.status]

    @property
    def is_signed(self) -> bool:
        return self.status in SIGNED_STATUSES

    @property
    def semester(self) -> int | None:
        """1 or 2 for a semester report, None for the annual one."""
        return int(self.period[1:]) if self.period in ("s1", "s2") else None

    @property
    def period_label(self) -> str:
        """"Tahun 2026", "Semester I Tahun 2026": how the document and the pages name the report's period."""
        roman = {"s1": "Semester I ", "s2": "Semester II "}.get(self.period or "tahun", "")
        return f"{roman}Tahun {self.year}"

    def __repr__(self) -> str:
        return f"<LkjReport {self.year} {self.report_code} {self.period} {self.status.value}>"


class LkjDocument(db.Model):
    """One compiled version: the figures and narrative it was built from, its DOCX and PDF, its verification code."""

    __tablename__ = "lkj_documents"
    __table_args__ = (UniqueConstraint("report_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("lkj_reports.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    compiled_at: Mapped[datetime] = created_at_column()
    compiled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    narrative: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_sha256: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(12), unique=True)
    docx_key: Mapped[str] = mapped_column(String(200))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    docx_size: Mapped[int] = mapped_column(Integer)
    pdf_key: Mapped[str] = mapped_column(String(200))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(Integer)
    is_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The laid-out copy that was actually signed on paper, when the team uploads it at signature.
    final_key: Mapped[str | None] = mapped_column(String(200))
    final_sha256: Mapped[str | None] = mapped_column(String(64))
    final_name: Mapped[str | None] = mapped_column(String(255))
    final_size: Mapped[int | None] = mapped_column(Integer)
    final_content_type: Mapped[str | None] = mapped_column(String(120))

    report: Mapped[LkjReport] = relationship(back_populates="documents")
    compiled_by: Mapped[User | None] = relationship(foreign_keys=[compiled_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])

    def __repr__(self) -> str:
        return f"<LkjDocument report={self.report_id} v{self.version}{' signed' if self.is_signed else ''}>"


class ReviewAction(enum.StrEnum):
    """Every step recorded in an LKj's history (``lkj.services.review`` says who takes which)."""

    KOMPILASI = "kompilasi"
    AJUKAN_KOREKSI = "ajukan_koreksi"
    SETUJUI_KOREKSI = "setujui_koreksi"
    CATAT_PLENO = "catat_pleno"
    AJUKAN_PLENO = "ajukan_pleno"
    AJUKAN_PARAF = "ajukan_paraf"
    PARAF = "paraf"
    TANDATANGANI = "tandatangani"
    KIRIM = "kirim"
    ARSIPKAN = "arsipkan"
    KEMBALIKAN = "kembalikan"
    UNGGAH_SALINAN = "unggah_salinan"  # the copy signed outside SILABU (scan or e-signed PDF); no status change


class LkjReviewStep(db.Model):
    """Who did what to the report, when, on which version, and what they said."""

    __tablename__ = "lkj_review_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("lkj_reports.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("lkj_documents.id"))
    step: Mapped[LkjStatus] = mapped_column(str_enum(LkjStatus, 20))  # the status the report was in
    action: Mapped[ReviewAction] = mapped_column(str_enum(ReviewAction, 30))
    to_status: Mapped[LkjStatus] = mapped_column(str_enum(LkjStatus, 20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = created_at_column()
    note: Mapped[str | None] = mapped_column(Text)
    pleno_round: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    report: Mapped[LkjReport] = relationship(back_populates="steps")
    document: Mapped[LkjDocument | None] = relationship()
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<LkjReviewStep {self.report_id} {self.step}:{self.action}>"


class BudgetLine(db.Model):
    """Pagu and realisasi of one output code for one year, as the finance export gives them (Bab III B)."""

    __tablename__ = "lkj_budget_lines"
    __table_args__ = (UniqueConstraint("year", "output_code_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    output_code_id: Mapped[int] = mapped_column(ForeignKey("output_codes.id"))
    pagu: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    realisasi: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    source_name: Mapped[str | None] = mapped_column(String(255))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = created_at_column()

    output_code: Mapped[OutputCode] = relationship()

    def __repr__(self) -> str:
        return f"<BudgetLine {self.year} {self.output_code_id} {self.realisasi}/{self.pagu}>"


class LkjFileKind(enum.StrEnum):
    SURAT_PENGANTAR_DOCX = "surat_pengantar_docx"
    SURAT_PENGANTAR_PDF = "surat_pengantar_pdf"
    ARSIP = "arsip"


class LkjFile(db.Model):
    """A file the review issues beside the versions: the cover letter of *Kirim*, the soft-copy archive."""

    __tablename__ = "lkj_files"
    __table_args__ = (UniqueConstraint("report_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("lkj_reports.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("lkj_documents.id"))
    kind: Mapped[LkjFileKind] = mapped_column(str_enum(LkjFileKind, 30))
    key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[LkjDocument | None] = relationship()

    def __repr__(self) -> str:
        return f"<LkjFile report={self.report_id} {self.kind.value} {self.sha256[:12]}>"


names_blobs(ManualRealisasi.evidence_key, LkjDocument.docx_key, LkjDocument.pdf_key, LkjDocument.final_key,
            LkjFile.key)
