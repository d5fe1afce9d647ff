"""Several web servers, one scheduler (issue 15): any number of scheduler processes may run; only the holder of
the lease runs jobs, and when it stops another takes over once the lease has expired, on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from jobs import scheduler
from silabu.ops import lease
from silabu.ops.models import JobRun

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_one_holder_at_a_time_and_a_takeover_only_after_expiry(db):
    with time_machine.travel(T0, tick=False) as clock:
        assert lease.acquire("web-1", 60)
        assert not lease.acquire("web-2", 60)
        clock.shift(timedelta(seconds=40))
        assert lease.acquire("web-1", 60)  # renewed: now until T0 + 100 s
        clock.shift(timedelta(seconds=59))
        assert not lease.acquire("web-2", 60) and lease.holds("web-1")
        clock.shift(timedelta(seconds=2))  # web-1 stopped renewing: expired
        assert not lease.holds("web-1")
        assert lease.acquire("web-2", 60)
        assert lease.holds("web-2") and not lease.holds("web-1")
        assert not lease.acquire("web-1", 60)  # the old holder, waking up, does not get it back
        state = lease.current()
    assert state.holder == "web-2" and state.acquired_at == T0 + timedelta(seconds=101)
    assert state.expires_at == T0 + timedelta(seconds=161)


def test_a_released_lease_is_taken_at_once(db):
    assert lease.acquire("web-1", 60)
    lease.release("web-1")
    assert not lease.holds("web-1")
    assert lease.acquire("web-2", 60)
    lease.release("web-1")  # not the holder any more: changes nothing
    assert lease.holds("web-2")


def _race(app, db, seconds: float, contenders: int = 8) -> tuple[list[int], list[Exception]]:
    """``contenders`` processes' worth of connections asking for the lease at the same instant: who won."""
    from tests.conftest import in_threads

    won = [n for n, got in enumerate(in_threads(app, contenders, lambda n: lease.acquire(f"p{n}", seconds))) if got]
    return won, []


def test_of_processes_racing_for_a_free_lease_exactly_one_wins(app, db):
    """Eight contenders with their own connections, at the same instant, over a missing and an expired row."""
    won, errors = _race(app, db, 0.5)
    assert errors == [] and len(won) == 1, (won, errors)
    time.sleep(0.6)  # that lease expires: the second race is for a takeover
    won, errors = _race(app, db, 60)
    assert errors == [] and len(won) == 1, (won, errors)


def test_a_scheduler_without_the_lease_runs_no_job(app, db, monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler, "JOBS", [scheduler.JobSpec("probe", "uji", "-", scheduler._every(5),
                                                              lambda now: calls.append(now) or [])])
    assert lease.acquire("other-machine", 60)
    scheduler._execute(app, "probe", "Asia/Jakarta", holder="this-machine")
    assert calls == []
    scheduler._execute(app, "probe", "Asia/Jakarta", holder="other-machine")
    assert len(calls) == 1


def test_jobs_list_names_the_lease_holder(app, db, org):
    lease.acquire("silabu-2:4242:abcd", 60)
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    assert "silabu-2:4242:abcd" in result.output


# two real scheduler processes on the test database

DRIVER = textwrap.dedent("""
    import sys
    from apscheduler.triggers.interval import IntervalTrigger
    from jobs import scheduler
    from silabu import create_app
    from silabu.core.clock import zone
    from silabu.ops.services import run_job

    url, tag, upload_dir = sys.argv[1:4]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "UPLOAD_DIR": upload_dir,
                      "SCHEDULER_LEASE_SECONDS": %(lease)d})
    # The real scheduler with two probe jobs: a heartbeat every 0.3 s, and a catch-up-only job that says who
    # caught up on becoming the leader.
    scheduler.JOBS[:] = [
        scheduler.JobSpec("heartbeat", "uji", "-", lambda c, tz: IntervalTrigger(seconds=0.3, timezone=zone(tz)),
                          lambda now: [run_job("heartbeat", None, lambda: tag)]),
        scheduler.JobSpec("takeover", "uji", "-", lambda c, tz: IntervalTrigger(days=365, timezone=zone(tz)),
                          lambda now: [run_job("takeover", None, lambda: tag)], catch_up=lambda now: True),
    ]
    scheduler.run_scheduler(app)
""")
LEASE_SECONDS = 3


def _start(tag: str, url: str, tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER % {"lease": LEASE_SECONDS})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / f"{tag}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, str(script), url, tag, str(tmp_path / "uploads")], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _rows(db, job: str) -> list[tuple[str, datetime]]:
    from silabu.core.clock import as_utc

    db.session.rollback()
    # Finished runs: a run still being recorded has no message yet (and A's last one may never finish).
    rows = db.session.execute(select(JobRun.message, JobRun.started_at)
                              .where(JobRun.job == job, JobRun.outcome == "success").order_by(JobRun.id)).all()
    db.session.rollback()
    return [(m, as_utc(t)) for m, t in rows]


def _wait_for(predicate, timeout: float, what: str, tmp_path: Path) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(tmp_path.glob("*.log")))
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)
    return time.monotonic() - start


@pytest.fixture()
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_two_scheduler_processes_run_jobs_in_one_and_the_other_takes_over(db, _test_database_url, tmp_path,
                                                                           processes):
    a = _start("A", _test_database_url, tmp_path)
    processes.append(a)
    _wait_for(lambda: any(m == "A" for m, _ in _rows(db, "heartbeat")), 60, "A to run jobs", tmp_path)
    b = _start("B", _test_database_url, tmp_path)
    processes.append(b)
    _wait_for(lambda: "waits: another process holds the lease" in (tmp_path / "B.log").read_text(), 60,
              "B to start and wait", tmp_path)
    time.sleep(LEASE_SECONDS)  # more than a lease with both running: B never runs a job meanwhile
    assert {m for m, _ in _rows(db, "heartbeat")} == {"A"}
    assert [m for m, _ in _rows(db, "takeover")] == ["A"]  # A caught up on start; B did not

    a.send_signal(signal.SIGKILL)  # A's machine dies: no release, the lease has to expire
    a.wait(10)
    killed_at = datetime.now(UTC)
    expired_at = lease.current().expires_at  # A's last renewal, as it can renew no more
    db.session.rollback()
    waited = _wait_for(lambda: any(m == "B" for m, _ in _rows(db, "heartbeat")), LEASE_SECONDS * 3,
                       "B to take over", tmp_path)
    # A renewed every third of the lease, so its lease ran out between 2/3 of a lease and a lease after the kill;
    # B tries every third of a lease. (Generous bound above: the machine is shared.)
    print(f"takeover {waited:.2f} s after the kill (lease {LEASE_SECONDS} s)")
    assert waited < 2 * LEASE_SECONDS + 3, waited
    beats = _rows(db, "heartbeat")
    assert all(t < killed_at for m, t in beats if m == "A")
    first_b = min(t for m, t in beats if m == "B")
    assert first_b >= expired_at > killed_at  # not a moment before A's lease ran out
    assert all(t < first_b for m, t in beats if m == "A")  # never both at once
    # B caught up on what A may have missed (in the job pool, so maybe just after its first heartbeat).
    _wait_for(lambda: [m for m, _ in _rows(db, "takeover")] == ["A", "B"], 10, "B's catch-up", tmp_path)

    # A comes back and waits; B stops cleanly (SIGTERM): it gives the lease up, so A takes over at once.
    a2 = _start("A2", _test_database_url, tmp_path)
    processes.append(a2)
    _wait_for(lambda: "waits: another process holds the lease" in (tmp_path / "A2.log").read_text(), 60,
              "A2 to start and wait", tmp_path)
    b.send_signal(signal.SIGTERM)
    assert b.wait(20) == 0
    waited = _wait_for(lambda: any(m == "A2" for m, _ in _rows(db, "heartbeat")), LEASE_SECONDS * 3,
                       "A2 to take over", tmp_path)
    print(f"takeover {waited:.2f} s after a clean stop")
    assert waited < LEASE_SECONDS, waited  # well before B's lease would have run out
    a2.send_signal(signal.SIGTERM)
    assert a2.wait(20) == 0
    assert lease.current().expires_at <= datetime.now(UTC)


def test_the_operations_page_names_the_lease_holder(client, db, make_user, login_as):
    lease.acquire("silabu-2:4242:abcd", 60)
    login_as(make_user("SEK", "admin"))
    html = client.get("/admin/ops/").get_data(as_text=True)
    assert "Pemegang giliran penjadwal: silabu-2:4242:abcd" in html


def test_a_leader_that_lost_its_lease_stops_and_a_gain_triggers_the_catch_up(app, db, caplog, monkeypatch):
    import logging

    # Alembic's logging set-up (test_migrations) disables existing loggers; the log is part of what is checked here.
    monkeypatch.setattr(logging.getLogger("silabu.jobs"), "disabled", False)
    caplog.set_level(logging.INFO, logger="silabu.jobs")
    gained = []
    a = scheduler.Leadership(app, 60, holder="web-1")
    b = scheduler.Leadership(app, 60, on_gain=lambda: gained.append("web-2"), holder="web-2")
    with time_machine.travel(T0, tick=False) as clock:
        assert a.tick() and not b.tick()
        clock.shift(timedelta(seconds=61))  # web-1 stalled past its lease (a long pause, a lost network)
        assert b.tick() and gained == ["web-2"]
        assert b.tick() and gained == ["web-2"]  # a renewal is no new gain
        assert not a.tick() and not a.is_leader
    assert "web-1 lost the lease" in caplog.text
