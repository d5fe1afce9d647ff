"""Creating an entry through the API, side by side with a bare insert route (issue 16). Prints, in one run:

1. SQL statements per create (counted in process with a ``before_cursor_execute`` listener; the commit is not a
   statement the cursor executes and is counted apart) and where the time of one create goes (cProfile, top
   functions by own time), for this checkout and, with --baseline-root, for an older one;
2. requests/second and latency of ``POST /api/v1/entries`` under gunicorn (workers x 2 threads, token auth,
   N concurrent clients) for SILABU (this checkout, and the baseline checkout when given) and for
   ``benchmarks/bare_insert_app.py`` (one insert + commit), started one after another against fresh databases;
3. the resident memory (VmRSS) of each web worker after its load.

Usage:
    python benchmarks/create_entry.py [--clients 16] [--requests 2000] [--database-url postgresql+psycopg://...]
                                      [--baseline-root /tmp/silabu-before]   # e.g. git archive of the old commit
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NIPS = ["198603242014031003", "196807301998022004", "197501161999022005", "199003032015032006",
        "199006072018022007", "198012172005041008", "197603161999041010", "197502141999041011"]
CODE = "076.01.WA.4499.EBA.962"


def workday() -> date:
    today = date.today()
    return today if today.weekday() < 5 else today - timedelta(days=today.weekday() - 4)


def body(i: int, n: int) -> str:
    return json.dumps({"entry_date": workday().isoformat(), "output_code": CODE, "activity": f"Kegiatan beban {i}-{n}",
                       "output": "Laporan", "quantity": 1, "unit": "Dokumen"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(url: str | None, tmp: Path, name: str) -> str:
    if not url:
        return f"sqlite:///{tmp / (name + '.db')}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    db_name = f"{base.database}_{name}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return base.set(database=db_name).render_as_string(hide_password=False)


def env_for(database_url: str, tmp: Path, name: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench", SILABU_UPLOAD_DIR=str(tmp / f"up-{name}"),
               SILABU_INSTANCE_DIR=str(tmp / f"instance-{name}"), SILABU_LOGIN_MAX_ATTEMPTS="1000")
    env.pop("SILABU_TEST_DATABASE_URL", None)
    return env


def prepare_silabu(root: Path, env: dict[str, str]) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo-data", "--no-entries", "--password", "bench-pass"], cwd=root, env=env, check=True,
                   capture_output=True)


IN_PROCESS = textwrap.dedent('''
    import cProfile, io, json, pstats, sys, time
    from sqlalchemy import event
    from silabu import create_app
    from silabu.extensions import db
    app = create_app()
    c = app.test_client()
    nips, code, day = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
    tokens = [c.post("/api/v1/auth/token", json={"username": n, "password": "bench-pass"}).json["token"] for n in nips]
    def post(i):
        return c.post("/api/v1/entries", headers={"Authorization": "Bearer " + tokens[i % len(tokens)]},
                      json={"entry_date": day, "output_code": code, "activity": "Profil %d" % i, "output": "Laporan",
                            "quantity": 1, "unit": "Dokumen"})
    for i in range(50):
        post(i)
    counts = {"statements": 0, "commits": 0}
    with app.app_context():
        engine = db.engine
    def on_exec(*a):
        counts["statements"] += 1
    def on_commit(conn):
        counts["commits"] += 1
    event.listen(engine, "before_cursor_execute", on_exec)
    event.listen(engine, "commit", on_commit)
    n = 200
    t0 = time.perf_counter()
    for i in range(n):
        assert post(1000 + i).status_code == 201
    per = (time.perf_counter() - t0) / n
    event.remove(engine, "before_cursor_execute", on_exec)
    event.remove(engine, "commit", on_commit)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        post(5000 + i)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    buckets = {}
    for (path, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        name = path
        for key in ("sqlalchemy", "werkzeug", "flask_login", "flask_wtf", "flask", "jinja2", "psycopg", "sqlite3",
                    "json", "silabu", "time_machine"):
            if "/" + key + "/" in name or (key == "sqlite3" and "sqlite3" in func) or (
                    key == "psycopg" and "psycopg" in name):
                break
        else:
            key = "other (stdlib, builtins)"
        buckets[key] = buckets.get(key, 0.0) + tottime
    stats.sort_stats("tottime").print_stats(10)
    print(json.dumps({"statements": counts["statements"] / n, "commits": counts["commits"] / n,
                      "ms": per * 1000, "profile": out.getvalue(),
                      "buckets": {k: v * 1000 / n for k, v in buckets.items()}}))
''')


def in_process(root: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", IN_PROCESS, ",".join(NIPS), CODE, workday().isoformat()], cwd=root,
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the in-process run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def profile_summary(text: str, root: Path, lines: int = 12) -> str:
    keep = []
    for line in text.splitlines():
        if line.strip().startswith(("ncalls",)) or (keep and line.strip()):
            keep.append(line.replace(str(root), ".").replace(sys.prefix, "<venv>"))
    return "\n".join(keep[:lines + 1])


def serve(root: Path, env: dict[str, str], app: str, workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w",
                             str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--access-logfile",
                             "/dev/null", "--error-logfile", "/dev/null", app], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/masuk")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
    return proc, port


def worker_rss_mb(master: int) -> list[float]:
    out = []
    for child in Path("/proc").glob("[0-9]*"):
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master):
            out.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(out)


def load(port: int, clients: int, requests: int) -> dict:
    tokens = []
    for nip in NIPS:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/api/v1/auth/token", json.dumps({"username": nip, "password": "bench-pass"}),
                     {"Content-Type": "application/json"})
        tokens.append(json.loads(conn.getresponse().read())["token"])
    per_client = requests // clients
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    start = threading.Event()

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        mine = []
        start.wait()
        for n in range(per_client):
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/entries", body(i, n), {"Content-Type": "application/json",
                                                               "Authorization": f"Bearer {tokens[i % len(tokens)]}"})
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
    start.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {"rps": len(latencies) / elapsed, "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
            "errors": len(errors), "n": len(latencies)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--baseline-root", type=Path, default=None, help="another SILABU checkout to measure first")
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="silabu-create-"))
    kind = "PostgreSQL" if args.database_url else "SQLite"
    sides = ([("before", args.baseline_root)] if args.baseline_root else []) + [("after", ROOT)]
    results = {}
    try:
        for label, root in sides:
            env = env_for(fresh_database(args.database_url, tmp, f"prof_{label}"), tmp, f"prof_{label}")
            prepare_silabu(root, env)
            stats = in_process(root, env)
            print(f"== {label} ({root}): one create in process on {kind}: {stats['statements']:.1f} SQL statements "
                  f"+ {stats['commits']:.0f} commit, {stats['ms']:.2f} ms")
            if not args.no_profile:
                total = sum(stats["buckets"].values())
                print("   own time per create by package (cProfile, so slower than above): " + ", ".join(
                    f"{k} {v:.2f} ms ({v / total * 100:.0f} %)"
                    for k, v in sorted(stats["buckets"].items(), key=lambda kv: -kv[1])))
                print(profile_summary(stats["profile"], root))
        for label, root in [*sides, ("bare insert", ROOT)]:
            name = label.replace(" ", "_")
            env = env_for(fresh_database(args.database_url, tmp, f"load_{name}"), tmp, f"load_{name}")
            if label == "bare insert":
                app_spec, cwd = "benchmarks.bare_insert_app:app", ROOT
            else:
                prepare_silabu(root, env)
                app_spec, cwd = "wsgi:app", root
            proc, port = serve(cwd, env, app_spec, args.workers, args.threads)
            try:
                results[label] = r = load(port, args.clients, args.requests)
                rss = worker_rss_mb(proc.pid)
            finally:
                proc.terminate()
                proc.wait(30)
            print(f"== POST /api/v1/entries, {label}, gunicorn {args.workers}x{args.threads}, {kind}, "
                  f"{args.clients} clients: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms, {r['errors']} errors of {r['n']}; worker RSS after "
                  f"{', '.join(f'{m:.0f}' for m in rss)} MB")
        bare = results["bare insert"]["rps"]
        for label, _ in sides:
            print(f"== {label}: {results[label]['rps'] / bare * 100:.0f} % of the bare insert route's throughput")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.database_url:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            base = make_url(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
            admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for label in ["before", "after", "bare_insert"]:
                    for prefix in ("prof", "load"):
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}_{prefix}_{label}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
