"""Faults to survive (issue 6): an upload killed halfway, the database briefly gone, the disk full."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from silabu.entries.models import Entry, Evidence
from tests.conftest import CODE, UPLOADS

ROOT = Path(__file__).resolve().parents[1]
PHOTO = UPLOADS / "good" / "phone_12mp_gps.jpg"
PDF = UPLOADS / "good" / "nota_dinas.pdf"


def stored_files(app) -> set[str]:
    """Every file under the upload root, temp files included (relative paths)."""
    root = Path(app.config["UPLOAD_DIR"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def referenced_keys(db) -> set[str]:
    keys = set()
    for storage_key, thumbnail_key in db.session.execute(select(Evidence.storage_key, Evidence.thumbnail_key)):
        keys.add(storage_key)
        if thumbnail_key:
            keys.add(thumbnail_key)
    return keys


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def age_files(app, seconds: int) -> None:
    past = time.time() - seconds
    for path in Path(app.config["UPLOAD_DIR"]).rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def entry_payload(day) -> dict:
    return {"entry_date": day.isoformat(), "output_code": CODE, "activity": "Rapat koordinasi", "output": "Notula",
            "quantity": 1, "unit": "Dokumen"}


# a process killed during an upload

KILLED_UPLOAD = textwrap.dedent("""
    import json, os, signal, sys
    from silabu import create_app
    from silabu.extensions import db
    cfg = json.loads(os.environ["SILABU_CHILD_CONFIG"])
    app = create_app(cfg["config"])
    with app.app_context():
        from silabu.accounts.models import User
        from silabu.entries.models import Entry
        from silabu.entries.evidence import add_evidence
        entry = db.session.get(Entry, cfg["entry_id"])
        user = db.session.get(User, cfg["user_id"])
        with open(cfg["file"], "rb") as fh:
            ev = add_evidence(entry, user, "foto_kegiatan.jpg", fh.read())
        print(json.dumps({"storage_key": ev.storage_key, "thumbnail_key": ev.thumbnail_key}), flush=True)
        # Killed after the blob is stored and the row flushed, before the request could commit.
        os.kill(os.getpid(), signal.SIGKILL)
""")


def test_upload_killed_before_commit_leaves_no_row_and_clean_up_removes_its_file(app, db, make_asn, make_entry):
    from jobs import scheduler
    from silabu.entries.evidence import add_evidence

    asn = make_asn()
    entry = make_entry(asn)
    kept = add_evidence(entry, asn, "nota.pdf", PDF.read_bytes())  # an earlier upload that did commit
    db.session.commit()
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY", "SERVER_NAME")}
    config["TESTING"] = True
    env = dict(os.environ, SILABU_CHILD_CONFIG=json.dumps(
        {"config": config, "entry_id": entry.id, "user_id": asn.id, "file": str(PHOTO)}))
    proc = subprocess.run([sys.executable, "-c", KILLED_UPLOAD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]
    written = json.loads(proc.stdout.strip().splitlines()[-1])

    # The killed upload: its blobs are on disk, its row never made it.
    assert count(db, Evidence) == 1
    assert written["storage_key"] in stored_files(app)
    assert referenced_keys(db) == {kept.storage_key}

    # A young orphan may be an upload whose commit is still coming: the clean-up leaves it.
    scheduler.run_now("cleanup-orphans")
    assert written["storage_key"] in stored_files(app)

    age_files(app, 2 * 3600)
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["cleanup-orphans"])
    assert result.exit_code == 0, result.output
    assert written["storage_key"] not in stored_files(app)
    assert written["thumbnail_key"] not in stored_files(app)
    # No file without its row, no row without its file.
    assert stored_files(app) == referenced_keys(db) == {kept.storage_key}


def test_no_evidence_row_when_its_file_could_not_be_written(app, db, make_asn, make_entry, monkeypatch):
    from silabu.core.errors import ServiceError
    from silabu.entries import evidence as evidence_services
    from silabu.evidence.storage import FileSystemStorage

    asn = make_asn()
    entry = make_entry(asn)
    real_store = FileSystemStorage.store

    def store_then_fail_on_thumbnail(self, key, data):
        if key.endswith(evidence_services.THUMBNAIL_SUFFIX):
            raise OSError(errno.EIO, "I/O error")
        return real_store(self, key, data)

    monkeypatch.setattr(FileSystemStorage, "store", store_then_fail_on_thumbnail)
    with pytest.raises((OSError, ServiceError)):
        evidence_services.add_evidence(entry, asn, "foto.jpg", PHOTO.read_bytes())
    db.session.rollback()
    assert count(db, Evidence) == 0
    assert stored_files(app) == set()


# the database briefly unavailable

@pytest.fixture()
def database_down(app, db, monkeypatch):
    """Every new database connection is refused (the server restarting, the network gone)."""
    engine = db.engine
    dbapi = engine.dialect.loaded_dbapi

    def refuse(*args, **kwargs):
        raise dbapi.OperationalError("connection refused (simulated outage)")

    def down():
        db.session.remove()
        engine.dispose()
        monkeypatch.setattr(engine.dialect, "connect", refuse)

    def up():
        monkeypatch.undo()
        engine.dispose()

    return down, up


def test_page_request_while_the_database_is_down_gives_the_503_page(client, db, make_asn, login_as, database_down):
    from silabu.accounts.org import today_for

    asn = make_asn()
    day = today_for(asn)
    login_as(asn)
    down, up = database_down
    down()
    try:
        page = client.get("/beranda")
        form = client.post("/entri/baru", data={**entry_payload(day), "action": "draft"})
    finally:
        up()
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "Basis data sedang tidak dapat dihubungi" in html and "tidak ada data yang tersimpan setengah" in html
    assert form.status_code == 503
    assert count(db, Entry) == 0


def test_api_call_while_the_database_is_down_gives_a_clear_503(client, db, make_asn, api_token, database_down):
    from silabu.accounts.org import today_for

    asn = make_asn()
    headers = api_token(asn)
    day = today_for(asn)
    down, up = database_down
    down()
    resp = client.post("/api/v1/entries", json=entry_payload(day), headers=headers)
    up()
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "unavailable"
    assert "Basis data" in resp.json["error"]["message"]
    assert count(db, Entry) == 0


def _savepoint_release_commits_on_sqlite(db) -> bool:
    """Whether the SQLite driver commits at RELEASE SAVEPOINT (no BEGIN before the first savepoint)."""
    if db.engine.dialect.name != "sqlite":
        return False
    from silabu.ops.models import JobRun

    probe = db.session
    probe.rollback()
    probe.execute(select(1))
    with probe.begin_nested():
        probe.add(JobRun(job="savepoint-probe", key=None, outcome="running"))
        probe.flush()
    probe.rollback()
    leaked = probe.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "savepoint-probe"))
    if leaked:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM job_runs WHERE job = 'savepoint-probe'"))
    return bool(leaked)


def test_connection_lost_at_commit_leaves_no_half_written_entry(app, client, db, make_asn, api_token, monkeypatch):
    from silabu.accounts.org import today_for
    from silabu.core.audit import AuditEvent
    from silabu.extensions import db as ext_db

    assert not _savepoint_release_commits_on_sqlite(db), "a savepoint must never commit on its own"
    asn = make_asn()
    headers = api_token(asn)
    audits_before = count(db, AuditEvent)

    def lost(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(ext_db.session, "commit", lost)
    resp = client.post("/api/v1/entries", json=entry_payload(today_for(asn)), headers=headers)
    monkeypatch.undo()
    assert resp.status_code == 503
    assert count(db, Entry) == 0
    assert count(db, AuditEvent) == audits_before


# the disk full while storing evidence

@pytest.fixture()
def disk_full(app, monkeypatch):
    """Writes into the upload tree fail with ENOSPC; every other write (logs, sockets) still works."""
    import silabu.evidence.storage as storage_module

    root = str(Path(app.config["UPLOAD_DIR"]).resolve())
    real_write = os.write

    def write(fd, data):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.startswith(root):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(storage_module.os, "write", write)


def test_disk_full_during_an_api_upload_is_a_clear_507_with_nothing_saved(app, client, db, make_asn, make_entry,
                                                                          api_token, disk_full):
    asn = make_asn()
    entry = make_entry(asn)
    headers = api_token(asn)
    resp = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=headers,
                       data={"file": (PHOTO.open("rb"), "foto.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 507
    assert resp.json["error"]["code"] == "storage_full"
    assert "penyimpanan server penuh" in resp.json["error"]["message"]
    assert count(db, Evidence) == 0
    assert stored_files(app) == set()  # no blob, no half-written temp file


def test_disk_full_during_a_page_upload_tells_the_asn_and_saves_no_evidence(app, client, db, make_asn, login_as,
                                                                           disk_full):
    from silabu.accounts.org import today_for

    asn = make_asn()
    login_as(asn)
    resp = client.post("/entri/baru", data={**entry_payload(today_for(asn)), "action": "draft",
                                            "files": (PHOTO.open("rb"), "foto.jpg")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code in (422, 507)
    assert "penyimpanan server penuh" in html
    assert count(db, Evidence) == 0
    assert stored_files(app) == set()
