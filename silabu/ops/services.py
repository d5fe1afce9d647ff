"""Job runs: every scheduled or manual job is recorded, and a keyed job happens once per key.

``run_job`` claims the (job, key) row *before* doing the work and commits that claim, so the unique
constraint on ``job_runs`` decides which of two scheduler processes (or a scheduler and a person at the
command line) does a keyed job; the other one skips. This works the same on SQLite and PostgreSQL
because it relies on nothing but a unique index.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from silabu.core.clock import as_utc, utcnow
from silabu.extensions import db
from silabu.ops.models import JobOutcome, JobRun

log = logging.getLogger("silabu.jobs")

RUNNING, SUCCESS, FAILED, SKIPPED = JobOutcome.RUNNING, JobOutcome.SUCCESS, JobOutcome.FAILED, JobOutcome.SKIPPED
OUTCOME_LABELS = {RUNNING: "Berjalan", SUCCESS: "Berhasil", FAILED: "Gagal", SKIPPED: "Dilewati"}
MESSAGE_MAX = 4000
# A run still "running" after this long belongs to a process that was killed; its key may be taken again.
STALE_AFTER = timedelta(hours=6)


class JobSkipped(Exception):
    """Raised by a job's work when there is nothing it may do (e.g. the month's packet is already final)."""


@dataclass
class JobResult:
    job: str
    key: str | None
    outcome: str
    message: str = ""
    run_id: int | None = None
    value: Any = None


def run_job(name: str, key: str | None, fn: Callable[[], Any], *, quiet: bool = False,
            stale_after: timedelta = STALE_AFTER) -> JobResult:
    """Run ``fn`` as job ``name`` once for ``key``, recording start, end, outcome and error; commits.

    - A key with a successful, skipped or still-running run is not run again (outcome "skipped", no new row).
    - A key whose last run failed, or whose run has been "running" longer than ``stale_after``, is claimed
      again and retried in the same row.
    - ``fn`` returns a message or a number (shown as the run's message); it raises ``JobSkipped`` to record
      "skipped". Its database work is committed together with the success.
    - ``quiet``: a run that had nothing to do (``fn`` returned 0, None or "") leaves no row, so frequent jobs
      such as the mail outbox do not fill the table.
    """
    run_id = _claim(name, key, stale_after)
    if run_id is None:
        log.info("job %s [%s] skipped: already done or running elsewhere", name, key)
        return JobResult(name, key, SKIPPED, "Sudah dijalankan atau sedang berjalan di proses lain.")
    log.info("job %s [%s] started", name, key)
    try:
        value = fn()
    except JobSkipped as exc:
        db.session.rollback()
        message = str(exc) or "Dilewati."
        _finish(run_id, SKIPPED, message)
        log.info("job %s [%s] skipped: %s", name, key, message)
        return JobResult(name, key, SKIPPED, message, run_id)
    except Exception as exc:
        _rollback_quietly()
        message = _error_message(exc)
        _finish(run_id, FAILED, message)
        log.exception("job %s [%s] failed", name, key)
        return JobResult(name, key, FAILED, message, run_id)
    message = _describe(value)
    if quiet and not value:
        db.session.execute(delete(JobRun).where(JobRun.id == run_id))
        db.session.commit()
        return JobResult(name, key, SUCCESS, message, None, value)
    row = db.session.get(JobRun, run_id)
    row.outcome, row.finished_at, row.message = SUCCESS, utcnow(), message[:MESSAGE_MAX]
    db.session.commit()
    log.info("job %s [%s] done: %s", name, key, message)
    return JobResult(name, key, SUCCESS, message, run_id, value)


def _claim(name: str, key: str | None, stale_after: timedelta) -> int | None:
    """Insert the run row and commit it; the unique (job, key) lets exactly one claimant through."""
    # Nothing may be pending in the session: the claim commits on its own.
    db.session.rollback()
    row = JobRun(job=name, key=key, outcome=RUNNING, started_at=utcnow(), message="")
    db.session.add(row)
    try:
        db.session.commit()
        return row.id
    except IntegrityError:
        db.session.rollback()
    if key is None:  # cannot happen: NULL keys never collide; kept for clarity
        return None
    existing = db.session.scalar(select(JobRun).where(JobRun.job == name, JobRun.key == key))
    if existing is None:
        return None
    existing_id, outcome, started_at = existing.id, existing.outcome, existing.started_at
    # End the read transaction before writing: SQLite cannot upgrade a read snapshot another writer has passed.
    db.session.rollback()
    retry = outcome == FAILED or (outcome == RUNNING and as_utc(started_at) < utcnow() - stale_after)
    if not retry:
        return None
    # Conditional update: of two processes retrying at once only one sees the row still in its old state.
    result = db.session.execute(
        update(JobRun).where(JobRun.id == existing_id, JobRun.outcome == outcome, JobRun.started_at == started_at)
        .values(outcome=RUNNING, started_at=utcnow(), finished_at=None,
                message=f"Percobaan ulang (sebelumnya: {OUTCOME_LABELS.get(outcome, outcome).lower()})."))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    db.session.commit()
    log.info("job %s [%s] retried after a %s run", name, key, outcome)
    return existing_id


def _finish(run_id: int, outcome: str, message: str) -> None:
    db.session.execute(update(JobRun).where(JobRun.id == run_id)
                       .values(outcome=outcome, finished_at=utcnow(), message=message[:MESSAGE_MAX]))
    db.session.commit()


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:
        db.session.remove()


def _error_message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or ""
    return f"{exc.__class__.__name__}: {text}".strip().rstrip(":")


def _describe(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return str(value)


def has_succeeded(name: str, key: str) -> bool:
    """Whether job ``name`` already ran for ``key`` (successfully or as a recorded skip)."""
    return db.session.scalar(select(JobRun.id).where(JobRun.job == name, JobRun.key == key,
                                                     JobRun.outcome.in_((SUCCESS, SKIPPED)))) is not None


def recent_runs(limit: int = 200, job: str | None = None) -> list[JobRun]:
    """Job runs, latest first."""
    q = select(JobRun)
    if job:
        q = q.where(JobRun.job == job)
    return list(db.session.scalars(q.order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)))


def last_runs_by_job() -> dict[str, JobRun]:
    """The latest run of each job (for `jobs list` and the admin page)."""
    latest: dict[str, JobRun] = {}
    for row in db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(2000)):
        latest.setdefault(row.job, row)
    return latest
