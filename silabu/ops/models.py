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


class SchedulerLease(db.Model):
    """Who runs the scheduled jobs: one row per lease name, held by one process until ``expires_at``.

    Every scheduler process may run; only the holder of an unexpired lease runs jobs. The holder renews it well
    before it expires; when the holder stops (or its machine dies), another process takes the lease over once it
    has expired. The same row works on SQLite and PostgreSQL.
    """

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<SchedulerLease {self.name} {self.holder} until {self.expires_at}>"
