"""Benchmark of the monthly roll-up and the pleno packet (issue 4, "Scale and measurements").

Generates a synthetic verified month straight into a temporary database with bulk Core inserts, then measures,
in a fresh child process (so the generation does not pollute the peak memory figure):

- kabupaten (default): 30 ASN, ~2 000 entries: the roll-up, and the whole packet (XLSX, PDF, evidence index +
  ZIP, manifest) end to end through ``build_packet``. Goal: under 3 s.
- national (``--national``): 25 000 ASN, ~1 000 000 entries: the aggregation only. Goal: under 10 s and 2 GB.

Usage (from the project root, venv active):
    python benchmarks/pleno_rollup.py
    python benchmarks/pleno_rollup.py --national
    python benchmarks/pleno_rollup.py --national --database-url postgresql+psycopg://postgres@127.0.0.1/silabu_bench
Time is wall-clock (time.perf_counter); memory is the child's peak RSS (VmHWM, else resource.getrusage) and the Python
heap peak seen by tracemalloc (a second, traced run: tracing slows the code, so its time is not reported).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERIOD = "2026-10"
UOMS = ["Dokumen", "Kegiatan", "Laporan", "Berkas", "Orang"]
SIZES = {
    "kabupaten": {"units": 5, "asn": 30, "entries": 2000, "codes": 40, "evidence_share": 0.3},
    "national": {"units": 500, "asn": 25000, "entries": 1_000_000, "codes": 300, "evidence_share": 0.3},
}


def make_app(database_url: str, upload_dir: str):
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["DATABASE_URL"] = database_url
    from silabu import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_DIR": upload_dir,
                       "WTF_CSRF_ENABLED": False, "SERVER_NAME": "bench.local"})


def generate(app, size: str, seed: int = 2026) -> dict:
    """Fill an empty database with one month of mostly verified, mostly closed data (Core executemany)."""
    from sqlalchemy import insert

    from silabu.accounts.models import Satker, Unit, User, UserRole
    from silabu.catalog.calendar import MonthCalendar
    from silabu.catalog.models import OutputCode
    from silabu.entries.models import Entry, Evidence, UnitMonth
    from silabu.evidence.storage import get_storage
    from silabu.extensions import db

    spec = SIZES[size]
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        now = datetime(2026, 11, 3, tzinfo=UTC)
        ex = db.session.execute
        ex(insert(Satker.__table__), [{"id": 1, "code": "3319", "name": "KPU Kabupaten Kudus", "level": "kabupaten",
                                       "timezone": "Asia/Jakarta", "address": "Jl. Ganesha No. 4, Kudus",
                                       "city": "Kudus"}])
        units = [{"id": 1, "satker_id": 1, "code": "RDI", "name": "Sub Bagian Perencanaan, Data dan Informasi",
                  "requires_evidence": False, "is_active": True}]
        units += [{"id": i, "satker_id": 1, "code": f"U{i:04d}", "name": f"Sub Bagian Uji {i}",
                   "requires_evidence": False, "is_active": True} for i in range(2, spec["units"] + 1)]
        ex(insert(Unit.__table__), units)
        codes = [{"id": i, "code": f"076.01.WA.4499.EBA.{i:03d}", "name": f"Layanan uji {i}", "default_unit": "Dokumen",
                  "level": "ro", "is_active": True, "created_at": now} for i in range(1, spec["codes"] + 1)]
        ex(insert(OutputCode.__table__), codes)
        users, roles = [], []
        for i in range(1, spec["asn"] + 1):
            unit_id = (i - 1) % spec["units"] + 1
            users.append({"id": i, "nip": f"{198001012005030000 + i}", "name": f"ASN Uji {i:05d}", "jabatan": "Pelaksana",
                          "golongan": "III/a", "unit_id": unit_id, "email": "", "password_hash": "x",
                          "must_change_password": False, "is_active_account": True, "session_version": 1,
                          "created_at": now})
            roles.append({"user_id": i, "role": "asn"})
        kasubag = spec["asn"] + 1
        sek = spec["asn"] + 2
        users.append({**users[0], "id": kasubag, "nip": "198001012005011001", "name": "Kasubag Perencanaan",
                      "unit_id": 1})
        users.append({**users[0], "id": sek, "nip": "197501011999031002", "name": "Sekretaris Uji", "unit_id": 1})
        roles += [{"user_id": kasubag, "role": "kasubag"}, {"user_id": sek, "role": "sekretaris"}]
        for i in range(0, len(users), 20000):
            ex(insert(User.__table__), users[i:i + 20000])
        ex(insert(UserRole.__table__), roles)
        closed_units = [u["id"] for u in units if u["id"] % 20 != 7]  # a few unit-months still open
        ex(insert(UnitMonth.__table__), [{"unit_id": uid, "period": PERIOD, "is_closed": True, "closed_at": now}
                                         for uid in closed_units])
        workdays = MonthCalendar(2026, 10).working_days
        per_asn = spec["entries"] // spec["asn"]
        storage = get_storage()
        blobs = []
        if size == "kabupaten":
            for n in range(20):
                data = (f"bukti dukung uji {n} ".encode() * 1500)[:24000]
                sha = hashlib.sha256(data).hexdigest()
                key = f"{sha[:2]}/{sha[2:4]}/{sha}.pdf"
                storage.store(key, data)
                blobs.append((key, sha, len(data)))
        else:
            blobs = [(f"aa/bb/{'ab' * 32}.jpg", "ab" * 32, 250_000)]
        # Like real staff: each unit works on a handful of output codes, each ASN on a few (code, unit) pairs.
        unit_codes = {u["id"]: rng.sample(range(1, spec["codes"] + 1), k=min(10, spec["codes"])) for u in units}
        entry_id = 0
        batch, evidence = [], []
        for uid in range(1, spec["asn"] + 1):
            unit_id = (uid - 1) % spec["units"] + 1
            days = rng.sample(workdays, k=min(len(workdays), max(1, per_asn // 2)))
            pairs = [(rng.choice(unit_codes[unit_id]), rng.choice(UOMS)) for _ in range(4)]
            for k in range(per_asn):
                entry_id += 1
                day = days[k % len(days)]
                code_id, uom = rng.choice(pairs)
                roll = rng.random()
                status = "verified" if roll < 0.9 else ("submitted" if roll < 0.95 else "returned")
                batch.append({"id": entry_id, "user_id": uid, "unit_id": unit_id, "entry_date": day, "period": PERIOD,
                              "output_code_id": code_id, "activity": "Kegiatan uji",
                              "output": "Hasil uji", "quantity": rng.randint(1, 5), "unit_of_measure": uom,
                              "status": status, "is_locked": status == "verified",
                              "return_count": 1 if rng.random() < 0.1 else 0, "created_at": now, "updated_at": now,
                              "version": 1})
                if rng.random() < spec["evidence_share"]:
                    key, sha, sz = rng.choice(blobs)
                    evidence.append({"entry_id": entry_id, "kind": "document", "content_type": "application/pdf",
                                     "size": sz, "sha256": sha, "storage_key": key, "original_sha256": sha,
                                     "original_name": "bukti.pdf", "uploaded_by_id": uid, "created_at": now})
                if len(batch) >= 50000:  # entries first: the evidence rows refer to them
                    ex(insert(Entry.__table__), batch)
                    batch = []
                    if evidence:
                        ex(insert(Evidence.__table__), evidence)
                        evidence = []
        if batch:
            ex(insert(Entry.__table__), batch)
        if evidence:
            ex(insert(Evidence.__table__), evidence)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Statistics and visibility map as autovacuum would leave a real database.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    return {"entries": entry_id, "asn": spec["asn"], "units": spec["units"], "seconds": time.perf_counter() - t0}


def measure(database_url: str, upload_dir: str, size: str) -> dict:
    """Run in a fresh process: time and memory of the roll-up (and, for a kabupaten, of the packet)."""
    app = make_app(database_url, upload_dir)
    from silabu.extensions import db
    from silabu.pleno.services import build_packet, rollup

    out: dict = {}
    with app.app_context():
        base_rss = _rss_mb()
        rollup(PERIOD)  # warm-up: imports, first connection, holiday tables
        db.session.remove()
        t = time.perf_counter()
        r = rollup(PERIOD)
        out["rollup_seconds"] = round(time.perf_counter() - t, 3)
        out["rollup_rss_peak_mb"] = round(_rss_mb(), 1)
        out["rss_before_mb"] = round(base_rss, 1)
        s = r.summary()
        out["figures"] = {k: s[k] for k in ("activities", "asn_count", "units_total", "units_closed",
                                            "missing_entries", "evidence", "compliance_avg")}
        out["frame_rows"] = {k: len(v) for k, v in r.frames.items()}
        db.session.remove()
        del r
        tracemalloc.start()
        rollup(PERIOD)
        out["rollup_tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1)
        tracemalloc.stop()
        db.session.remove()
        if size == "kabupaten":
            t = time.perf_counter()
            packet = build_packet(PERIOD, None)
            db.session.commit()
            out["packet_seconds"] = round(time.perf_counter() - t, 3)
            out["packet_rss_peak_mb"] = round(_rss_mb(), 1)
            out["packet_files"] = {f.name: f.size for f in packet.files}
    return out


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    try:
        # Linux: VmHWM starts afresh with exec, unlike ru_maxrss, which a child inherits from its parent.
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of the pleno roll-up and packet.")
    parser.add_argument("--national", action="store_true", help="25 000 ASN, ~1 000 000 entries (aggregation only)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--upload-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = "national" if args.national else "kabupaten"

    if args.measure_only:
        print(json.dumps(measure(args.database_url, args.upload_dir, size)))
        return

    with tempfile.TemporaryDirectory(prefix="silabu-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        uploads = f"{tmp}/uploads"
        os.makedirs(uploads, exist_ok=True)
        app = make_app(url, uploads)
        print(f"[{size}] generating data into {url.split('@')[-1]} ...", flush=True)
        gen = generate(app, size)
        print(f"[{size}] {gen['entries']:,} entries, {gen['asn']:,} ASN, {gen['units']} units "
              f"generated in {gen['seconds']:.1f} s", flush=True)
        cmd = [sys.executable, __file__, "--measure-only", "--database-url", url, "--upload-dir", uploads]
        if args.national:
            cmd.append("--national")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(proc.returncode)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"[{size}] roll-up: {result['rollup_seconds']:.2f} s, peak RSS {result['rollup_rss_peak_mb']:.0f} MB "
              f"(process after start-up: {result['rss_before_mb']:.0f} MB), Python heap peak "
              f"{result['rollup_tracemalloc_peak_mb']:.1f} MB")
        if "packet_seconds" in result:
            files = ", ".join(f"{n} {s / 1024:.0f} KB" for n, s in result["packet_files"].items())
            print(f"[{size}] packet end to end: {result['packet_seconds']:.2f} s, peak RSS "
                  f"{result['packet_rss_peak_mb']:.0f} MB; files: {files}")
        print(f"[{size}] figures: {json.dumps(result['figures'])}")
        print(f"[{size}] frame rows: {json.dumps(result['frame_rows'])}")
        goal = (3.0, "packet_seconds") if size == "kabupaten" else (10.0, "rollup_seconds")
        ok = result[goal[1]] < goal[0] and (size == "kabupaten" or result["rollup_rss_peak_mb"] < 2048)
        print(f"[{size}] goal {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
