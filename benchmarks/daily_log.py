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
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))


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


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
        nips = ["198603242014031003", "196807301998022004", "197501161999022005", "199003032015032006",
                "199006072018022007", "198012172005041008", "197603161999041010", "197502141999041011"]
        tokens = []
        for nip in nips:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("POST", "/api/v1/auth/token", json.dumps({"username": nip, "password": "bench-pass"}),
                         {"Content-Type": "application/json"})
            tokens.append(json.loads(conn.getresponse().read())["token"])
        per_client = requests // clients
        latencies: list[float] = []
        errors = []
        lock = threading.Lock()
        today = date.today()
        day = today if today.weekday() < 5 else today - timedelta(days=today.weekday() - 4)
        start_evt = threading.Event()

        def worker(i: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            token = tokens[i % len(tokens)]
            mine = []
            start_evt.wait()
            for n in range(per_client):
                body = json.dumps({"entry_date": day.isoformat(), "output_code": "076.01.WA.4499.EBA.962",
                                   "activity": f"Kegiatan beban {i}-{n}", "output": "Laporan", "quantity": 1,
                                   "unit": "Dokumen"})
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/entries", body, {"Content-Type": "application/json",
                                                               "Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                resp.read()
                mine.append(time.perf_counter() - t0)
                if resp.status != 201:
                    with lock:
                        errors.append(resp.status)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        t0 = time.perf_counter()
        start_evt.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        latencies.sort()

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

        db_kind = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
        print(f"== POST /api/v1/entries under gunicorn ({workers * 2} workers x 2 threads, {db_kind}), "
              f"{clients} concurrent clients")
        print(f"requests {len(latencies)}  errors {len(errors)}  throughput {len(latencies) / elapsed:.0f} req/s")
        print(f"latency p50 {pct(0.50):.1f} ms  p95 {pct(0.95):.1f} ms  p99 {pct(0.99):.1f} ms  "
              f"max {latencies[-1] * 1000:.1f} ms")
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
