"""A record of each scheduled or manual job run; (job, key) makes a run idempotent. Background tasks: long work
(a packet build, an LKj compile) a page or the API hands to a worker."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


TASK_STATUS_LABELS = {TaskStatus.QUEUED: "Menunggu giliran", TaskStatus.RUNNING: "Sedang dikerjakan",
                      TaskStatus.DONE: "Selesai", TaskStatus.FAILED: "Gagal"}


class BackgroundTask(db.Model):
    """One piece of long work (``kind`` e.g. "pleno.build", ``key`` e.g. "2026-10") run by a worker (silabu.ops.tasks).

    ``active_key`` holds "kind|key|satker" while the task is queued or running and is NULL afterwards: its unique
    constraint lets only one such task wait or run at a time (NULLs never collide), on SQLite and PostgreSQL alike.
    """

    __tablename__ = "background_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(80))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The requester's satker (no foreign key yet: satker scoping is being added across the app).
    satker_id: Mapped[int | None] = mapped_column(Integer)
    active_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, 10), default=TaskStatus.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_status: Mapped[int | None] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_finished(self) -> bool:
        return self.status in (TaskStatus.DONE, TaskStatus.FAILED)

    @property
    def status_label(self) -> str:
        return TASK_STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        return f"<BackgroundTask {self.id} {self.kind} {self.key} {self.status} {self.progress}%>"
