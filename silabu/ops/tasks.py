"""Background tasks: long work (a pleno packet build, an LKj compile) that a page or the API hands to a worker.

- ``enqueue`` is idempotent per (kind, key, satker) while a task waits or runs: two clicks give one task. The
  unique ``active_key`` decides between two requests at the same instant, on SQLite and PostgreSQL alike.
- ``claim`` is atomic: PostgreSQL picks with FOR UPDATE SKIP LOCKED, SQLite with a conditional UPDATE checked by
  its rowcount, and both only move a task that is still queued; two workers never run the same task.
- A task's work and its "done" are one commit, so a worker killed halfway leaves nothing half-saved and the task
  may run again: a running task whose heartbeat is older than TASK_STALE_MINUTES is requeued once, then failed.
  The final UPDATE names the worker, so a worker that lost its task (requeued meanwhile) publishes nothing.
- A refusal of the service (``silabu.core.errors``) is stored with its Indonesian message, code and status.
- Where tasks run is config TASK_WORKER: "thread" (a daemon thread of the web process, started on first use),
  "external" (the scheduler process or ``flask worker run``) or "inline" (at once, in the request: tests).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, url_for
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from silabu.accounts.models import User
from silabu.core.clock import as_utc, utcnow
from silabu.core.errors import Conflict, NotFound, ServiceError
from silabu.extensions import db
from silabu.ops.lease import new_holder_id
from silabu.ops.models import BackgroundTask, TaskStatus

log = logging.getLogger("silabu.tasks")

Progress = Callable[[int, str], None]
MODES = ("thread", "external", "inline")
MAX_ATTEMPTS = 2  # a task whose worker died runs once more; after a second loss it fails
DEFAULT_STALE_MINUTES = 5
DEFAULT_HEARTBEAT_SECONDS = 15
DEFAULT_POLL_SECONDS = 2.0


def no_progress(percent: int, message: str) -> None:
    """The services' default ``progress``: nobody is watching."""


@dataclass(frozen=True)
class TaskKind:
    name: str
    # What the task does, in words for its page: "Penyusunan paket pleno Oktober 2026".
    title: Callable[[BackgroundTask], str]
    # Besides the requester, who may see the task: the holders of the roles that may start it.
    roles: Callable[[], tuple]
    # The work: returns (result, message) for the task row; raises a ServiceError to refuse.
    run: Callable[[BackgroundTask, User | None, Progress], tuple[dict[str, Any], str]]
    # Where the result is: {"page": ..., "api": ...} (in a request).
    links: Callable[[BackgroundTask], dict[str, str]]
    link_label: Callable[[BackgroundTask], str]


def _pleno_title(task: BackgroundTask) -> str:
    from silabu.core.formatting import bulan

    return f"Penyusunan paket pleno {bulan(task.key)}"


def _pleno_run(task: BackgroundTask, actor: User | None, progress: Progress) -> tuple[dict[str, Any], str]:
    from silabu.core.formatting import bulan
    from silabu.pleno.services import build_packet

    packet = build_packet(task.key, actor, correction_reason=task.params.get("correction_reason"), progress=progress)
    empty = bool((packet.summary or {}).get("is_empty"))
    if empty:
        message = (f"Paket {bulan(task.key)} versi {packet.version} tersusun, tetapi belum ada data terverifikasi "
                   "dari bulan unit yang sudah ditutup.")
    else:
        message = f"Paket {bulan(task.key)} versi {packet.version} selesai disusun."
    return {"packet_id": packet.id, "period": packet.period, "version": packet.version, "is_empty": empty}, message


def _pleno_roles() -> tuple:
    from silabu.pleno.services import MANAGE_ROLES

    return MANAGE_ROLES


def _lkj_title(task: BackgroundTask) -> str:
    from silabu.lkj.models import LkjReport

    period = task.params.get("period", "tahun")
    label = f" {LkjReport(year=task.params['year'], period=period).period_label}" if period != "tahun" else ""
    return f"Kompilasi {task.params['report_code']} {task.params['year']}{label}"


def _lkj_run(task: BackgroundTask, actor: User | None, progress: Progress) -> tuple[dict[str, Any], str]:
    from silabu.lkj.services import compile_report, format_code

    p = task.params
    doc = compile_report(p["year"], p["report_code"], actor, p.get("period", "tahun"), progress=progress)
    message = ((f"{doc.report.period_label}: versi" if doc.report.period != "tahun" else "Versi")
               + f" {doc.version} berhasil dikompilasi (DOCX dan PDF, kode verifikasi "
               f"{format_code(doc.verification_code)}).")
    return {"document_id": doc.id, "report_id": doc.report_id, "year": p["year"], "report_code": p["report_code"],
            "period": doc.report.period, "version": doc.version, "verification_code": doc.verification_code}, message


def lkj_key(year: int, report_code: str, period: str) -> str:
    """The key of an LKj compile: "2026/LKJ-SEK", or "2026/LKJ-SEK/s1" for a semester report."""
    return f"{year}/{report_code}" + (f"/{period}" if period != "tahun" else "")


def _lkj_roles() -> tuple:
    from silabu.lkj.services import LKJ_MANAGE_ROLES

    return LKJ_MANAGE_ROLES


def _lkj_links(task: BackgroundTask) -> dict[str, str]:
    from silabu.lkj.services import semester_of

    p = task.params
    semester = semester_of(p.get("period", "tahun"))
    query = f"?semester={semester}" if semester else ""
    return {"page": url_for("lkj.report", year=p["year"], report_code=p["report_code"], semester=semester),
            "api": f"/api/v1/lkj/{p['year']}/{p['report_code']}{query}"}


def _province_title(task: BackgroundTask) -> str:
    from silabu.core.formatting import bulan

    return f"Penyusunan rekap provinsi {bulan(task.key)}"


def _province_run(task: BackgroundTask, actor: User | None, progress: Progress) -> tuple[dict[str, Any], str]:
    from silabu.core.formatting import bulan
    from silabu.pleno.province import build_province_packet

    packet = build_province_packet(task.key, actor, correction_reason=task.params.get("correction_reason"),
                                   progress=progress)
    return ({"packet_id": packet.id, "period": packet.period, "version": packet.version},
            f"Rekap provinsi {bulan(task.key)} versi {packet.version} selesai disusun.")


KINDS: dict[str, TaskKind] = {
    "pleno.province_build": TaskKind("pleno.province_build", _province_title, _pleno_roles, _province_run,
                                     lambda t: {"page": url_for("pleno.province", month=t.key),
                                                "api": f"/api/v1/province/{t.key}"},
                                     lambda t: "Buka rekap provinsi"),
    "pleno.build": TaskKind("pleno.build", _pleno_title, _pleno_roles, _pleno_run,
                            lambda t: {"page": url_for("pleno.month", month=t.key),
                                       "api": f"/api/v1/packets/{t.key}"},
                            lambda t: "Buka paket pleno"),
    "lkj.compile": TaskKind("lkj.compile", _lkj_title, _lkj_roles, _lkj_run, _lkj_links,
                            lambda t: "Buka Laporan Kinerja"),
}


def mode(app: Flask | None = None) -> str:
    value = str((app or current_app).config.get("TASK_WORKER") or "thread").strip().lower()
    return value if value in MODES else "thread"


def _satker_of(user: User | None) -> int | None:
    unit = getattr(user, "unit", None) if user is not None else None
    return getattr(unit, "satker_id", None)


def active_key(kind: str, key: str, satker_id: int | None) -> str:
    return f"{kind}|{key}|{satker_id if satker_id is not None else '-'}"


# ---- the queue ----

def enqueue(kind: str, key: str, params: dict[str, Any] | None, requested_by: User | None) -> tuple[BackgroundTask, bool]:
    """The task of (kind, key, the requester's satker) that is queued or running, else a new queued one (flushed;
    the caller commits). Returns the task and whether it is new."""
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}")
    satker_id = _satker_of(requested_by)
    active = active_key(kind, key, satker_id)
    for _ in range(3):
        existing = db.session.scalar(select(BackgroundTask).where(BackgroundTask.active_key == active))
        if existing is not None:
            return existing, False
        task = BackgroundTask(kind=kind, key=key, params=dict(params or {}), satker_id=satker_id,
                              active_key=active, status=TaskStatus.QUEUED, progress=0,
                              message="Menunggu giliran pekerja.",
                              requested_by_id=requested_by.id if requested_by is not None else None)
        try:
            with db.session.begin_nested():
                db.session.add(task)
        except IntegrityError:  # another request queued it at this instant: that one is the task
            continue
        return task, True
    raise Conflict("Tugas yang sama baru saja diantrekan permintaan lain. Muat ulang halaman.", code="task_busy")


def _running_values(worker_id: str, now: datetime) -> dict[str, Any]:
    return {"status": TaskStatus.RUNNING, "worker_id": worker_id, "started_at": now, "heartbeat_at": now,
            "attempts": BackgroundTask.attempts + 1, "message": "Mulai dikerjakan."}


def claim(worker_id: str, *, task_id: int | None = None, now: datetime | None = None) -> int | None:
    """Take the oldest queued task (or ``task_id``) for ``worker_id``; its id, or None. Commits.

    The UPDATE moves a task only while it is still queued, so of two workers exactly one gets it; PostgreSQL
    first picks with FOR UPDATE SKIP LOCKED, so concurrent workers do not even wait on each other's pick."""
    now = now or utcnow()
    db.session.rollback()  # the claim commits on its own; nothing else may ride along
    queued = select(BackgroundTask.id).where(BackgroundTask.status == TaskStatus.QUEUED,
                                             BackgroundTask.kind.in_(list(KINDS)))
    if task_id is not None:
        queued = queued.where(BackgroundTask.id == task_id)
    queued = queued.order_by(BackgroundTask.created_at, BackgroundTask.id)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = list(db.session.scalars(queued.limit(1).with_for_update(skip_locked=True)))
    else:
        candidates = list(db.session.scalars(queued.limit(5)))
    for candidate in candidates:
        moved = db.session.execute(update(BackgroundTask)
                                   .where(BackgroundTask.id == candidate, BackgroundTask.status == TaskStatus.QUEUED)
                                   .values(**_running_values(worker_id, now))
                                   .execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            db.session.commit()
            return candidate
    db.session.rollback()
    return None


def _finish(task_id: int, worker_id: str, status: TaskStatus, **values: Any) -> bool:
    """Close the task in the current transaction, only while ``worker_id`` still runs it."""
    done = db.session.execute(update(BackgroundTask)
                              .where(BackgroundTask.id == task_id, BackgroundTask.worker_id == worker_id,
                                     BackgroundTask.status == TaskStatus.RUNNING)
                              .values(status=status, active_key=None, finished_at=utcnow(), **values)
                              .execution_options(synchronize_session=False))
    return done.rowcount == 1


class _Heartbeat:
    """While a task runs: a thread of its own writes the latest progress and the heartbeat (its own connection
    and commit, so the page sees them while the work's transaction is still open)."""

    def __init__(self, app: Flask, task_id: int, worker_id: str, seconds: float) -> None:
        self.app, self.task_id, self.worker_id, self.seconds = app, task_id, worker_id, seconds
        self.state: tuple[int, str] | None = None
        self.lost = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"task-{task_id}-heartbeat", daemon=True)

    def progress(self, percent: int, message: str) -> None:
        self.state = (max(0, min(99, int(percent))), str(message)[:300])
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Not joined for long: on SQLite a beat may wait for the write lock the work itself holds until it commits.
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=0.5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.beat()

    def beat(self) -> None:
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if self.state is not None:
            values["progress"], values["message"] = self.state
        with self.app.app_context():
            sqlite = db.session.get_bind().dialect.name == "sqlite"
            try:
                if sqlite:  # a beat is worth little: do not queue behind the work's write lock for long
                    db.session.execute(text("PRAGMA busy_timeout=2000"))
                alive = db.session.execute(update(BackgroundTask)
                                           .where(BackgroundTask.id == self.task_id,
                                                  BackgroundTask.worker_id == self.worker_id,
                                                  BackgroundTask.status == TaskStatus.RUNNING)
                                           .values(**values).execution_options(synchronize_session=False))
                db.session.commit()
                self.lost = self.lost or alive.rowcount == 0
            except Exception:
                db.session.rollback()
                log.warning("task %s: heartbeat not written this time", self.task_id, exc_info=True)
            finally:
                if sqlite:
                    try:
                        db.session.execute(text("PRAGMA busy_timeout=15000"))
                    except Exception:
                        pass
                db.session.remove()


def run_task(task_id: int, worker_id: str, *, reraise: bool = False) -> BackgroundTask:
    """Run a claimed task: the work, its result and "done" in one commit; a failure stores its message.

    ``reraise`` (inline mode): the service's exception goes on to the request, which answers it as before."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    task = db.session.get(BackgroundTask, task_id)
    if task is None:
        raise NotFound("Tugas tidak ditemukan.")
    spec = KINDS[task.kind]
    actor = db.session.get(User, task.requested_by_id) if task.requested_by_id is not None else None
    beat = None
    if not reraise:
        beat = _Heartbeat(app, task_id, worker_id,
                          float(app.config.get("TASK_HEARTBEAT_SECONDS") or DEFAULT_HEARTBEAT_SECONDS))
        beat.start()
    started = time.monotonic()
    try:
        from silabu.accounts.tenancy import satker_scope

        # The worker works for the requester's satker (accounts.tenancy), whichever process runs it.
        with satker_scope(task.satker_id) if task.satker_id is not None else nullcontext():
            result, message = spec.run(task, actor, beat.progress if beat else no_progress)
        if beat is not None:
            beat.stop()
        if not _finish(task_id, worker_id, TaskStatus.DONE, progress=100, message=message, result=result):
            db.session.rollback()
            log.warning("task %s: taken from worker %s meanwhile; its work is discarded", task_id, worker_id)
        else:
            db.session.commit()
            log.info("task %s %s [%s] done in %.1f s", task_id, task.kind, task.key, time.monotonic() - started)
    except ServiceError as exc:
        db.session.rollback()
        _fail(task_id, worker_id, exc)
        if reraise:
            raise
    except Exception as exc:
        db.session.rollback()
        log.exception("task %s %s [%s] failed", task_id, task.kind, task.key)
        _fail(task_id, worker_id, exc)
        if reraise:
            raise
    finally:
        if beat is not None:
            beat.stop()
    db.session.expire_all()
    return db.session.get(BackgroundTask, task_id)


def _fail(task_id: int, worker_id: str, exc: Exception) -> None:
    if isinstance(exc, ServiceError):
        from silabu.web import service_message

        message, code, status = service_message(exc), exc.code, exc.status
    else:
        message = ("Terjadi kesalahan tak terduga saat mengerjakan tugas ini; tidak ada yang tersimpan dari "
                   "percobaan ini. Coba lagi, atau hubungi admin bila terulang.")
        code, status = "internal_error", 500
    try:
        _finish(task_id, worker_id, TaskStatus.FAILED, message="Gagal.", error_message=message[:4000],
                error_code=code, error_status=status)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("task %s: its failure could not be recorded", task_id)


def recover_stale(now: datetime | None = None, stale_minutes: float | None = None) -> int:
    """Running tasks whose worker stopped beating: requeued (once), or failed with a clear message. Commits."""
    from silabu.core.formatting import waktu

    now = now or utcnow()
    minutes = stale_minutes if stale_minutes is not None else float(
        current_app.config.get("TASK_STALE_MINUTES") or DEFAULT_STALE_MINUTES)
    cutoff = now - timedelta(minutes=minutes)
    db.session.rollback()
    stale = db.session.execute(select(BackgroundTask.id, BackgroundTask.attempts, BackgroundTask.heartbeat_at)
                               .where(BackgroundTask.status == TaskStatus.RUNNING,
                                      BackgroundTask.heartbeat_at < cutoff)).all()
    count = 0
    for task_id, attempts, beat_at in stale:
        guard = update(BackgroundTask).where(BackgroundTask.id == task_id, BackgroundTask.status == TaskStatus.RUNNING,
                                             BackgroundTask.heartbeat_at < cutoff)
        if attempts < MAX_ATTEMPTS:
            values = {"status": TaskStatus.QUEUED, "worker_id": None, "progress": 0,
                      "message": "Pekerja sebelumnya berhenti di tengah jalan; tugas diantrekan ulang."}
        else:
            when = waktu(as_utc(beat_at), current_app.config.get("SATKER_TIMEZONE", "Asia/Jakarta"))
            values = {"status": TaskStatus.FAILED, "active_key": None, "finished_at": now, "message": "Gagal.",
                      "error_code": "worker_lost", "error_status": 500,
                      "error_message": (f"Pekerja yang menjalankan tugas ini berhenti (tanda hidup terakhir {when}) "
                                        f"sebanyak {attempts} kali. Tidak ada yang tersimpan dari percobaan itu; "
                                        "silakan ulangi.")}
        count += db.session.execute(guard.values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if count:
        log.warning("%d background task(s) of a stopped worker requeued or failed", count)
    return count


# ---- reading ----

def may_read(user: User | None, task: BackgroundTask) -> bool:
    """The requester, or a holder of a role that may start such a task, of the same satker."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    satker_id = _satker_of(user)
    if task.satker_id is not None and satker_id is not None and satker_id != task.satker_id:
        return False
    if task.requested_by_id == user.id:
        return True
    spec = KINDS.get(task.kind)
    return spec is not None and user.has_role(*spec.roles())


def get_task_for(user: User | None, task_id: int) -> BackgroundTask:
    """The task, or 404 for those who may not see it (as if there were none)."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None or not may_read(user, task):
        raise NotFound("Tugas tidak ditemukan.")
    return task


def active_for(kind: str, key: str, user: User | None) -> BackgroundTask | None:
    """The queued or running task of (kind, key) in the user's satker, for the page it concerns."""
    task = db.session.scalar(select(BackgroundTask)
                             .where(BackgroundTask.active_key == active_key(kind, key, _satker_of(user))))
    return task if task is not None and may_read(user, task) else None


def title(task: BackgroundTask) -> str:
    spec = KINDS.get(task.kind)
    return spec.title(task) if spec else task.kind


def result_links(task: BackgroundTask) -> dict[str, str]:
    spec = KINDS.get(task.kind)
    return spec.links(task) if spec else {}


def link_label(task: BackgroundTask) -> str:
    spec = KINDS.get(task.kind)
    return spec.link_label(task) if spec else "Buka hasil"


def failure(task: BackgroundTask) -> ServiceError:
    """A failed task's refusal, as the service raised it (message, code, HTTP status)."""
    exc = ServiceError(task.error_message or "Tugas gagal.", code=task.error_code or "task_failed")
    exc.status = task.error_status or 500
    return exc


def wait(task_id: int, seconds: float, poll: float = 0.25) -> BackgroundTask:
    """The task once finished, or as it is after ``seconds`` (the API waits a little for a short build)."""
    deadline = time.monotonic() + max(0.0, seconds)
    while True:
        db.session.rollback()  # a fresh read each time
        task = db.session.get(BackgroundTask, task_id)
        if task is None or task.is_finished or time.monotonic() >= deadline:
            return task
        time.sleep(poll)


# ---- running: the worker, and where it runs ----

class Worker:
    """Claims and runs tasks until the queue is empty (``drain``) or until stopped (``run_forever``)."""

    def __init__(self, app: Flask, worker_id: str | None = None, poll_seconds: float | None = None) -> None:
        self.app = app
        self.worker_id = worker_id or new_holder_id()
        self.poll = float(poll_seconds if poll_seconds is not None
                          else app.config.get("TASK_POLL_SECONDS") or DEFAULT_POLL_SECONDS)
        self.stop_event = threading.Event()
        self.wake = threading.Event()

    def drain(self) -> int:
        """Recover stale tasks, then run queued ones until none is left; how many ran."""
        ran = 0
        with self.app.app_context():
            try:
                recover_stale()
                while not self.stop_event.is_set():
                    task_id = claim(self.worker_id)
                    if task_id is None:
                        break
                    run_task(task_id, self.worker_id)
                    ran += 1
            finally:
                db.session.remove()
        return ran

    def run_forever(self) -> None:
        log.info("task worker %s started (poll %.1f s)", self.worker_id, self.poll)
        while not self.stop_event.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("task worker %s: a round failed", self.worker_id)
            self.wake.wait(self.poll)
            self.wake.clear()
        log.info("task worker %s stopped", self.worker_id)

    def start_thread(self, name: str = "task-worker") -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name=name, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()


_local_lock = threading.Lock()
_local: dict[str, Any] = {}


def ensure_thread_worker(app: Flask) -> Worker:
    """This process's worker thread (mode "thread"), started on first use; again after a fork (gunicorn)."""
    with _local_lock:
        worker, thread, pid = _local.get("worker"), _local.get("thread"), _local.get("pid")
        if worker is None or thread is None or not thread.is_alive() or pid != os.getpid():
            worker = Worker(app)
            _local.update(worker=worker, thread=worker.start_thread("task-worker-web"), pid=os.getpid())
        return worker


def stop_thread_worker(timeout: float = 5.0) -> None:
    """Stop this process's worker thread, if any (after its current task)."""
    with _local_lock:
        worker, thread = _local.pop("worker", None), _local.pop("thread", None)
        _local.pop("pid", None)
    if worker is not None:
        worker.stop()
    if thread is not None:
        thread.join(timeout=timeout)


def dispatch(task: BackgroundTask) -> BackgroundTask:
    """After the enqueue was committed: run the task now (inline), wake this process's thread, or leave it to
    the worker process (external). Returns the task as it is then."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    how = mode(app)
    if how == "inline":
        if task.status == TaskStatus.QUEUED:
            worker_id = f"inline:{os.getpid()}"
            if claim(worker_id, task_id=task.id) is not None:
                return run_task(task.id, worker_id, reraise=True)
        db.session.refresh(task)
        return task
    if how == "thread":
        ensure_thread_worker(app).wake.set()
    return task


def submit(kind: str, key: str, params: dict[str, Any] | None, requested_by: User | None) -> BackgroundTask:
    """Enqueue (idempotent), commit, and dispatch: what a page or the API calls. Owns the request's commit."""
    task, _created = enqueue(kind, key, params, requested_by)
    db.session.commit()
    return dispatch(task)


def api_wait_seconds() -> float:
    return float(current_app.config.get("TASK_API_WAIT_SECONDS", 20) or 0)
