"""Leader election for the scheduler: of several scheduler processes, only the holder of the lease runs jobs.

One row of ``scheduler_lease`` names the holder and when its lease expires. The holder renews it every third of
the lease; another process takes it over only once it has expired (the holder stopped, its machine died, or it
lost the database for longer than a lease). Both are one conditional UPDATE, so of two processes trying at the
same instant exactly one wins, on SQLite and PostgreSQL alike. The ``(job, key)`` claim of ``run_job`` still
guards keyed jobs underneath, should two holders ever overlap (a stalled holder waking up after its lease).

Times are the scheduler machines' UTC clocks (kept by NTP); a lease of a minute dwarfs their skew.
"""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from silabu.core.clock import as_utc, utcnow
from silabu.extensions import db
from silabu.ops.models import SchedulerLease

LEASE_NAME = "scheduler"
DEFAULT_LEASE_SECONDS = 60


def new_holder_id() -> str:
    """This process's name in the lease row: machine, process id and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaseState:
    holder: str
    acquired_at: datetime
    expires_at: datetime


def acquire(holder: str, seconds: float, *, name: str = LEASE_NAME, now: datetime | None = None) -> bool:
    """Take or renew the lease for ``holder``; True when ``holder`` holds it for the next ``seconds``. Commits.

    Renewal keeps ``acquired_at``; a takeover (of an expired lease) sets it anew.
    """
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    db.session.rollback()  # the lease commits on its own; nothing else may ride along
    renewed = db.session.execute(
        update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=until))
    if renewed.rowcount == 1:
        db.session.commit()
        return True
    taken = db.session.execute(
        update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.expires_at <= now)
        .values(holder=holder, acquired_at=now, expires_at=until))
    if taken.rowcount == 1:
        db.session.commit()
        return True
    db.session.rollback()
    if db.session.get(SchedulerLease, name) is not None:
        db.session.rollback()
        return False  # held, unexpired, by another process
    db.session.add(SchedulerLease(name=name, holder=holder, acquired_at=now, expires_at=until))
    try:
        db.session.commit()
        return True
    except IntegrityError:  # another process created the row first: it is theirs
        db.session.rollback()
        return False


def release(holder: str, *, name: str = LEASE_NAME) -> None:
    """Give the lease up at once (a clean stop), so another process need not wait for it to expire. Commits."""
    db.session.rollback()
    db.session.execute(update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                       .values(expires_at=utcnow()))
    db.session.commit()


def holds(holder: str, *, name: str = LEASE_NAME, now: datetime | None = None) -> bool:
    """Whether ``holder`` holds an unexpired lease right now (checked before every job run)."""
    state = current(name=name)
    return state is not None and state.holder == holder and state.expires_at > (now or utcnow())


def current(*, name: str = LEASE_NAME) -> LeaseState | None:
    """The lease as the database has it (for `jobs list` and the admin page), or None before any scheduler ran."""
    row = db.session.execute(select(SchedulerLease.holder, SchedulerLease.acquired_at, SchedulerLease.expires_at)
                             .where(SchedulerLease.name == name)).first()
    if row is None:
        return None
    return LeaseState(row.holder, as_utc(row.acquired_at), as_utc(row.expires_at))


def describe_lease(tz_name: str, *, name: str = LEASE_NAME) -> str:
    """Who runs the jobs now, in words (for `flask jobs list` and Admin -> Tugas terjadwal)."""
    from silabu.core.formatting import waktu

    state = current(name=name)
    if state is None:
        return "Pemegang giliran penjadwal: belum ada (belum ada proses `jobs run` yang berjalan)."
    if state.expires_at <= utcnow():
        return (f"Pemegang giliran penjadwal: tidak ada; terakhir {state.holder}, "
                f"berakhir {waktu(state.expires_at, tz_name)}.")
    return (f"Pemegang giliran penjadwal: {state.holder} (sejak {waktu(state.acquired_at, tz_name)}, "
            f"diperpanjang sampai {waktu(state.expires_at, tz_name)}).")
