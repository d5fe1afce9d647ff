"""Benchmark of the daily log (issue 2). Prints:
1. server-side processing time of each good photo of the upload corpus (median of several runs),
2. bytes of the entry page (HTML + CSS + JS, gzip) as a phone downloads it,
3. requests/second and latency percentiles of creating entries through the API under gunicorn
   with 16 concurrent clients on loopback (SQLite, WAL).

Usage: python benchmarks/daily_log.py [--runs 5] [--clients 16] [--requests 2000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from benchmarks.create_entry import free_port, load  # noqa: E402 - after the path is set


def photo_times(runs: int) -> None:
    from silabu.evidence.processing import process_upload

    print(f"== photo processing (server side, median of {runs} runs)")
    for path in sorted((SHARED / "data/uploads/good").iterdir()):
        if path.suffix.lower() in (".pdf", ".docx", ".xlsx"):
            continue
        data = path.read_bytes()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            out = process_upload(data, path.name, max_bytes=20 * 2**20, max_pixels=60_000_000, long_side=2000,
                                 thumb_side=320)
            times.append(time.perf_counter() - t0)
        print(f"{path.name:32s} {len(data) / 1024:8.0f} KB -> {out.size / 1024:6.0f} KB  "
              f"median {statistics.median(times) * 1000:6.0f} ms")


def entry_page_bytes(tmp: Path) -> None:
    from silabu import create_app
    from silabu.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'page.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": str(tmp / "up"), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from silabu.demo import load_demo

        load_demo(Path(app.config["DEMO_DATA_DIR"]), password="bench-pass", with_entries=False)
        db.session.commit()
    c = app.test_client()
    c.post("/masuk", data={"login": "198603242014031003", "password": "bench-pass"})
    page = c.get("/entri/baru", headers={"Accept-Encoding": "gzip"})
    html = page.data
    raw_html = gzip.decompress(html) if page.headers.get("Content-Encoding") == "gzip" else html
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', raw_html)
    total_raw, total_gz = len(raw_html), len(gzip.compress(raw_html, 6))
    print("== entry page bytes (what a phone downloads on first visit)")
    print(f"{'HTML /entri/baru':40s} {len(raw_html):7d} B raw {len(gzip.compress(raw_html, 6)):7d} B gzip")
    for a in dict.fromkeys(assets):
        body = c.get(a.decode()).data
        body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        gz = len(gzip.compress(body, 6))
        total_raw += len(body)
        total_gz += gz
        print(f"{a.decode():40s} {len(body):7d} B raw {gz:7d} B gzip")
    print(f"{'TOTAL':40s} {total_raw:7d} B raw {total_gz:7d} B gzip")


def api_load(tmp: Path, clients: int, requests: int, database_url: str | None) -> None:
    env = dict(os.environ, DATABASE_URL=database_url or f"sqlite:///{tmp / 'load.db'}", SECRET_KEY="bench",
               SILABU_UPLOAD_DIR=str(tmp / "up2"), SILABU_LOGIN_MAX_ATTEMPTS="1000")
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "--app", "wsgi", "demo-data", "--no-entries", "--password", "bench-pass"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    port = free_port()
    workers = os.cpu_count() or 2
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "-w",
                             str(workers * 2), "--threads", "2", "-b", f"127.0.0.1:{port}", "--access-logfile",
                             "/dev/null", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        result = load(port, clients, requests)  # the same load as benchmarks/create_entry.py
        db_kind = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
        print(f"== POST /api/v1/entries under gunicorn ({workers * 2} workers x 2 threads, {db_kind}), "
              f"{clients} concurrent clients")
        print(f"requests {result['n']}  errors {result['errors']}  throughput {result['rps']:.0f} req/s")
        print(f"latency p50 {result['p50']:.1f} ms  p95 {result['p95']:.1f} ms  p99 {result['p99']:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--skip", nargs="*", default=[], choices=["photos", "page", "api"])
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="silabu-bench-"))
    try:
        if "photos" not in args.skip:
            photo_times(args.runs)
        if "page" not in args.skip:
            entry_page_bytes(tmp)
        if "api" not in args.skip:
            api_load(tmp, args.clients, args.requests, args.database_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
