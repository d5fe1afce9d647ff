"""The scheduler: which job runs when. Every job is a thin call into a domain service.

All jobs are registered in ``JOBS`` below, and only there: the scheduler, the catch-up on start,
``flask jobs list`` and the admin page read this table, and each job is also a ``flask jobs ...``
command. Times are in the satker's timezone. Of several scheduler processes only the holder of the lease
(``silabu.ops.lease``, kept by ``Leadership``) runs jobs. Each run goes through ``silabu.ops.services.run_job``,
which records it and, for a keyed job, lets it happen once per key even if two processes ever overlap.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app

from silabu.core.clock import local_now, period_of, previous_period, zone
from silabu.extensions import db
from silabu.ops import lease
from silabu.ops.services import JobResult, JobSkipped, has_succeeded, run_job

log = logging.getLogger("silabu.jobs")

# A run delayed by a busy or paused process still happens within this many seconds; later ones are
# left to the next run or to the catch-up on start. coalesce: several missed runs become one.
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1}
WINDOW_NOTICES_AT = time(7, 0)
ROLLUP_AT = time(1, 0)
BACKUP_AT = time(2, 0)
CLEANUP_AT = time(3, 0)
MAIL_EVERY_MINUTES = 5
ORPHAN_MIN_AGE_SECONDS = 3600


@dataclass(frozen=True)
class JobSpec:
    name: str
    label: str
    schedule: str
    trigger: Callable[[Mapping[str, Any], str], BaseTrigger]
    run: Callable[[datetime], list[JobResult]]
    # Whether the job is due when the scheduler starts at ``now`` (a run was missed while it was down).
    catch_up: Callable[[datetime], bool] | None = None


# satker jobs run once per satker, each at its own local time and inside its scope (accounts.tenancy)

def satker_key(key: str) -> str:
    """A satker job's key: as it always was for the installation's first satker, ``CODE:key`` for the others."""
    from silabu.accounts.org import default_satker
    from silabu.accounts.tenancy import current_satker

    satker, first = current_satker(), default_satker()
    return key if satker is None or first is None or satker.id == first.id else f"{satker.code}:{key}"


def per_satker(run: Callable[..., list[JobResult]]) -> Callable[..., list[JobResult]]:
    """``run`` once for every satker that has active units (once, unscoped, where there are none yet)."""
    from functools import wraps

    @wraps(run)
    def each(now: datetime, **kwargs: Any) -> list[JobResult]:
        from silabu.accounts.tenancy import satker_scope, serving_satkers

        satkers = serving_satkers()
        if not satkers:
            return run(now, **kwargs)
        results: list[JobResult] = []
        for satker in satkers:
            with satker_scope(satker):
                try:
                    results.extend(run(now.astimezone(zone(satker.timezone)), **kwargs))
                except Exception:  # one satker's failure does not stop the others'
                    log.exception("job %s for satker %s failed", run.__name__, satker.code)
                    db.session.rollback()
        return results

    return each


# the jobs: each one knows its key and calls one service

@per_satker

def reminders(now: datetime) -> list[JobResult]:
    """Daily reminder to ASN with an empty working day this month."""
    from silabu.entries.reminders import send_daily_reminders

    today = now.date()
    return [run_job("reminders", satker_key(today.isoformat()),
                    lambda: f"{send_daily_reminders(today)} pengingat dikirim")]


@per_satker
def window_notices(now: datetime) -> list[JobResult]:
    """Verification window opened (for the month whose window is open today) and overdue notices."""
    from silabu.verification import services as verification

    today = now.date()

    def work() -> str:
        opened = sum(verification.notify_window_opened(p, today) for p in open_window_periods(today))
        overdue = verification.notify_overdue(today)
        return f"{opened} pemberitahuan jendela verifikasi dibuka, {overdue} pemberitahuan terlambat"

    return [run_job("window-notices", satker_key(today.isoformat()), work)]


@per_satker
def rollup(now: datetime, period: str | None = None) -> list[JobResult]:
    """Build the pleno packet of each month whose verification window has closed, once per month."""
    periods = [period] if period else due_rollup_periods(now.date())
    return [run_job("rollup", satker_key(p), lambda p=p: _build_packet(p)) for p in periods]


def _build_packet(period: str) -> str:
    from silabu.core.errors import Conflict
    from silabu.pleno.services import build_packet

    try:
        packet = build_packet(period, actor=None)
    except Conflict as exc:
        if exc.code == "packet_final":  # the pleno has decided: nothing to rebuild, and nothing to retry
            raise JobSkipped(exc.message) from exc
        raise  # e.g. a build in progress elsewhere: recorded as failed, retried at the next run
    version = getattr(packet, "version", None)
    return f"paket {period} versi {version} dibangun" if version is not None else f"paket {period} dibangun"


def backup(now: datetime) -> list[JobResult]:
    """Nightly backup of the database and the upload tree, then retention."""
    from silabu.ops.backup import nightly_backup

    return [run_job("backup", now.date().isoformat(), nightly_backup)]


def cleanup_orphans(now: datetime) -> list[JobResult]:
    """Remove stored files no row refers to (left by an upload killed before its commit)."""
    from silabu.evidence.blobs import clean_orphans
    from silabu.evidence.storage import get_storage

    return [run_job("cleanup-orphans", now.date().isoformat(),
                    lambda: f"{clean_orphans(get_storage(), older_than_seconds=ORPHAN_MIN_AGE_SECONDS)} berkas dihapus")]


def send_mail(now: datetime) -> list[JobResult]:
    """E-mail copies of notifications (the outbox); quiet when there is nothing to send."""
    from silabu.notifications.services import deliver_pending_emails

    # Keyed by the 5-minute slot so a second scheduler process does not send the same outbox at once.
    slot = now.replace(minute=now.minute - now.minute % MAIL_EVERY_MINUTES, second=0, microsecond=0)
    return [run_job("send-mail", slot.strftime("%Y-%m-%dT%H:%M"), deliver_pending_emails, quiet=True)]


@per_satker
def lkj_first_draft(now: datetime) -> list[JobResult]:
    """Compile the first draft of last year's LKj reports in January (idempotent; retried daily until done)."""
    from silabu.lkj.services import compile_first_draft, first_draft_due

    year = first_draft_due(now.date())
    if year is None:
        return []
    return [run_job("lkj-first-draft", satker_key(now.date().isoformat()), lambda: len(compile_first_draft(year)), quiet=True)]


# when things are due

def due_rollup_periods(today: date) -> list[str]:
    """Months whose verification window closed before ``today`` and whose roll-up has not run yet.

    Last month counts once its window has closed, with or without data (an empty packet says so). The month
    before it counts only when it has entries: a scheduler that was down from before that window closed
    until after this month began still builds the missed packet, while a fresh installation does not build
    an empty packet for a month before its time.
    """
    from sqlalchemy import select

    from silabu.entries.models import Entry
    from silabu.verification.services import verification_window

    last = previous_period(period_of(today))
    before = previous_period(last)
    due = []
    for period in (before, last):
        if today <= verification_window(period)[1] or has_succeeded("rollup", satker_key(period)):
            continue
        if period == before and db.session.scalar(select(Entry.id).where(Entry.period == period).limit(1)) is None:
            continue
        due.append(period)
    return due


def open_window_periods(today: date) -> list[str]:
    """The month(s) whose verification window is open on ``today``."""
    from silabu.verification.services import verification_window

    found = []
    for period in (previous_period(period_of(today)), period_of(today)):
        opens, closes = verification_window(period)
        if opens <= today <= closes:
            found.append(period)
    return found


def reminder_time(config: Mapping[str, Any]) -> time:
    value = str(config.get("REMINDER_TIME") or "15:30")
    try:
        hour, minute = (int(x) for x in value.split(":"))
        return time(hour, minute)
    except ValueError as exc:
        raise ValueError(f"REMINDER_TIME harus berbentuk JJ:MM, bukan {value!r}") from exc


def _cron(at: time | Callable[[Mapping[str, Any]], time], **extra: Any) -> Callable[[Mapping[str, Any], str], BaseTrigger]:
    def make(config: Mapping[str, Any], tz_name: str) -> BaseTrigger:
        t = at(config) if callable(at) else at
        return CronTrigger(hour=t.hour, minute=t.minute, timezone=zone(tz_name), **extra)

    return make


def _every(minutes: int) -> Callable[[Mapping[str, Any], str], BaseTrigger]:
    return lambda config, tz_name: IntervalTrigger(minutes=minutes, timezone=zone(tz_name))


def _after(at: time | Callable[[Mapping[str, Any]], time]) -> Callable[[datetime], bool]:
    def due(now: datetime) -> bool:
        t = at(current_app.config) if callable(at) else at
        return now.time() >= t

    return due


def _backup_missing(now: datetime) -> bool:
    from silabu.ops.backup import list_backups

    latest = list_backups()
    return not latest or latest[0].created_at is None or latest[0].created_at < now - timedelta(hours=24)


JOBS: list[JobSpec] = [
    JobSpec("reminders", "Pengingat harian laporan kosong", "Senin–Jumat, pukul REMINDER_TIME (bawaan 15.30)",
            _cron(reminder_time, day_of_week="mon-fri"), reminders,
            catch_up=lambda now: now.weekday() < 5 and _after(reminder_time)(now)),
    JobSpec("window-notices", "Pemberitahuan jendela verifikasi dibuka dan terlambat", "setiap hari 07.00",
            _cron(WINDOW_NOTICES_AT), window_notices, catch_up=_after(WINDOW_NOTICES_AT)),
    JobSpec("rollup", "Rekap bulanan dan paket pleno", "setiap hari 01.00 (membangun setelah jendela verifikasi ditutup)",
            _cron(ROLLUP_AT), rollup, catch_up=lambda now: True),
    JobSpec("backup", "Cadangan basis data dan berkas unggahan", "setiap hari 02.00",
            _cron(BACKUP_AT), backup, catch_up=_backup_missing),
    JobSpec("cleanup-orphans", "Pembersihan berkas unggahan yatim", "setiap hari 03.00",
            _cron(CLEANUP_AT), cleanup_orphans),
    JobSpec("send-mail", "Pengiriman e-mail pemberitahuan", f"setiap {MAIL_EVERY_MINUTES} menit",
            _every(MAIL_EVERY_MINUTES), send_mail),
    JobSpec("lkj-first-draft", "Draf pertama LKj tahun lalu (Januari)", "setiap hari 04.00",
            _cron(time(4, 0)), lkj_first_draft, catch_up=lambda now: True),
]


def job(name: str) -> JobSpec:
    for spec in JOBS:
        if spec.name == name:
            return spec
    raise KeyError(name)


# running

def scheduler_timezone() -> str:
    from silabu.accounts.org import satker_timezone

    return satker_timezone()


def now_local(tz_name: str | None = None) -> datetime:
    return local_now(tz_name or scheduler_timezone())


def run_now(name: str, **kwargs: Any) -> list[JobResult]:
    """Run one job now, in the current app context (the CLI commands and tests use this)."""
    return job(name).run(now_local(), **kwargs)


def catch_up(now: datetime | None = None, only: Iterable[str] | None = None) -> list[JobResult]:
    """Run every job whose due run was missed while no scheduler was running; keys make this idempotent."""
    now = now or now_local()
    wanted = set(only) if only is not None else None
    results: list[JobResult] = []
    for spec in JOBS:
        if spec.catch_up is None or (wanted is not None and spec.name not in wanted):
            continue
        try:
            if spec.catch_up(now):
                results.extend(spec.run(now))
        except Exception:
            log.exception("catch-up of %s failed", spec.name)
            db.session.rollback()
    return results


def _execute(app: Flask, name: str, tz_name: str, holder: str | None = None) -> None:
    """What APScheduler calls: one job in its own app context and session, if this process holds the lease."""
    with app.app_context():
        try:
            if holder is not None and not lease.holds(holder):
                log.info("job %s not run here: another scheduler process holds the lease", name)
                return
            db.session.rollback()
            job(name).run(local_now(tz_name))
        except Exception:
            log.exception("job %s could not run", name)
        finally:
            db.session.remove()


def build_scheduler(app: Flask, tz_name: str | None = None, holder: str | None = None) -> BlockingScheduler:
    """A BlockingScheduler with every job of ``JOBS`` on its trigger, in the satker's timezone.

    With ``holder`` each run first checks that this process holds the scheduler lease (``silabu.ops.lease``).
    """
    if tz_name is None:
        with app.app_context():
            tz_name = scheduler_timezone()
    scheduler = BlockingScheduler(timezone=zone(tz_name), job_defaults=dict(JOB_DEFAULTS))
    for spec in JOBS:
        scheduler.add_job(_execute, trigger=spec.trigger(app.config, tz_name), args=(app, spec.name, tz_name, holder),
                          id=spec.name, name=spec.label, replace_existing=True)
    return scheduler


class Leadership:
    """This process's side of the scheduler lease: takes or renews it every third of the lease, in a thread of
    its own (so neither a long job nor the catch-up delays a renewal), and says when it was gained or lost."""

    def __init__(self, app: Flask, seconds: float, on_gain: Callable[[], None] | None = None,
                 holder: str | None = None) -> None:
        self.app, self.seconds, self.on_gain = app, seconds, on_gain
        self.holder = holder or lease.new_holder_id()
        self.is_leader = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> bool:
        """Take or renew the lease once; on a gain (not at the first tick of ``start``) call ``on_gain``."""
        with self.app.app_context():
            try:
                leader = lease.acquire(self.holder, self.seconds)
            except Exception:
                log.exception("scheduler lease could not be renewed")
                leader = False
            finally:
                db.session.remove()
        gained, lost = leader and not self.is_leader, self.is_leader and not leader
        self.is_leader = leader
        if gained:
            log.info("scheduler %s holds the lease: it runs the jobs", self.holder)
            if self.on_gain is not None:
                self.on_gain()
        elif lost:
            log.warning("scheduler %s lost the lease: another process runs the jobs", self.holder)
        return leader

    def start(self) -> bool:
        """The first tick, then the renewal thread; returns whether this process leads from the start."""
        on_gain, self.on_gain = self.on_gain, None
        leader = self.tick()
        self.on_gain = on_gain
        if not leader:
            log.info("scheduler %s waits: another process holds the lease", self.holder)
        self._thread = threading.Thread(target=self._loop, name="scheduler-lease", daemon=True)
        self._thread.start()
        return leader

    def _loop(self) -> None:
        interval = max(self.seconds / 3, 0.2)
        while not self._stop.wait(interval):
            self.tick()

    def stop(self) -> None:
        """Stop renewing and give the lease up, so a waiting process takes over at its next tick."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self.app.app_context():
            try:
                lease.release(self.holder)
            except Exception:
                log.exception("scheduler lease could not be released; it expires by itself")
            finally:
                db.session.remove()
        self.is_leader = False


def _catch_up_logged(app: Flask, tz_name: str) -> None:
    with app.app_context():
        try:
            for result in catch_up(local_now(tz_name)):
                log.info("catch-up %s [%s]: %s %s", result.job, result.key, result.outcome, result.message)
        finally:
            db.session.remove()


def run_scheduler(app: Flask, *, with_catch_up: bool = True) -> None:
    """The scheduler process: run jobs on time until stopped, while it holds the lease.

    Any number of these may run (one per web server, say): the one holding the lease catches up on missed runs
    and runs the jobs; the others wait and take over, catch-up included, once its lease has expired.
    """
    if not logging.getLogger().handlers:  # its log is the journal's: when, which job, what outcome
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with app.app_context():
        tz_name = scheduler_timezone()
        db.session.remove()
    seconds = float(app.config.get("SCHEDULER_LEASE_SECONDS") or lease.DEFAULT_LEASE_SECONDS)
    leadership = Leadership(app, seconds)
    scheduler = build_scheduler(app, tz_name, holder=leadership.holder)

    def gained() -> None:  # a takeover: what the previous holder missed runs first, in the job pool
        if with_catch_up:
            scheduler.add_job(_catch_up_logged, args=(app, tz_name), id="catch-up", name="catch-up",
                              replace_existing=True)

    leadership.on_gain = gained
    # Background tasks (packet builds, LKj compiles queued by pages and the API) run in a thread of this process;
    # every scheduler process may run one, the claim keeps each task to one worker.
    from silabu.ops.tasks import Worker, mode

    task_worker = Worker(app)
    if mode(app) != "inline":
        task_worker.start_thread()
    if leadership.start() and with_catch_up:
        _catch_up_logged(app, tz_name)

    def _stop(signum: int, frame: Any) -> None:
        log.info("scheduler stopping (signal %s); running jobs finish first", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    log.info("scheduler started in %s with %d jobs (lease %s s, holder %s)", tz_name, len(JOBS), seconds,
             leadership.holder)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        task_worker.stop()
        leadership.stop()
