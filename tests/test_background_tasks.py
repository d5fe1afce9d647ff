"""Long work off the request thread (issue 15): packet builds and LKj compiles run as background tasks.

One task per (kind, key, satker) while it waits or runs, however many requests ask at once; one worker per task;
progress visible while it runs; a refusal's message kept; a task of a dead worker requeued, then failed."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from conftest import SHARED, in_threads
from sqlalchemy import func, select

from silabu.core.clock import utcnow
from silabu.ops import tasks
from silabu.ops.models import BackgroundTask, TaskStatus
from silabu.pleno.models import Packet
from tests.test_pleno_rollup import PERIOD

LKJ_QUICK_RENDER = True
THREADS = 6


@pytest.fixture()
def external(app, monkeypatch):
    """Tasks wait for a worker process (production's "external"): the test runs `flask worker run --once`."""
    monkeypatch.setitem(app.config, "TASK_WORKER", "external")


@pytest.fixture()
def threaded(app, monkeypatch):
    """The web process's own worker thread (the default "thread" mode), stopped when the test ends."""
    monkeypatch.setitem(app.config, "TASK_WORKER", "thread")
    monkeypatch.setitem(app.config, "TASK_POLL_SECONDS", 0.2)
    yield
    tasks.stop_thread_worker()


def worker_once(app) -> str:
    result = app.test_cli_runner().invoke(args=["worker", "run", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def all_tasks(db) -> list[BackgroundTask]:
    db.session.expire_all()
    return list(db.session.scalars(select(BackgroundTask).order_by(BackgroundTask.id)))


def test_requests_at_the_same_instant_queue_one_task(app, db, rendatin):
    from silabu.accounts.models import User
    from silabu.extensions import db as _db

    user_id = rendatin.id  # read here: the test's own session is not for the threads

    def request(_i: int) -> int:
        user = _db.session.get(User, user_id)
        task, _created = tasks.enqueue("pleno.build", PERIOD, {}, user)
        _db.session.commit()
        return task.id

    ids = in_threads(app, THREADS, request)
    assert len(set(ids)) == 1
    [task] = all_tasks(db)
    assert task.status == TaskStatus.QUEUED and task.requested_by_id == rendatin.id
    assert task.satker_id == rendatin.unit.satker_id
    # Once it has finished, the next request is a new task (a rebuild), not the old one.
    task.status, task.active_key = TaskStatus.DONE, None
    db.session.commit()
    again, created = tasks.enqueue("pleno.build", PERIOD, {}, rendatin)
    db.session.commit()
    assert created and again.id != task.id


def test_two_clicks_on_the_build_button_give_one_task(db, client, closed_month, rendatin, login_as, external):
    login_as(rendatin)
    first = client.post(f"/pleno/{PERIOD}/susun")
    second = client.post(f"/pleno/{PERIOD}/susun")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(all_tasks(db)) == 1


def test_two_workers_never_run_the_same_task(app, db, rendatin):
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        tasks.enqueue("pleno.build", month, {}, rendatin)
    db.session.commit()

    def worker(i: int) -> list[int]:
        taken = []
        while (task_id := tasks.claim(f"worker-{i}")) is not None:
            taken.append(task_id)
        return taken

    claims = in_threads(app, 4, worker)
    flat = [task_id for taken in claims for task_id in taken]
    assert sorted(flat) == [t.id for t in all_tasks(db)]  # each task claimed exactly once
    assert all(t.status == TaskStatus.RUNNING and t.attempts == 1 for t in all_tasks(db))
    assert {t.worker_id for t in all_tasks(db)} <= {f"worker-{i}" for i in range(4)}


def test_the_page_flow_as_rendatin_queue_then_worker_then_the_packet_link(app, db, client, closed_month, rendatin,
                                                                        login_as, external):
    login_as(rendatin)
    resp = client.post(f"/pleno/{PERIOD}/susun")
    assert resp.status_code == 302 and "/tugas/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Penyusunan paket pleno Oktober 2026" in page and "Menunggu giliran" in page
    assert '<meta http-equiv="refresh" content="2">' in page and "<progress" in page
    assert db.session.scalar(select(func.count(Packet.id))) == 0  # nothing built in the request

    assert "1 tugas latar dikerjakan." in worker_once(app)

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Selesai" in page and "Paket Oktober 2026 versi 1 selesai disusun." in page
    assert f'href="/pleno/{PERIOD}"' in page and "Buka paket pleno" in page
    assert 'http-equiv="refresh"' not in page  # a finished task stops refreshing
    [task] = all_tasks(db)
    assert task.status == TaskStatus.DONE and task.progress == 100 and task.active_key is None
    assert task.result["version"] == 1 and db.session.get(Packet, task.result["packet_id"]).period == PERIOD
    assert "Draf v1" in client.get(f"/pleno/{PERIOD}").get_data(as_text=True)


def test_the_lkj_compile_runs_as_a_task_too(app, db, client, rendatin, login_as, external):
    from silabu.core.tables import read_table
    from silabu.lkj.models import LkjDocument
    from silabu.lkj.services import import_indicators

    import_indicators(read_table("indicators.csv", (SHARED / "data/demo/indicators.csv").read_bytes()).rows, 2026)
    db.session.commit()
    login_as(rendatin)
    resp = client.post("/lkj/2026/LKJ-SEK/kompilasi")
    assert resp.status_code == 302 and "/tugas/" in resp.headers["Location"]
    assert "Kompilasi LKJ-SEK 2026" in client.get(resp.headers["Location"]).get_data(as_text=True)
    worker_once(app)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Versi 1 berhasil dikompilasi" in page and 'href="/lkj/2026/LKJ-SEK/"' in page
    [task] = all_tasks(db)
    assert task.key == "2026/LKJ-SEK" and db.session.get(LkjDocument, task.result["document_id"]).version == 1


def test_progress_is_visible_while_the_task_runs(app, db, client, rendatin, api_token, threaded, monkeypatch):
    release = threading.Event()

    def slow(task, actor, progress):
        progress(50, "Setengah jalan.")
        assert release.wait(20)
        return {"answer": 42}, "Beres."

    kind = tasks.TaskKind("test.slow", lambda t: "Tugas uji", lambda: ("rendatin",), slow,
                          lambda t: {"page": "/beranda"}, lambda t: "Buka")
    monkeypatch.setitem(tasks.KINDS, "test.slow", kind)
    headers = api_token(rendatin)
    task = tasks.submit("test.slow", "x", {}, rendatin)
    url = f"/api/v1/tasks/{task.id}"
    seen = None
    for _ in range(100):
        seen = client.get(url, headers=headers).json
        if seen["progress"] == 50:
            break
        time.sleep(0.1)
    assert seen["status"] == "running" and seen["progress"] == 50 and seen["message"] == "Setengah jalan."
    release.set()
    for _ in range(100):
        seen = client.get(url, headers=headers).json
        if seen["status"] == "done":
            break
        time.sleep(0.1)
    assert seen["status"] == "done" and seen["progress"] == 100 and seen["result"] == {"answer": 42}
    assert seen["message"] == "Beres." and seen["links"]["result_page"] == "/beranda" and seen["error"] is None


def test_the_build_reports_its_steps(db, closed_month, rendatin):
    from silabu.pleno.services import build_packet

    steps = []
    build_packet(PERIOD, rendatin, progress=lambda p, m: steps.append((p, m)))
    assert [p for p, _ in steps] == [10, 30, 80] and all(m for _, m in steps)


def test_a_refusal_is_kept_with_its_message(app, db, client, rendatin, login_as, api_token, external):
    login_as(rendatin)
    resp = client.post("/pleno/2027-05/susun")  # a month still ahead: the service refuses
    worker_once(app)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Gagal" in page and "Bulan Mei 2027 belum dimulai" in page
    [task] = all_tasks(db)
    assert task.status == TaskStatus.FAILED and task.error_code == "month_not_started" and task.error_status == 409
    body = client.get(f"/api/v1/tasks/{task.id}", headers=api_token(rendatin)).json
    assert body["error"] == {"code": "month_not_started", "message": task.error_message}


def test_a_crash_halfway_saves_nothing_and_keeps_what_was_there(app, db, closed_month, rendatin, external,
                                                                 monkeypatch):
    from silabu.pleno import files as packet_files
    from silabu.pleno.services import build_packet

    build_packet(PERIOD, rendatin)
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("disk penuh")

    monkeypatch.setattr(packet_files, "build_all", broken)
    tasks.enqueue("pleno.build", PERIOD, {}, rendatin)
    db.session.commit()
    worker_once(app)
    [task] = all_tasks(db)
    assert task.status == TaskStatus.FAILED and task.error_code == "internal_error"
    assert "tidak ada yang tersimpan" in task.error_message and "disk penuh" not in task.error_message
    assert task.progress == 30  # where it stopped (the message said which step)
    assert [p.version for p in db.session.scalars(select(Packet))] == [1]  # version 1 untouched, no half v2


def test_the_api_answers_201_when_done_within_its_wait_and_202_otherwise(app, db, client, closed_month, rendatin,
                                                                          api_token, threaded):
    headers = api_token(rendatin)
    done = client.post(f"/api/v1/packets/{PERIOD}/build", headers=headers)
    assert done.status_code == 201 and done.json["version"] == 1 and done.json["files"]
    tasks.stop_thread_worker()
    app.config["TASK_WORKER"] = "external"
    later = client.post(f"/api/v1/packets/{PERIOD}/build", headers={**headers, "Prefer": "respond-async"})
    assert later.status_code == 202 and later.headers["Location"] == f"/api/v1/tasks/{later.json['id']}"
    assert later.json["status"] == "queued" and later.json["links"]["page"] == f"/tugas/{later.json['id']}"
    worker_once(app)
    assert client.get(later.headers["Location"], headers=headers).json["result"]["version"] == 2


def test_a_refusal_within_the_api_wait_is_the_services_own_error(client, db, rendatin, api_token, threaded):
    resp = client.post("/api/v1/packets/2027-05/build", headers=api_token(rendatin))
    assert resp.status_code == 409 and resp.json["error"]["code"] == "month_not_started"


def test_a_task_of_a_dead_worker_is_requeued_once_then_failed(app, db, rendatin):
    task, _ = tasks.enqueue("pleno.build", PERIOD, {}, rendatin)
    db.session.commit()

    def die() -> None:  # claimed, then the worker stops beating
        assert tasks.claim("dead-worker") == task.id
        db.session.execute(BackgroundTask.__table__.update().values(heartbeat_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()

    die()
    assert tasks.recover_stale() == 1
    db.session.refresh(task)
    assert task.status == TaskStatus.QUEUED and task.worker_id is None and "diantrekan ulang" in task.message
    assert tasks.recover_stale() == 0  # nothing stale now
    die()
    assert tasks.recover_stale() == 1
    db.session.refresh(task)
    assert task.status == TaskStatus.FAILED and task.error_code == "worker_lost" and task.active_key is None
    assert "Pekerja yang menjalankan tugas ini berhenti" in task.error_message and task.attempts == 2


def test_a_beating_worker_is_left_alone_and_a_worker_that_lost_its_task_publishes_nothing(app, db, closed_month,
                                                                                          rendatin):
    task, _ = tasks.enqueue("pleno.build", PERIOD, {}, rendatin)
    db.session.commit()
    assert tasks.claim("slow-worker") == task.id
    assert tasks.recover_stale() == 0  # its heartbeat is fresh
    # Meanwhile it was taken for dead and requeued; when it finishes, its work is thrown away.
    db.session.execute(BackgroundTask.__table__.update().values(status="queued", worker_id=None))
    db.session.commit()
    tasks.run_task(task.id, "slow-worker")
    assert db.session.scalar(select(func.count(Packet.id))) == 0
    assert all_tasks(db)[0].status == TaskStatus.QUEUED


def test_only_the_requester_and_the_same_roles_read_a_task(app, db, client, closed_month, rendatin, make_user,
                                                           api_token, login_as, external):
    task = tasks.submit("pleno.build", PERIOD, {}, rendatin)
    sekretaris = make_user("SEK", "sekretaris", name="Sekretaris Baca")
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_token(sekretaris)).status_code == 200
    for other in (make_user("SEK", "ketua", name="Ketua"), make_user("KUL", "asn,kasubag", name="Kasubag"),
                  closed_month["ani"]):
        resp = client.get(f"/api/v1/tasks/{task.id}", headers=api_token(other))
        assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    login_as(closed_month["ani"])
    assert client.get(f"/tugas/{task.id}").status_code == 404
    assert client.get("/api/v1/tasks/999999", headers=api_token(rendatin)).status_code == 404


def test_a_task_of_another_satker_is_not_shown(db, rendatin):
    task, _ = tasks.enqueue("pleno.build", PERIOD, {}, rendatin)
    task.satker_id = rendatin.unit.satker_id + 1
    db.session.commit()
    assert not tasks.may_read(rendatin, task)


def test_the_openapi_document_describes_the_task_endpoint(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "get" in doc["paths"]["/api/v1/tasks/{task_id}"]
    assert "202" in doc["paths"]["/api/v1/packets/{month}/build"]["post"]["responses"]
    assert "Task" in doc["components"]["schemas"]


def test_enqueue_knows_only_its_kinds(db, rendatin):
    with pytest.raises(ValueError):
        tasks.enqueue("tidak.ada", "x", {}, rendatin)


def test_the_month_page_links_to_a_build_under_way_and_the_thread_worker_finishes_it(app, db, client, closed_month,
                                                                                     rendatin, login_as, threaded):
    login_as(rendatin)
    task, _ = tasks.enqueue("pleno.build", PERIOD, {}, rendatin)  # queued; this process's thread is not up yet
    db.session.commit()
    html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
    assert "Menunggu giliran" in html and f'href="/tugas/{task.id}"' in html and "Lihat progres" in html
    page = ""
    for _ in range(100):  # opening the task page starts the worker thread (mode "thread"); the page refreshes
        page = client.get(f"/tugas/{task.id}").get_data(as_text=True)
        if "Selesai" in page:
            break
        time.sleep(0.1)
    assert "Paket Oktober 2026 versi 1 selesai disusun." in page and "oleh Rina Rendatin" in page
    assert "Lihat progres" not in client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
