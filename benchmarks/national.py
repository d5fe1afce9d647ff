"""SILABU at national scale (issue 15, "Measured at that scale"): load, roll-ups, month-end load test.

1. Load: a database it drops and creates again (PostgreSQL by default), migrated with
   `flask --app wsgi db upgrade`, then filled with bulk inserts (PostgreSQL COPY through psycopg's
   cursor.copy; executemany of Core inserts elsewhere) with the national shape: KPU RI, 38 KPU Provinsi,
   514 KPU Kabupaten/Kota (553 satker, timezone WIB/WITA/WIT by province), each with the Sekretariat and
   its four Sub Bagian (/work/shared/data/demo/units.csv), 45 people per satker (Sekretaris, a Kasubag per
   Sub Bagian, 40 ASN of whom one is the Rendatin: 24 885 accounts), 300 output codes, and last month's
   entries (~1 000 000: 90 % verified; 95 % of the unit-months closed). Every account's password is
   PASSWORD. Each satker has its own catalogue of the 300 codes (a code is unique within its satker); unit
   codes carry the satker's code ("KUL-3501") so a log line names the satker.
2. Roll-ups, each in a fresh child process (wall time and peak RSS): the national month through
   ``silabu.pleno.rollup.rollup``, and one province's (Jawa Timur's kabupaten/kota): the same function inside
   ``satker_scope(<its children>)``, the scope every request and job runs in (accounts.tenancy).
3. Month-end load test: two gunicorn instances (gunicorn.conf.py) behind nginx (a temporary config, its own
   pid and logs; no upstream keep-alive, as README's nginx), locust headless with benchmarks/loadtest/locustfile.py: ASN and Kasubag of several satkers
   in several provinces (the Rendatin's packet build is left out: it compiles the whole national month in
   one request, see README). Prints req/s, p50/p95/p99, errors and every gunicorn worker's RSS after the run.

Usage (from the project root):
    python benchmarks/national.py [--database-url URL] [--skip-load] [--users 50] [--run-time 60s]
    python benchmarks/national.py --scale 0.01 --database-url sqlite:////tmp/n.db --only load
The load average of the machine (/proc/loadavg) is printed at each phase: the machine is shared.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/silabu_national"
PASSWORD = "Beban-Uji-2026"
UNITS_CSV = ROOT.parent / "shared" / "data" / "demo" / "units.csv"
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
# BPS code, name, kabupaten/kota count (2024), timezone.
PROVINCES = [
    ("11", "Aceh", 23, WIB), ("12", "Sumatera Utara", 33, WIB), ("13", "Sumatera Barat", 19, WIB),
    ("14", "Riau", 12, WIB), ("15", "Jambi", 11, WIB), ("16", "Sumatera Selatan", 17, WIB),
    ("17", "Bengkulu", 10, WIB), ("18", "Lampung", 15, WIB), ("19", "Kepulauan Bangka Belitung", 7, WIB),
    ("21", "Kepulauan Riau", 7, WIB), ("31", "DKI Jakarta", 6, WIB), ("32", "Jawa Barat", 27, WIB),
    ("33", "Jawa Tengah", 35, WIB), ("34", "DI Yogyakarta", 5, WIB), ("35", "Jawa Timur", 38, WIB),
    ("36", "Banten", 8, WIB), ("51", "Bali", 9, WITA), ("52", "Nusa Tenggara Barat", 10, WITA),
    ("53", "Nusa Tenggara Timur", 22, WITA), ("61", "Kalimantan Barat", 14, WIB),
    ("62", "Kalimantan Tengah", 14, WIB), ("63", "Kalimantan Selatan", 13, WITA),
    ("64", "Kalimantan Timur", 10, WITA), ("65", "Kalimantan Utara", 5, WITA), ("71", "Sulawesi Utara", 15, WITA),
    ("72", "Sulawesi Tengah", 13, WITA), ("73", "Sulawesi Selatan", 24, WITA),
    ("74", "Sulawesi Tenggara", 17, WITA), ("75", "Gorontalo", 6, WITA), ("76", "Sulawesi Barat", 6, WITA),
    ("81", "Maluku", 11, WIT), ("82", "Maluku Utara", 10, WIT), ("91", "Papua", 9, WIT),
    ("92", "Papua Barat", 7, WIT), ("93", "Papua Selatan", 4, WIT), ("94", "Papua Tengah", 8, WIT),
    ("95", "Papua Pegunungan", 8, WIT), ("96", "Papua Barat Daya", 6, WIT),
]
PROVINCE_MEASURED = "35"  # Jawa Timur: the most kabupaten/kota
ASN_PER_SATKER = 40  # plus a Kasubag per Sub Bagian and the Sekretaris: 45 people
ENTRIES_PER_PERSON = 41  # ~2 a working day: 24 332 loggers x 41 = ~1 000 000
OUTPUT_CODES = 300
UOMS = ["Dokumen", "Kegiatan", "Laporan", "Berkas", "Orang"]
EVIDENCE_SHARE = 0.3


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def shift_period(period: str, step: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def recreate_database(url: str) -> str:
    """Drop and create the database (PostgreSQL) or remove the file (SQLite); returns the SQLAlchemy URL."""
    url = sqlalchemy_url(url)
    if url.startswith("postgresql"):
        from benchmarks.loadtest.server import recreate_postgres_database

        return recreate_postgres_database(url)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        return url
    raise SystemExit(f"unsupported database URL {url!r}")


def migrate(url: str, instance_dir: str) -> None:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="benchmark-only", SILABU_INSTANCE_DIR=instance_dir)
    env.pop("SILABU_TEST_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"flask db upgrade failed:\n{proc.stdout}\n{proc.stderr}")


def make_app(url: str, upload_dir: str):
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["DATABASE_URL"] = url
    from silabu import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": upload_dir,
                       "WTF_CSRF_ENABLED": False})


# ---------------------------------------------------------------- 1. the load


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany of a Core insert elsewhere.

    Only the table's real columns are written (read with ``inspect``), and ``satker_id`` is filled when the
    table has one: the loader keeps working when a migration adds such columns."""

    def __init__(self, conn, columns: dict[str, list[dict]], now: datetime) -> None:
        self.conn = conn
        self.info = columns
        self.columns = {t: {c["name"] for c in cols} for t, cols in columns.items()}
        self.postgres = conn.dialect.name == "postgresql"
        self.now = now

    def _complete(self, table: str, rows: list[dict]) -> None:
        """NOT NULL columns the rows leave out (a later migration's): the model's default, else an error."""
        from silabu.extensions import db

        model = db.metadata.tables.get(table)
        for col in self.info[table]:
            name = col["name"]
            if name in rows[0] or col["nullable"] or col.get("default") is not None or col.get("autoincrement") is True:
                continue
            default = model.c[name].default if model is not None and name in model.c else None
            if default is None or not (default.is_scalar or default.is_callable):
                raise SystemExit(f"{table}.{name} is NOT NULL and the loader does not fill it")
            value = default.arg if default.is_scalar else self.now
            for r in rows:
                r[name] = value

    def write(self, table: str, rows: list[dict], satker_id_of=None) -> int:
        if not rows:
            return 0
        from sqlalchemy import MetaData, Table, insert

        cols = self.columns[table]
        if "satker_id" in cols and satker_id_of is not None:
            for r in rows:
                r.setdefault("satker_id", satker_id_of(r))
        self._complete(table, rows)
        names = [c for c in rows[0] if c in cols]
        if self.postgres:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([r[c] for c in names])
        else:
            t = Table(table, MetaData(), autoload_with=self.conn)
            for i in range(0, len(rows), 20000):
                self.conn.execute(insert(t), [{c: r[c] for c in names} for r in rows[i:i + 20000]])
        return len(rows)


def satkers(scale: float) -> list[dict]:
    """KPU RI, the provinces and their kabupaten/kota (``scale`` thins the kabupaten/kota out, at least one)."""
    out = [{"id": 1, "code": "RI", "name": "Komisi Pemilihan Umum Republik Indonesia", "level": "ri",
            "parent_id": None, "timezone": WIB, "address": "Jl. Imam Bonjol No. 29, Jakarta Pusat",
            "city": "Jakarta Pusat", "province": ""}]
    for code, name, count, tz in PROVINCES:
        pid = len(out) + 1
        out.append({"id": pid, "code": code, "name": f"KPU Provinsi {name}", "level": "provinsi", "parent_id": 1,
                    "timezone": tz, "address": "", "city": name, "province": code})
        for n in range(1, max(1, round(count * scale)) + 1):
            kind = "Kota" if n % 6 == 0 else "Kabupaten"
            out.append({"id": len(out) + 1, "code": f"{code}{n:02d}", "name": f"KPU {kind} Uji {name} {n:02d}",
                        "level": "kabkota", "parent_id": pid, "timezone": tz, "address": "", "city": name,
                        "province": code})
    return out


def unit_templates() -> list[tuple[str, str, str]]:
    with open(UNITS_CSV, newline="") as fh:
        return [(r["code"], r["name"], r["parent_code"]) for r in csv.DictReader(fh)]


def load(url: str, *, scale: float = 1.0, seed: int = 2026, period: str | None = None) -> dict:
    """Recreate, migrate and fill the database; returns counts, the month and the seconds each step took."""
    from sqlalchemy import create_engine, inspect

    from silabu.accounts.services import hash_password

    rng = random.Random(seed)
    t0 = time.perf_counter()
    url = recreate_database(url)
    with tempfile.TemporaryDirectory(prefix="silabu-national-") as tmp:
        migrate(url, tmp)
        t_migrate = time.perf_counter() - t0
        app = make_app(url, tmp)
        with app.app_context():
            from silabu.catalog.calendar import MonthCalendar
            from silabu.core.clock import local_today

            period = period or shift_period(local_today(WIB).strftime("%Y-%m"), -1)
            year, month = map(int, period.split("-"))
            workdays = MonthCalendar(year, month).working_days
            password_hash = hash_password(PASSWORD)
    engine = create_engine(url)
    insp = inspect(engine)
    tables = ("satker", "units", "users", "user_roles", "output_codes", "unit_months", "entries", "evidence")
    columns = {t: insp.get_columns(t) for t in tables}
    now = datetime.now(UTC).replace(microsecond=0)
    month_end = datetime(year, month, 1, tzinfo=UTC) + timedelta(days=32)
    closed_at = month_end.replace(day=1, hour=3)
    counts: dict[str, int] = {}
    t1 = time.perf_counter()
    with engine.begin() as conn:
        w = Writer(conn, columns, now)
        sk = satkers(scale)
        counts["satker"] = w.write("satker", [{k: v for k, v in s.items() if k != "province"} for s in sk])
        templates = unit_templates()
        units, unit_satker = [], {}
        for s in sk:
            ids = {}
            for code, name, parent in templates:
                uid = len(units) + 1
                ids[code] = uid
                units.append({"id": uid, "satker_id": s["id"], "code": f"{code}-{s['code']}", "name": name,
                              "parent_id": ids.get(parent), "requires_evidence": False, "is_active": True,
                              "template": code})
                unit_satker[uid] = s["id"]
        counts["units"] = w.write("units", [{k: v for k, v in u.items() if k != "template"} for u in units])
        # Every satker's own catalogue (the same 300 codes): code i of satker index k has id k * 300 + i.
        code_base = {s["id"]: k * OUTPUT_CODES for k, s in enumerate(sk)}
        codes = [{"id": code_base[s["id"]] + i, "satker_id": s["id"], "code": f"076.01.WA.4499.EBA.{i:03d}",
                  "name": f"Layanan uji nasional {i}", "default_unit": UOMS[i % len(UOMS)], "level": "ro",
                  "parent_id": None, "is_active": True, "created_at": now}
                 for s in sk for i in range(1, OUTPUT_CODES + 1)]
        counts["output_codes"] = w.write("output_codes", codes)

        users, roles = [], []
        loggers: list[tuple[int, int]] = []  # (user id, unit id) of everyone who logs entries
        heads: dict[int, int] = {}  # unit id -> its Kasubag
        sekretaris: dict[int, int] = {}  # satker id -> its Sekretaris

        def person(unit_id: int, name: str, jabatan: str, golongan: str, role_names: tuple[str, ...]) -> int:
            uid = len(users) + 1
            users.append({"id": uid, "nip": f"1980{uid:014d}", "username": None, "name": name, "jabatan": jabatan,
                          "golongan": golongan, "employment": "PNS", "unit_id": unit_id, "email": "",
                          "password_hash": password_hash, "must_change_password": False, "is_active_account": True,
                          "session_version": 1, "created_at": now})
            base = len(roles)
            roles.extend({"id": base + n + 1, "user_id": uid, "role": r, "division": None}
                         for n, r in enumerate(role_names))
            return uid

        by_satker: dict[int, list[dict]] = {}
        for u in units:
            by_satker.setdefault(u["satker_id"], []).append(u)
        for s in sk:
            su = by_satker[s["id"]]
            sek_unit = next(u for u in su if u["template"] == "SEK")
            subbag = [u for u in su if u["template"] != "SEK"]
            sekretaris[s["id"]] = person(sek_unit["id"], f"Sekretaris {s['code']}", "Sekretaris", "IV/b",
                                         ("sekretaris",))
            for u in subbag:
                heads[u["id"]] = person(u["id"], f"Kasubag {u['code']}", f"Kepala {u['name']}", "III/d", ("kasubag",))
                loggers.append((heads[u["id"]], u["id"]))
            for n in range(ASN_PER_SATKER):
                u = subbag[n % len(subbag)]
                rendatin = n == 2  # the first ASN of the Sub Bagian Perencanaan, Data dan Informasi
                uid = person(u["id"], f"ASN {s['code']} {n + 1:02d}", "Penata Kelola Pemilu", "III/a",
                             ("asn", "rendatin") if rendatin else ("asn",))
                loggers.append((uid, u["id"]))
        user_satker = {u["id"]: unit_satker[u["unit_id"]] for u in users}
        counts["users"] = w.write("users", users, satker_id_of=lambda r: unit_satker[r["unit_id"]])
        counts["user_roles"] = w.write("user_roles", roles, satker_id_of=lambda r: user_satker[r["user_id"]])

        # Last month: 95 % of the Sub Bagian months closed; an open one is still being verified.
        logging_units = sorted(heads)
        open_units = {uid for uid in logging_units if rng.random() < 0.05}
        counts["unit_months"] = w.write("unit_months", [
            {"id": n + 1, "unit_id": uid, "period": period, "is_closed": uid not in open_units,
             "closed_at": None if uid in open_units else closed_at,
             "closed_by_id": None if uid in open_units else heads[uid]}
            for n, uid in enumerate(logging_units)], satker_id_of=lambda r: unit_satker[r["unit_id"]])

        unit_codes = {uid: [code_base[unit_satker[uid]] + i for i in rng.sample(range(1, OUTPUT_CODES + 1), k=10)]
                      for uid in logging_units}
        per_person = max(1, round(ENTRIES_PER_PERSON * min(1.0, scale * 10)))
        entries, evidence = [], []
        n_entries = n_evidence = 0
        sat_of_unit = unit_satker.__getitem__
        for user_id, unit_id in loggers:
            verifier = heads[unit_id] if heads[unit_id] != user_id else sekretaris[unit_satker[unit_id]]
            days = sorted(rng.sample(workdays, k=min(len(workdays), max(1, per_person // 2))))
            pairs = [(rng.choice(unit_codes[unit_id]), rng.choice(UOMS)) for _ in range(4)]
            is_open = unit_id in open_units
            for k in range(per_person):
                n_entries += 1
                day = days[k % len(days)]
                code_id, uom = rng.choice(pairs)
                roll = rng.random()
                if is_open:  # still in verification: a good share waits for the Kasubag
                    status = "verified" if roll < 0.5 else ("submitted" if roll < 0.95 else "returned")
                else:
                    status = "verified" if roll < 0.9 else ("submitted" if roll < 0.95 else "returned")
                stamp = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                entries.append({
                    "id": n_entries, "user_id": user_id, "unit_id": unit_id, "entry_date": day, "period": period,
                    "output_code_id": code_id, "activity": f"Kegiatan uji {code_id} hari {day.day}",
                    "output": "Hasil uji", "quantity": rng.randint(1, 5), "unit_of_measure": uom,
                    "start_time": None, "end_time": None, "status": status,
                    "return_note": "Lengkapi bukti dukung." if status == "returned" else None,
                    "return_count": 1 if status == "returned" or rng.random() < 0.05 else 0, "client_uuid": None,
                    "created_at": stamp, "updated_at": stamp,
                    "submitted_at": stamp + timedelta(hours=6) if status != "draft" else None,
                    "verified_at": stamp + timedelta(days=1) if status == "verified" else None,
                    "verified_by_id": verifier if status == "verified" else None, "version": 1})
                if rng.random() < EVIDENCE_SHARE:
                    n_evidence += 1
                    sha = f"{n_evidence:064x}"
                    evidence.append({
                        "id": n_evidence, "entry_id": n_entries, "kind": "photo", "content_type": "image/jpeg",
                        "size": 250_000, "sha256": sha, "storage_key": f"{sha[:2]}/{sha[2:4]}/{sha}.jpg",
                        "thumbnail_key": None, "original_sha256": sha, "original_name": "IMG_1600.jpg",
                        "width": 1600, "height": 1200, "taken_at": None, "gps_lat": None, "gps_lon": None,
                        "uploaded_by_id": user_id, "created_at": stamp})
            if len(entries) >= 100_000:  # entries first: evidence refers to them
                w.write("entries", entries, satker_id_of=lambda r: sat_of_unit(r["unit_id"]))
                w.write("evidence", evidence)
                entries, evidence = [], []
        w.write("entries", entries, satker_id_of=lambda r: sat_of_unit(r["unit_id"]))
        w.write("evidence", evidence)
        counts["entries"], counts["evidence"] = n_entries, n_evidence
        if w.postgres:  # ids were given explicitly: move each sequence past them
            for t in tables:
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                                     f"(SELECT COALESCE(MAX(id), 1) FROM {t}))")
    t_fill = time.perf_counter() - t1
    t2 = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    t_vacuum = time.perf_counter() - t2
    engine.dispose()
    return {"url": url, "period": period, "counts": counts, "migrate_seconds": round(t_migrate, 1),
            "fill_seconds": round(t_fill, 1), "vacuum_seconds": round(t_vacuum, 1),
            "seconds": round(time.perf_counter() - t0, 1)}


# ---------------------------------------------------------------- 2. the roll-ups


def measure(url: str, scope: str) -> dict:
    """In a fresh process: the month's roll-up, national or of one province's kabupaten/kota units."""
    from sqlalchemy import select

    from benchmarks.pleno_rollup import _rss_mb
    from silabu.accounts.models import Satker, Unit
    from silabu.accounts.tenancy import satker_scope
    from silabu.entries.models import UnitMonth
    from silabu.extensions import db
    from silabu.pleno.rollup import rollup

    with tempfile.TemporaryDirectory(prefix="silabu-national-") as tmp:
        app = make_app(url, tmp)
        with app.app_context():
            period = db.session.scalar(select(UnitMonth.period).order_by(UnitMonth.period.desc()).limit(1))
            out: dict = {"scope": scope, "period": period, "rss_before_mb": round(_rss_mb(), 1)}
            if scope != "national":
                province = db.session.scalar(select(Satker).where(Satker.code == scope))
                children = list(db.session.scalars(select(Satker.id).where(Satker.parent_id == province.id)))
                ids = list(db.session.scalars(select(Unit.id).where(Unit.satker_id.in_(children))))
                out.update(province=province.name, satker=len(children), units=len(ids))
                scope_ctx = satker_scope(*children)
            else:
                scope_ctx = nullcontext()
            with scope_ctx:
                rollup(period)  # warm-up: imports, first connection, holiday tables
                db.session.remove()
                t = time.perf_counter()
                r = rollup(period)
            out["seconds"] = round(time.perf_counter() - t, 3)
            out["rss_peak_mb"] = round(_rss_mb(), 1)
            s = r.summary()
            out["figures"] = {k: s[k] for k in ("activities", "asn_count", "units_total", "units_closed",
                                                "missing_entries", "evidence", "compliance_avg")}
            db.session.remove()
    return out


def run_measure(url: str, scope: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--measure-only", scope, "--database-url", url], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"roll-up ({scope}) failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- 3. the month-end load test


def sample_plan(url: str, users: int, seed: int = 15) -> dict:
    """Locust's plan (benchmarks/loadtest/locustfile.py): ASN and Kasubag of open Sub Bagian months in
    several satkers of several provinces (the Kasubag have last month's queue to work through)."""
    from sqlalchemy import create_engine, text

    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.connect() as conn:
        period = conn.execute(text("SELECT max(period) FROM unit_months")).scalar_one()
        open_units = conn.execute(text(
            "SELECT u.id, u.code, s.code, s.timezone FROM unit_months m JOIN units u ON u.id = m.unit_id "
            "JOIN satker s ON s.id = u.satker_id WHERE m.period = :p AND NOT m.is_closed AND s.level = 'kabkota' "
            "ORDER BY u.id"), {"p": period}).all()
        by_tz: dict[str, list] = {}
        for row in open_units:
            by_tz.setdefault(row[3], []).append(row)
        # Four Kasubag units, from four satkers, spread over the three timezones; more units for the ASN.
        chosen = []
        for n in range(8):
            pool = by_tz[sorted(by_tz)[n % len(by_tz)]]
            pick = rng.choice([r for r in pool if r not in chosen and r[2] not in {c[2] for c in chosen}] or pool)
            chosen.append(pick)
        unit_ids = [c[0] for c in chosen]
        people = conn.execute(text(
            "SELECT u.nip, un.code, r.role FROM users u JOIN user_roles r ON r.user_id = u.id "
            "JOIN units un ON un.id = u.unit_id WHERE u.unit_id = ANY(:ids) AND r.role IN ('asn', 'kasubag') "
            "ORDER BY u.id"), {"ids": unit_ids}).all()
        codes = conn.execute(text(
            "SELECT DISTINCT un.code, c.code FROM entries e JOIN units un ON un.id = e.unit_id "
            "JOIN output_codes c ON c.id = e.output_code_id WHERE e.unit_id = ANY(:ids) AND e.period = :p"),
            {"ids": unit_ids, "p": period}).all()
    engine.dispose()
    kasubag = {code: nip for nip, code, role in people if role == "kasubag" and code in
               {c[1] for c in chosen[:4]}}
    asn = [{"login": nip, "unit": code} for nip, code, role in people if role == "asn"]
    rng.shuffle(asn)
    unit_codes: dict[str, list[str]] = {}
    for unit, code in codes:
        unit_codes.setdefault(unit, []).append(code)
    current = shift_period(period, 1)
    return {"password": PASSWORD, "demo_password": PASSWORD, "asn": asn[:max(1, users - 4)], "kasubag": kasubag,
            "rendatin": "", "unit_codes": {k: sorted(v)[:6] for k, v in unit_codes.items()},
            "today": datetime.now(UTC).date().isoformat(), "current": current, "last": period,
            "closed": shift_period(period, -1), "big_photo_share": 0.1,
            "satkers": sorted({c[2] for c in chosen}), "timezones": sorted({c[3] for c in chosen})}


NGINX_CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 25m;
    upstream silabu {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://silabu;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 130s;
        }}
    }}
}}
"""


def start_nginx(tmp: Path, upstreams: list[str]) -> tuple[subprocess.Popen, str]:
    from benchmarks.loadtest.server import free_port

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is missing: apt-get update && apt-get install -y nginx")
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, user="user root;" if os.geteuid() == 0 else "",
                                      servers="\n".join(f"        server {u};" for u in upstreams)))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"],
                            stdout=open(tmp / "stdout.log", "wb"), stderr=subprocess.STDOUT)
    import urllib.request

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"nginx exited:\n{(tmp / 'error.log').read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/masuk", timeout=5) as resp:
                if resp.status == 200:
                    return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("nginx did not answer")


def stop_nginx(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGQUIT)  # graceful shutdown of the master we started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def rss_of(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, MB."""
    vals = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)


def load_test(url: str, *, users: int, run_time: str, workers: int, spawn_rate: float) -> dict:
    from benchmarks.loadtest.run import (
        cpu_seconds,
        machine_busy,
        ms,
        parse_seconds,
        print_failures,
        print_table,
        read_stats,
    )
    from benchmarks.loadtest.server import LiveServer

    tmp = Path(tempfile.mkdtemp(prefix="silabu-national-load-"))
    plan = sample_plan(url, users)
    plan_path = tmp / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1))
    shared = {"SECRET_KEY": secrets.token_hex(32), "SILABU_UPLOAD_DIR": str(tmp / "uploads"),
              "SILABU_LOGIN_MAX_ATTEMPTS": "50", "SILABU_TRUSTED_PROXIES": "1"}
    (tmp / "uploads").mkdir()
    servers = [LiveServer(tmp / f"web{n}", database_url=url, workers=workers, extra_env=shared) for n in (1, 2)]
    nginx = None
    result: dict = {"plan": {k: plan[k] for k in ("satkers", "timezones", "last", "current")},
                    "asn_accounts": len(plan["asn"]), "kasubag_units": sorted(plan["kasubag"])}
    try:
        for s in servers:
            s.start(timeout=120)
        nginx, base = start_nginx(tmp / "nginx", [s.url.removeprefix("http://") for s in servers])
        print(f"== nginx {base} -> gunicorn {', '.join(s.url for s in servers)} ({workers} workers each); "
              f"locust {users} users (ASN + 4 Kasubag) of satker {', '.join(plan['satkers'])}; load {loadavg()}")
        seconds = parse_seconds(run_time)
        prefix = tmp / "locust"
        signin_path = tmp / "signin.json"
        env = dict(os.environ, SILABU_LOAD_PLAN=str(plan_path), SILABU_LOAD_USERS=str(users),
                   SILABU_LOAD_SECONDS=str(seconds), SILABU_LOAD_SIGNIN_OUT=str(signin_path), SILABU_LOAD_BURST="0")
        # Asn and Kasubag only: the Rendatin's packet build would compile the whole national month in a request.
        cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "loadtest" / "locustfile.py"),
               "--headless", "--only-summary", "-u", str(users), "-r", str(spawn_rate),
               "--run-time", f"{seconds + 180:.0f}s", "--host", base, "--csv", str(prefix), "--stop-timeout", "30",
               "--loglevel", "WARNING", "Asn", "Kasubag"]
        with open(tmp / "locust.log", "w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            while proc.poll() is None and not signin_path.exists():
                time.sleep(0.2)
            pids = [p for s in servers for p in [s.process.pid, *s.worker_pids()]]
            cpu0, busy0, wall0, load0 = cpu_seconds(pids), machine_busy(), time.perf_counter(), loadavg()
            while proc.poll() is None:
                time.sleep(0.5)
            cpu_used, busy1, window = cpu_seconds(pids) - cpu0, machine_busy(), time.perf_counter() - wall0
        load1 = loadavg()
        if not Path(f"{prefix}_stats.csv").exists():
            print((tmp / "locust.log").read_text(errors="replace")[-3000:])
            raise SystemExit("locust wrote no statistics")
        if signin_path.exists():
            signin = json.loads(signin_path.read_text())
            print(f"\n== sign-in of {users} users: {signin['seconds']:.0f} s")
            for row in signin["requests"]:
                print(f"  {row['method']:5} {row['name']:28} {row['count']:>4} requests, {row['failures']} errors, "
                      f"p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, max {row['max']:.0f} ms")
        print(f"\n== the working day (PostgreSQL, national data, {users} users, ~{seconds:.0f} s)")
        total = print_table(read_stats(prefix), window)
        print_failures(prefix)
        busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
        print(f"\nCPU: gunicorn {cpu_used:.0f} core-s over {window:.0f} s; machine {100 * busy:.0f}% busy; "
              f"load average {load0} at the start, {load1} at the end")
        print("\ngunicorn processes after the load (RSS / peak RSS, MB):")
        rss = {}
        for n, s in enumerate(servers, 1):
            for pid in [s.process.pid, *s.worker_pids()]:
                now_mb, peak_mb = rss_of(pid)
                role = "master" if pid == s.process.pid else "worker"
                rss[f"web{n} {role} {pid}"] = [round(now_mb, 1), round(peak_mb, 1)]
                print(f"  web{n} {role:6} {pid:>7}: {now_mb:6.1f} / {peak_mb:6.1f}")
        served = [sum(1 for ln in s.log_path.read_text(errors="replace").splitlines() if " HTTP/1." in ln)
                  for s in servers]
        print(f"requests each instance logged (nginx's round robin, warm-up and sign-in included): {served}")
        result.update({
            "served_per_instance": served, "requests": int(total.get("Request Count", 0)), "failures": int(total.get("Failure Count", 0) or 0),
            "rps": round(float(total.get("Requests/s", 0) or 0), 1), "p50_ms": ms(total.get("50%", "0")),
            "p95_ms": ms(total.get("95%", "0")), "p99_ms": ms(total.get("99%", "0")),
            "max_ms": ms(total.get("Max Response Time", "0")), "machine_busy_pct": round(100 * busy),
            "gunicorn_core_seconds": round(cpu_used), "window_seconds": round(window),
            "loadavg": [load0, load1], "rss_mb": rss})
        print(f"\noverall: {result['requests']} requests, {result['rps']} req/s, p50 {result['p50_ms']:.0f} ms, "
              f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, errors {result['failures']}")
        nginx_errors = [ln for ln in (tmp / "nginx" / "error.log").read_text(errors="replace").splitlines()
                        if "[error]" in ln or "[crit]" in ln]
        result["nginx_errors"] = len(nginx_errors)
        if nginx_errors:
            print(f"nginx error.log: {len(nginx_errors)} errors, e.g.\n  " + "\n  ".join(nginx_errors[:5]))
        if result["failures"]:
            for n, s in enumerate(servers, 1):
                print(f"web{n} log (tail):\n" + s.log_tail(10))
        return result
    finally:
        if nginx is not None:
            stop_nginx(nginx)
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"dropped and created again (default {DEFAULT_URL})")
    parser.add_argument("--skip-load", action="store_true", help="use the data already loaded")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the kabupaten/kota (0.01: one a province)")
    parser.add_argument("--only", choices=("load", "rollup", "loadtest"), action="append",
                        help="run only these phases (repeatable)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance (two instances)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--measure-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = sqlalchemy_url(args.database_url)
    if args.measure_only:
        print(json.dumps(measure(url, args.measure_only)))
        return 0
    phases = set(args.only or ("load", "rollup", "loadtest"))
    if args.skip_load:
        phases.discard("load")
    results: dict = {"cpus": os.cpu_count()}
    print(f"== SILABU national benchmark on {url.rsplit('@', 1)[-1]}; load average {loadavg()}")
    if "load" in phases:
        r = load(url, scale=args.scale)
        results["load"] = r
        c = r["counts"]
        print(f"== load: {c['satker']} satker, {c['units']} units, {c['users']} accounts, {c['entries']} entries "
              f"({c['evidence']} evidence rows) of {r['period']} in {r['seconds']} s (migrate {r['migrate_seconds']} s,"
              f" bulk insert {r['fill_seconds']} s, VACUUM ANALYZE {r['vacuum_seconds']} s); load {loadavg()}")
    if "rollup" in phases:
        for scope in ("national", PROVINCE_MEASURED):
            m = run_measure(url, scope)
            results[f"rollup_{scope}"] = m
            where = "national" if scope == "national" else f"{m['province']} ({m['units']} kab/kota units)"
            print(f"== roll-up {where}: {m['seconds']} s, peak RSS {m['rss_peak_mb']} MB "
                  f"(at start {m['rss_before_mb']} MB); {m['figures']}; load {loadavg()}")
    if "loadtest" in phases:
        if not url.startswith("postgresql"):
            print("== load test skipped: it needs PostgreSQL (two servers share the database)")
        else:
            results["loadtest"] = load_test(url, users=args.users, run_time=args.run_time, workers=args.workers,
                                            spawn_rate=args.spawn_rate)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 1 if results.get("loadtest", {}).get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
