"""The scheduler (issue 4): jobs registered once, in the satker's time, recorded, idempotent by key,
caught up after downtime, and safe with two scheduler processes."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from jobs import scheduler
from jobs.cli import jobs_cli
from silabu.core.clock import utcnow
from silabu.ops.models import JobRun
from silabu.ops.services import JobSkipped, run_job

WIB = ZoneInfo("Asia/Jakarta")


@contextmanager
def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0, tz: ZoneInfo = WIB):
    with time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=tz), tick=False):
        yield


def runs(db, job: str | None = None) -> list[JobRun]:
    q = select(JobRun).order_by(JobRun.id)
    if job:
        q = q.where(JobRun.job == job)
    return list(db.session.scalars(q))


def packets(db, period: str):
    from silabu.pleno.models import Packet

    return list(db.session.scalars(select(Packet).where(Packet.period == period).order_by(Packet.version)))


def notifications(db, user, kind: str):
    from silabu.notifications.models import Notification

    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.kind == kind)))


@pytest.fixture()
def october_entries(make_asn, make_entry):
    """An ASN who logged work in October 2026 (the month rolled up in November)."""
    asn = make_asn()
    with at(2026, 10, 15):
        make_entry(asn, date(2026, 10, 14), status="submitted")
        make_entry(asn, date(2026, 10, 15))
    return asn


# the recorder

def test_a_keyed_job_runs_once_per_key(db):
    calls = []
    first = run_job("demo", "2026-10", lambda: calls.append(1) or "selesai")
    second = run_job("demo", "2026-10", lambda: calls.append(2) or "selesai")
    assert calls == [1]
    assert (first.outcome, second.outcome) == ("success", "skipped")
    [row] = runs(db, "demo")
    assert row.outcome == "success" and row.message == "selesai"
    assert row.started_at is not None and row.finished_at is not None and row.finished_at >= row.started_at


def test_a_job_without_key_is_recorded_each_time(db):
    run_job("manual", None, lambda: "satu")
    run_job("manual", None, lambda: "dua")
    assert [r.message for r in runs(db, "manual")] == ["satu", "dua"]


def test_a_failed_run_records_the_error_and_undoes_its_work(db, make_asn):
    from silabu.notifications.models import Notification

    asn = make_asn()

    def work():
        db.session.add(Notification(user_id=asn.id, kind="test", title="Setengah jalan"))
        db.session.flush()
        raise RuntimeError("SMTP mati")

    result = run_job("demo", "k1", work)
    assert result.outcome == "failed"
    [row] = runs(db, "demo")
    assert row.outcome == "failed" and "SMTP mati" in row.message and row.finished_at is not None
    assert notifications(db, asn, "test") == []


def test_a_failed_keyed_run_is_retried_later_in_the_same_row(db):
    def broken():
        raise RuntimeError("disk penuh")

    assert run_job("demo", "2026-10", broken).outcome == "failed"
    retry = run_job("demo", "2026-10", lambda: "berhasil")
    assert retry.outcome == "success"
    [row] = runs(db, "demo")
    assert (row.outcome, row.message) == ("success", "berhasil")
    assert run_job("demo", "2026-10", lambda: "lagi").outcome == "skipped"


def test_a_run_left_running_by_a_killed_process_is_taken_over_when_stale(db):
    db.session.add(JobRun(job="demo", key="2026-10", outcome="running", started_at=utcnow() - timedelta(hours=7)))
    db.session.add(JobRun(job="demo", key="2026-11", outcome="running", started_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert run_job("demo", "2026-10", lambda: "diambil alih").outcome == "success"
    # A run started minutes ago may still be working in another process: leave it alone.
    assert run_job("demo", "2026-11", lambda: "dua kali").outcome == "skipped"
    assert {r.key: r.outcome for r in runs(db, "demo")} == {"2026-10": "success", "2026-11": "running"}


def test_a_job_that_may_not_act_is_recorded_as_skipped(db):
    def final():
        raise JobSkipped("Paket sudah final.")

    result = run_job("demo", "2026-10", final)
    assert result.outcome == "skipped"
    [row] = runs(db, "demo")
    assert (row.outcome, row.message) == ("skipped", "Paket sudah final.")


def test_a_quiet_job_with_nothing_to_do_leaves_no_row(db):
    assert run_job("send-mail", "2026-11-10T09:05", lambda: 0, quiet=True).outcome == "success"
    assert runs(db, "send-mail") == []
    run_job("send-mail", "2026-11-10T09:10", lambda: 3, quiet=True)
    assert [r.message for r in runs(db, "send-mail")] == ["3"]


# the schedule

def test_every_job_is_registered_once_with_catch_up_safe_defaults(app, db, org):
    sched = scheduler.build_scheduler(app)
    assert sorted(j.id for j in sched.get_jobs()) == sorted(s.name for s in scheduler.JOBS)
    assert len({s.name for s in scheduler.JOBS}) == len(scheduler.JOBS)
    assert sched._job_defaults["coalesce"] is True
    assert sched._job_defaults["misfire_grace_time"] == 3600
    assert sched._job_defaults["max_instances"] == 1


def test_every_job_is_also_a_command(app):
    commands = set(jobs_cli.commands)
    assert {s.name for s in scheduler.JOBS} <= commands
    assert {"run", "list"} <= commands


def test_job_times_are_in_the_satker_timezone(app, db, org, monkeypatch):
    org["SEK"].satker.timezone = "Asia/Makassar"
    db.session.commit()
    monkeypatch.setitem(app.config, "REMINDER_TIME", "16:05")
    wita = ZoneInfo("Asia/Makassar")
    sched = scheduler.build_scheduler(app)
    jobs = {j.id: j for j in sched.get_jobs()}
    friday_evening = datetime(2026, 11, 20, 17, 0, tzinfo=wita)
    # Reminders only on weekdays, at the configured time in WITA.
    assert jobs["reminders"].trigger.get_next_fire_time(None, friday_evening) == datetime(2026, 11, 23, 16, 5, tzinfo=wita)
    assert jobs["rollup"].trigger.get_next_fire_time(None, friday_evening) == datetime(2026, 11, 21, 1, 0, tzinfo=wita)
    assert jobs["backup"].trigger.get_next_fire_time(None, friday_evening) == datetime(2026, 11, 21, 2, 0, tzinfo=wita)
    assert jobs["cleanup-orphans"].trigger.get_next_fire_time(None, friday_evening) == datetime(2026, 11, 21, 3, 0, tzinfo=wita)
    assert jobs["window-notices"].trigger.get_next_fire_time(None, friday_evening) == datetime(2026, 11, 21, 7, 0, tzinfo=wita)


def test_the_mail_job_is_keyed_by_its_five_minute_slot(app, db, org, monkeypatch):
    import silabu.notifications.services as notifications_services

    calls = []
    monkeypatch.setattr(notifications_services, "deliver_pending_emails", lambda: calls.append(1) or 2)
    scheduler.send_mail(datetime(2026, 11, 10, 9, 7, 30, tzinfo=WIB))
    scheduler.send_mail(datetime(2026, 11, 10, 9, 9, 59, tzinfo=WIB))
    assert calls == [1]
    assert [r.key for r in runs(db, "send-mail")] == ["2026-11-10T09:05"]


# the jobs

def test_reminder_reaches_only_asn_with_an_empty_working_day_once_a_day(db, make_asn, make_entry):
    diligent, forgetful = make_asn(), make_asn()
    with at(2026, 11, 3, 8):
        make_entry(diligent, date(2026, 11, 2))
        make_entry(diligent, date(2026, 11, 3))
    with at(2026, 11, 3, 15, 30):
        [first] = scheduler.run_now("reminders")
        [second] = scheduler.run_now("reminders")
    assert (first.outcome, second.outcome) == ("success", "skipped")
    assert notifications(db, diligent, "reminder") == []
    [note] = notifications(db, forgetful, "reminder")
    assert "2 hari kerja" in note.body and "Senin, 2 November 2026" in note.body


def test_no_reminder_on_a_day_off(db, make_asn):
    forgetful = make_asn()
    with at(2026, 11, 7, 15, 30):  # a Saturday
        [result] = scheduler.run_now("reminders")
    assert result.outcome == "success" and result.message.startswith("0 ")
    assert notifications(db, forgetful, "reminder") == []


def test_window_opened_notice_reaches_the_kasubag_once(db, make_asn, make_kasubag, make_entry):
    kasubag = make_kasubag()
    asn = make_asn()
    with at(2026, 10, 30, 6):
        make_entry(asn, date(2026, 10, 29), status="submitted")
    with at(2026, 10, 30, 7):  # the last working day of October: the window opens
        [first] = scheduler.run_now("window-notices")
        [second] = scheduler.run_now("window-notices")
    assert first.outcome == "success" and second.outcome == "skipped"
    assert len(notifications(db, kasubag, "verification_window")) == 1


def test_rollup_waits_for_the_verification_window_to_close(db, october_entries):
    with at(2026, 11, 3, 1):  # window of October closes on 4 November
        assert scheduler.run_now("rollup") == []
    assert packets(db, "2026-10") == []
    with at(2026, 11, 5, 1):
        [result] = scheduler.run_now("rollup")
    assert result.outcome == "success", result.message
    assert [p.version for p in packets(db, "2026-10")] == [1]


def test_rollup_of_a_final_packet_is_recorded_as_skipped(db, october_entries, monkeypatch):
    import silabu.pleno.services as pleno
    from silabu.core.errors import Conflict

    def final(period, actor=None):
        raise Conflict(f"Paket {period} sudah final; tidak dapat dibangun ulang.", code="packet_final")

    monkeypatch.setattr(pleno, "build_packet", final)
    with at(2026, 11, 10, 1):
        [result] = scheduler.run_now("rollup")
        assert scheduler.run_now("rollup") == []
    assert result.outcome == "skipped"
    [row] = runs(db, "rollup")
    assert row.outcome == "skipped" and "sudah final" in row.message


def test_two_scheduler_processes_build_each_packet_once(app, db, october_entries, monkeypatch):
    """Two schedulers started by mistake fire the roll-up at the same moment: one packet version."""
    import silabu.pleno.services as pleno

    real_build = pleno.build_packet
    calls = []

    def slow_build(period, actor=None):
        calls.append(period)
        time.sleep(0.5)  # long enough for the other process to try the same month meanwhile
        return real_build(period, actor=actor)

    monkeypatch.setattr(pleno, "build_packet", slow_build)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scheduler_process():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.extend(scheduler.rollup(scheduler.now_local()))
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    with at(2026, 11, 10, 1):
        threads = [threading.Thread(target=scheduler_process) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert calls == ["2026-10"]
    assert sorted(r.outcome for r in results) == ["skipped", "success"]
    db.session.expire_all()
    assert [p.version for p in packets(db, "2026-10")] == [1]
    assert [(r.key, r.outcome) for r in runs(db, "rollup")] == [("2026-10", "success")]


def test_scheduler_started_after_a_month_end_catches_up_once(app, db, october_entries, monkeypatch, tmp_path):
    """Down over the end of October: on start it builds October's packet; a second start does nothing."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from silabu.ops.backup import list_backups

    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    started = []
    monkeypatch.setattr(BlockingScheduler, "start", lambda self, *a, **kw: started.append(self))
    monkeypatch.setattr(scheduler.signal, "signal", lambda *a: None)

    with at(2026, 11, 5, 9):  # the day after October's verification window closed (4 November)
        scheduler.run_scheduler(app)
        db.session.expire_all()
        assert [p.version for p in packets(db, "2026-10")] == [1]
        first_runs = {(r.job, r.key, r.outcome) for r in runs(db)}
        assert ("rollup", "2026-10", "success") in first_runs
        assert ("window-notices", "2026-11-05", "success") in first_runs
        assert ("backup", "2026-11-05", "success") in first_runs
        assert not any(job == "reminders" for job, _, _ in first_runs)  # 15.30 has not come yet
        assert len(list_backups()) == 1

        scheduler.run_scheduler(app)
        db.session.expire_all()
        assert [p.version for p in packets(db, "2026-10")] == [1]
        assert {(r.job, r.key, r.outcome) for r in runs(db)} == first_runs
        assert len(list_backups()) == 1
    assert len(started) == 2


def test_catch_up_builds_a_missed_earlier_month_with_data_but_not_an_empty_one(db, october_entries):
    # Down from 3 November until 2 December: October's window closed meanwhile, November's is not closed yet.
    with at(2026, 12, 2, 9):
        scheduler.catch_up(only=["rollup"])
    assert [p.version for p in packets(db, "2026-10")] == [1]
    assert packets(db, "2026-11") == []
    assert packets(db, "2026-09") == []


def test_rollup_command_refuses_a_month_whose_window_is_open(app, db, org):
    runner = app.test_cli_runner()
    with at(2026, 11, 3, 9):
        result = runner.invoke(args=["jobs", "rollup", "--month", "2026-10"])
    assert result.exit_code == 2
    assert "pleno build --month 2026-10" in result.output
    assert runs(db, "rollup") == []


def test_rollup_command_builds_the_given_month_once(app, db, october_entries):
    runner = app.test_cli_runner()
    with at(2026, 11, 20, 9):
        first = runner.invoke(args=["jobs", "rollup", "--month", "2026-10"])
        second = runner.invoke(args=["jobs", "rollup", "--month", "2026-10"])
    assert first.exit_code == 0, first.output
    assert "Berhasil" in first.output and "Dilewati" in second.output
    db.session.expire_all()
    assert [p.version for p in packets(db, "2026-10")] == [1]


def test_jobs_list_shows_every_job_and_its_last_run(app, db, org):
    run_job("backup", "2026-11-10", lambda: "cadangan-uji")
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    for spec in scheduler.JOBS:
        assert spec.name in result.output
    assert "cadangan-uji" in result.output


# the admin page

def test_admins_see_job_runs_latest_first(client, db, make_user, login_as):
    admin = make_user("SEK", "admin")
    run_job("rollup", "2026-09", lambda: "paket lama")
    run_job("backup", None, lambda: (_ for _ in ()).throw(RuntimeError("disk penuh")))
    login_as(admin)
    page = client.get("/admin/ops/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Riwayat tugas" in html and "Gagal" in html and "disk penuh" in html
    assert html.index("disk penuh") < html.index("paket lama")


def test_other_roles_may_not_open_the_operations_page(client, db, make_user, login_as):
    for roles in ("asn", "asn,kasubag", "rendatin", "sekretaris"):
        user = make_user("RDI", roles)
        login_as(user)
        assert client.get("/admin/ops/").status_code == 403
        client.post("/keluar")
