"""A record of each scheduled or manual job run; (job, key) makes a run idempotent."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silabu.core.models import created_at_column, str_enum
from silabu.extensions import db


class JobOutcome(enum.StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    # Jobs that must happen once per period carry a key (e.g. "2026-10"); a second run finds it taken.
    key: Mapped[str | None] = mapped_column(String(60))
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[JobOutcome] = mapped_column(str_enum(JobOutcome, 20), default=JobOutcome.RUNNING)
    message: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<JobRun {self.job} {self.key} {self.outcome}>"
