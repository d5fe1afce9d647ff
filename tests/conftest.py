"""Fixtures shared by every test: an app on SQLite (or PostgreSQL when SILABU_TEST_DATABASE_URL names one),
a clean database per test, and factories that read like the SOP (make_asn, make_kasubag, make_entry...)."""
from __future__ import annotations

import itertools
import os
import random
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from silabu.extensions import db as _db

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
UPLOADS = SHARED / "data" / "uploads"
PASSWORD = "Rahasia-Uji-2026"


TMPFS = Path("/dev/shm")
TMPFS_MIN_FREE = 2 * 1024 ** 3


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """The tests' temporary files (SQLite databases, upload folders, backups, the e2e server's folder, Chromium's
    profile) go to tmpfs when there is one and TMPDIR does not name another place. On this project's disk (ext4
    mounted with ``discard``) a mkdir + rmdir takes ~2 ms against ~3 µs on tmpfs, and the suite empties its upload
    folder after every test: the access-matrix file took 45 s wall on disk and 18 s on tmpfs, for the same CPU.
    Set before pytest picks its base temporary folder; the xdist workers and every subprocess inherit it."""
    if os.environ.get("TMPDIR") or not (TMPFS.is_dir() and os.access(TMPFS, os.W_OK)):
        return
    stat = os.statvfs(TMPFS)
    if stat.f_bavail * stat.f_frsize < TMPFS_MIN_FREE:
        return
    import tempfile

    os.environ["TMPDIR"] = str(TMPFS)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


def _one_page_pdf() -> bytes:
    """The smallest PDF a reader opens: one blank page (what a scanned notulen stands in for in tests)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _one_page_pdf()


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("SILABU_TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{tmp_root / 'test.db'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (``<name>_gw0``...), created here
    when missing; SQLite files and uploads are already per worker (each worker has its own tmp folder).

    The worker's database is kept for the next run rather than dropped: the ``app`` fixture rebuilds its tables
    anyway, and a DROP DATABASE makes PostgreSQL wait for a checkpoint (10 s here, a minute on a busy disk)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _engine_options(url: str) -> dict:
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        # A test database need not survive a power cut: commits do not wait for the WAL to reach the disk.
        options["connect_args"] = {"options": "-c synchronous_commit=off"}
    return options


@pytest.fixture(scope="session")
def _app_root(tmp_path_factory):
    return tmp_path_factory.mktemp("silabu")


@pytest.fixture(scope="session")
def _test_database_url(_app_root):
    return _worker_database(_database_url(_app_root))


@pytest.fixture(scope="session")
def app(_app_root, _test_database_url):
    uploads = _app_root / "uploads"
    uploads.mkdir(exist_ok=True)
    from silabu import create_app

    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": _test_database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(_test_database_url),
        "UPLOAD_DIR": str(uploads),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "silabu.test",
        "BACKUP_DIR": str(_app_root / "backups"),
        "LOGIN_MAX_ATTEMPTS": 5,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # production uses scrypt; tests need speed, not strength
        "TASK_WORKER": "inline",  # background tasks run at once in the request; test_background_tasks overrides
    })
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture()
def db(app):
    """A clean database for each test: every table emptied afterwards."""
    ctx = app.app_context()
    ctx.push()
    yield _db
    empty_tables()
    import shutil

    upload_dir = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(upload_dir, ignore_errors=True)
    upload_dir.mkdir(exist_ok=True)
    ctx.pop()


def empty_tables() -> None:
    """Every table emptied (the session's work dropped first): after each test, and where a test module keeps
    what it built across its tests (test_lkj_contents)."""
    _db.session.rollback()
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            _empty_postgresql(conn, tables)
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
            conn.execute(text("PRAGMA foreign_keys=ON"))


def _empty_postgresql(conn, tables: list[str]) -> None:
    """Empty every table and restart its ids. DELETE with the foreign-key triggers off (session_replication_role,
    for this transaction) takes ~6 ms for the few rows a test leaves; TRUNCATE of 29 tables took ~100 ms each time
    (it rewrites every table's files), ~1 minute of a PostgreSQL run. Without the right to switch the triggers
    off, TRUNCATE it is."""
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        return
    # One round trip for all the DELETEs (a multi-statement query: no parameters), not one per table.
    conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in tables))
    with_ids = [t for t in tables if "id" in _db.metadata.tables[t].c]
    conn.execute(text("SELECT " + ", ".join(f"setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)"
                                            for t in with_ids)))


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (own ``g``, own database session), as in production,
    even though the test itself holds an app context for its factories."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture()
def client(app, db):
    return app.test_client()


_seq = itertools.count(1)


def make_nip(birth: date | None = None, gender: str = "1") -> str:
    n = next(_seq)
    birth = birth or date(1980, 1, 1) + timedelta(days=random.randrange(0, 365 * 15))
    return f"{birth:%Y%m%d}{birth.year + 25}03{gender}{n % 999 + 1:03d}"


# The org as the services built it the first time in this process (an xdist worker): its rows, restored with
# their ids in every later test instead of building it again (10 ms a test on SQLite, 25 ms on PostgreSQL).
ORG_TABLES = ("satker", "units", "output_codes", "audit_events")
_org_rows: dict[str, list[dict]] = {}


def _build_org() -> None:
    from silabu.accounts.org import ensure_satker, ensure_unit
    from silabu.catalog.services import import_output_codes
    from silabu.core.tables import read_table

    satker = ensure_satker("3319", "KPU Kabupaten Kudus", "Asia/Jakarta", address="Jl. Ganesha No. 4, Kudus")
    ensure_unit(satker, "SEK", "Sekretariat")
    for code, name in [("KUL", "Sub Bagian Keuangan, Umum dan Logistik"), ("TPH", "Sub Bagian Teknis dan Hupmas"),
                       ("RDI", "Sub Bagian Perencanaan, Data dan Informasi"), ("HSD", "Sub Bagian Hukum dan SDM")]:
        ensure_unit(satker, code, name, "SEK")
    rows = read_table("output_codes.csv", (SHARED / "data/demo/output_codes.csv").read_bytes()).rows
    import_output_codes(rows)
    _db.session.commit()


def _restore_org() -> None:
    tables = [_db.metadata.tables[t] for t in ORG_TABLES]
    with _db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.insert(), _org_rows[table.name])
        if conn.dialect.name == "postgresql":  # the next id after the restored ones
            conn.execute(text("SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), (SELECT MAX(id) FROM \"{t.name}\"))"
                for t in tables)))


@pytest.fixture()
def org(db):
    """The demo satker with its units (no users): KUL, TPH, RDI, HSD under SEK, and the demo's output codes."""
    from sqlalchemy import func, select

    from silabu.accounts.models import Unit

    empty = all(db.session.scalar(select(func.count()).select_from(db.metadata.tables[t])) == 0
                for t in ORG_TABLES)
    if _org_rows and empty:
        _restore_org()
    else:  # the first time, or into a database a module keeps across its tests (ensure_* and the import are idempotent)
        _build_org()
        if empty:  # only a snapshot of the org alone (a test may have written before asking for it)
            with db.engine.connect() as conn:
                _org_rows.update({t: [dict(r._mapping) for r in conn.execute(
                    db.metadata.tables[t].select().order_by(db.metadata.tables[t].c.id))] for t in ORG_TABLES})
    return {u.code: u for u in db.session.scalars(select(Unit).order_by(Unit.id))}


@pytest.fixture()
def make_user(org, db):
    from silabu.accounts.services import UserData, create_user

    def _make(unit: str = "KUL", roles: str = "asn", name: str | None = None, password: str = PASSWORD, **kw):
        user, _ = create_user(UserData(name=name or f"Pegawai {next(_seq)}", unit_code=unit, roles=roles,
                                       nip=kw.pop("nip", None) or make_nip(), password=password, **kw),
                              must_change_password=False)
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def make_asn(make_user):
    return lambda unit="KUL", **kw: make_user(unit, "asn", **kw)


@pytest.fixture()
def make_kasubag(make_user):
    return lambda unit="KUL", **kw: make_user(unit, "asn,kasubag", **kw)


CODE = "076.01.WA.4499.EBA.962"


@pytest.fixture()
def make_entry(db):
    """An entry through the real service, optionally moved on to submitted."""
    from silabu.entries import services

    def _make(user, entry_date: date | None = None, status: str = "draft", **fields):
        from silabu.accounts.org import today_for

        data = {"entry_date": (entry_date or today_for(user)).isoformat(), "output_code": CODE,
                "activity": "Menyusun laporan harian", "output": "Laporan", "quantity": 1, "unit": "Dokumen"}
        data.update(fields)
        entry, _ = services.create_entry(user, data)
        if status in ("submitted",):
            services.submit_entry(entry, user)
        db.session.commit()
        return entry

    return _make


def login(client, user, password: str = PASSWORD):
    return client.post("/masuk", data={"login": user.nip or user.username, "password": password})


@pytest.fixture()
def login_as(client):
    def _login(user, password: str = PASSWORD):
        resp = login(client, user, password)
        assert resp.status_code == 302, resp.data[:500]
        return client

    return _login


@pytest.fixture()
def api_token(client):
    def _token(user, password: str = PASSWORD) -> dict:
        resp = client.post("/api/v1/auth/token", json={"username": user.nip or user.username, "password": password})
        assert resp.status_code == 200, resp.json
        return {"Authorization": f"Bearer {resp.json['token']}"}

    return _token


def set_month_closed(unit_id: int, period: str, closed: bool = True):
    """Set a unit-month closed (or open) directly, as the data of a test: what locks its entries."""
    from sqlalchemy import select

    from silabu.entries.models import UnitMonth

    um = _db.session.scalar(select(UnitMonth).where(UnitMonth.unit_id == unit_id, UnitMonth.period == period))
    if um is None:
        um = UnitMonth(unit_id=unit_id, period=period)
        _db.session.add(um)
    um.is_closed = closed
    _db.session.flush()
    return um


@pytest.fixture()
def rendatin(make_user):
    return make_user("RDI", "asn,rendatin", name="Rina Rendatin")


@pytest.fixture()
def closed_month(db, make_user, make_asn, app):
    """KUL's October closed with three verified entries of Ani (2 + 3 + 4 Dokumen), TPH still open."""
    from silabu.entries.models import EntryStatus
    from silabu.evidence.storage import get_storage
    from tests.test_pleno_rollup import add_entry, close

    make_user("RDI", "asn,kasubag", name="Kasubag Perencanaan", nip="198001012005011001")
    make_user("SEK", "sekretaris", name="Sekretaris Satker", nip="197501011999031002")
    ani = make_asn("KUL", name="Ani Wibisono")
    tono = make_asn("TPH", name="Tono Terbuka")
    storage = get_storage()
    add_entry(db, ani, date(2026, 10, 5), qty=2, evidence=1, storage=storage)
    add_entry(db, ani, date(2026, 10, 6), qty=3, return_count=1)
    add_entry(db, ani, date(2026, 10, 7), qty=4, evidence=2, storage=storage)
    add_entry(db, tono, date(2026, 10, 5), status=EntryStatus.SUBMITTED)
    close(db, "KUL")
    return {"ani": ani, "tono": tono}


def _quick_lkj_render(snapshot, narrative, *, version, code, status_label, compiled_at, signed=None):
    """A stand-in for ``silabu.lkj.services.compile.render`` in tests that walk the LKj review and assert nothing
    of the document's contents: a real one-page DOCX and PDF naming the version, code, status and signer (so
    each version still has files of its own, with their own sha256), in milliseconds instead of the full render.
    Tests that read the document use the real render; ``test_lkj_workflow`` proves the page path renders it."""
    import io

    from docx import Document
    from reportlab.pdfgen import canvas

    line = (f"LKj {snapshot.get('report_code')} {snapshot.get('year')} versi {version} · {status_label} · "
            f"kode {code or '-'} · {compiled_at.isoformat()} · {(signed or {}).get('name', '')}")
    doc = Document()
    doc.add_paragraph(line)
    docx_out = io.BytesIO()
    doc.save(docx_out)
    pdf_out = io.BytesIO()
    c = canvas.Canvas(pdf_out)
    c.drawString(40, 800, line)
    c.showPage()
    c.save()
    return docx_out.getvalue(), pdf_out.getvalue()


@pytest.fixture()
def lkj_quick_render(monkeypatch):
    """The LKj's DOCX and PDF rendered as a one-line stand-in (``_quick_lkj_render``), for workflow tests only."""
    from silabu.lkj.services import compile as lkj_compile
    from silabu.lkj.services import review as lkj_review

    monkeypatch.setattr(lkj_compile, "render", _quick_lkj_render)
    monkeypatch.setattr(lkj_review, "render", _quick_lkj_render)
    return _quick_lkj_render


@pytest.fixture(autouse=True)
def _lkj_render_of_the_module(request):
    """A test module that sets ``LKJ_QUICK_RENDER = True`` (it asserts nothing of the LKj's contents) gets the
    quick stand-in in every test, except those marked ``lkj_real_render``."""
    if getattr(request.module, "LKJ_QUICK_RENDER", False) and request.node.get_closest_marker(
            "lkj_real_render") is None:
        request.getfixturevalue("lkj_quick_render")


# Seconds each of the slowest files took on SQLite (2026-12-04, quiet machine, before/after the fuzzer's one
# drawing): they go first, longest first, and every other file after them by its number of tests (the order
# pytest-xdist's --dist loadfile used). xdist used to send the files with the most tests first, which left the
# one-test demo-data file (≈20 s) and the scheduler's real processes (≈12 s) for the end, one worker busy with
# them while the other had finished. `./run test` passes --no-loadscope-reorder so that this order holds. Only
# under xdist: in one process the order is the usual one.
SLOW_FILES = {
    "test_demo_data.py": 30, "test_access_matrix.py": 19, "test_access_matrix_satker.py": 14,
    "test_scheduler_lease.py": 12, "test_api_fuzz.py": 10, "test_satker_scope.py": 10,
    "test_background_tasks.py": 9, "test_object_storage.py": 9, "test_evidence_processing.py": 8,
    "test_lkj_semester.py": 6.5, "test_pleno_packet.py": 6,
}


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process (and the browser suite, whose files share one server): the files' own order
    counts: dict[str, int] = {}
    for item in items:
        counts[item.path.name] = counts.get(item.path.name, 0) + 1
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (-SLOW_FILES.get(item.path.name, 0), -counts[item.path.name], str(item.path),
                                 order[id(item)]))


def in_threads(app, n: int, work) -> list:
    """``work(i)`` in ``n`` threads released at the same instant, each with its own app context and session."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = work(i)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                from silabu.extensions import db

                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results
