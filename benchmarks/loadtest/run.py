"""Load test of a month-end day (issue 6): locust, headless, against gunicorn on loopback.

1. A fresh database (SQLite by default, or the PostgreSQL database named by --database-url, dropped and
   created again), migrated with `flask db upgrade` and loaded with `flask demo-data --no-entries`.
2. Data of a month end, made through the services: extra ASN accounts, two months back verified and closed
   (for the pleno packet), last month submitted and waiting for verification.
3. gunicorn with the project's gunicorn.conf.py on a free loopback port.
4. locust (benchmarks/loadtest/locustfile.py) for a bounded time with N users: ASN posting entries through
   the API with client_uuid, uploading photos and browsing their month; each unit's Kasubag loading the
   queue and verifying or returning; one Rendatin building the packet once or twice.
5. A table of throughput, p50/p95/p99 and errors per request type and overall. Exit status 1 when any
   request failed (or the p99 goal was missed, with --strict).

Usage:
    python benchmarks/loadtest/run.py [--users 50] [--run-time 60s] [--database-url URL] [--profile]
    python benchmarks/loadtest/run.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/silabu_load
Needs `pip install -r requirements-load.txt` (and py-spy for --profile).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.loadtest.server import LiveServer, recreate_postgres_database  # noqa: E402

PASSWORD = "Beban-Uji-2026"
DEMO_PASSWORD = "silabu-demo"
UNITS = ("KUL", "TPH", "RDI", "HSD")
UNIT_CODES = {  # output codes each unit's work is logged under (the demo's catalogue)
    "KUL": ["076.01.WA.4499.EBA.956", "076.01.WA.4499.EBA.962", "076.01.WA.4499.EBD.955"],
    "TPH": ["076.01.DL.3363.BCA.001", "076.01.DL.3363.QMA.002", "076.01.WA.4499.EBA.958"],
    "RDI": ["076.01.WA.4499.EBD.952", "076.01.WA.4499.EBD.953", "076.01.WA.4499.EBA.963"],
    "HSD": ["076.01.WA.4499.EBA.957", "076.01.WA.4499.EBC.954"],
}
KASUBAG = {"KUL": "197401301999012002", "TPH": "197009011999042009", "RDI": "198307312012022016",
           "HSD": "199701222019031023"}
RENDATIN = "198102142011012017"
PHOTO = ROOT.parent / "shared" / "data" / "uploads" / "good" / "browser_compressed_1600.jpg"
GOAL_P99_MS = 500


def shift_period(period: str, step: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def nip_for(n: int) -> str:
    """A valid, unique NIP for the n-th load-test account."""
    birth = date(1975, 1, 1) + timedelta(days=97 * n)
    return f"{birth:%Y%m%d}{birth.year + 25}03{1 + n % 2}{n % 999 + 1:03d}"


def prepare_data(server: LiveServer, *, asn_accounts: int, entries_last_month: int, entries_closed_month: int,
                 photos_last_month: int) -> dict:
    """Accounts and two months of entries through the services; returns the plan the locustfile reads."""
    os.environ.update({k: v for k, v in server.env.items() if k.startswith(("SILABU_", "DATABASE_URL", "SECRET_KEY"))})
    from sqlalchemy import select

    from silabu import create_app
    from silabu.accounts.models import User
    from silabu.accounts.org import today_for
    from silabu.accounts.services import UserData, create_user, unit_by_code
    from silabu.catalog.calendar import MonthCalendar
    from silabu.core.clock import period_of
    from silabu.entries import evidence
    from silabu.entries import services as entries
    from silabu.extensions import db
    from silabu.verification import services as verification

    rng = random.Random(3319)
    app = create_app()
    plan: dict = {"password": PASSWORD, "demo_password": DEMO_PASSWORD, "asn": [], "kasubag": KASUBAG,
                  "rendatin": RENDATIN, "unit_codes": UNIT_CODES}
    started = time.perf_counter()
    with app.app_context():
        kasubag = {code: db.session.scalar(select(User).where(User.nip == nip)) for code, nip in KASUBAG.items()}
        users = []
        for n in range(asn_accounts):
            unit = UNITS[n % len(UNITS)]
            user, _ = create_user(UserData(name=f"Pegawai Uji {n + 1:02d}", unit_code=unit, roles="asn", nip=nip_for(n),
                                           password=PASSWORD, jabatan="Penata Kelola Pemilu"),
                                  must_change_password=False)
            users.append((user, unit))
            plan["asn"].append({"login": user.nip, "unit": unit})
        db.session.commit()
        today = today_for(users[0][0])
        current = period_of(today)
        last, closed = shift_period(current, -1), shift_period(current, -2)
        plan.update({"today": today.isoformat(), "current": current, "last": last, "closed": closed})
        photo = PHOTO.read_bytes()

        def days_of(period: str, count: int) -> list[date]:
            year, month = map(int, period.split("-"))
            return MonthCalendar(year, month).working_days[:count]

        made = 0
        for period, count, verify in ((closed, entries_closed_month, True), (last, entries_last_month, False)):
            days = days_of(period, count)
            for _i, (user, unit) in enumerate(users):
                for d, day in enumerate(days):
                    code = rng.choice(UNIT_CODES[unit])
                    entry, _ = entries.create_entry(user, {
                        "entry_date": day.isoformat(), "output_code": code,
                        "activity": f"Kegiatan {unit} {day:%d/%m} ({rng.randint(1, 999)})",
                        "output": "Dokumen kegiatan", "quantity": rng.randint(1, 5)})
                    if not verify and d < photos_last_month:
                        evidence.add_evidence(entry, user, f"foto-{day:%d}.jpg", photo)
                    entries.submit_entry(entry, user)
                    if verify:
                        verification.verify_entry(entry, kasubag[unit])
                    made += 1
                db.session.commit()
            if verify:
                for unit in UNITS:
                    verification.close_month(unit_by_code(unit), period, kasubag[unit])
                db.session.commit()
        plan["entries_made"] = made
    plan["prepare_seconds"] = round(time.perf_counter() - started, 1)
    return plan


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def parse_seconds(text: str) -> float:
    """'60s', '2m', '90' -> seconds."""
    text = text.strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600}.get(text[-1:])
    return float(text[:-1]) * factor if factor else float(text)


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def ms(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def print_table(rows: list[dict], seconds: float) -> dict:
    """Throughput, percentiles and errors per request type; returns the aggregated row."""
    head = f"{'request':58} {'count':>7} {'err':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}"
    print(head)
    print("-" * len(head))
    total = None
    for row in rows:
        if row["Name"] != "Aggregated" and int(row["Request Count"]) == 0:
            continue
        name = f"{row['Type']} {row['Name']}".strip() if row["Name"] != "Aggregated" else "ALL"
        line = (f"{name[:58]:58} {int(row['Request Count']):>7} {int(row['Failure Count']):>5} "
                f"{float(row['Requests/s']):>7.1f} {ms(row['50%']):>6.0f} {ms(row['95%']):>6.0f} "
                f"{ms(row['99%']):>6.0f} {ms(row['Max Response Time']):>7.0f}")
        if row["Name"] == "Aggregated":
            total = row
            print("-" * len(head))
        print(line)
    print(f"(milliseconds; locust ran {seconds:.0f} s in all, sign-in included)")
    return total or {}


def print_failures(prefix: Path) -> None:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return
    rows = list(csv.DictReader(open(path, newline="")))
    if rows:
        print("\nfailures:")
        for row in rows[:20]:
            print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error'][:200]}")


def profile(server: LiveServer, seconds: int, out: Path) -> list[subprocess.Popen]:
    """py-spy on every gunicorn worker for the run (raw collapsed stacks, one file per worker)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    procs = []
    for pid in server.worker_pids():
        procs.append(subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(seconds), "--format", "raw",
                                       "--rate", "50", "--nonblocking", "--output", str(out / f"worker-{pid}.txt")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def hot_spots(folder: Path, top: int = 20) -> None:
    """Own-time and inclusive-time leaders in SILABU's code, from py-spy's collapsed stacks."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for path in folder.glob("worker-*.txt"):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            if any("wait" in f and ("select" in f or "threading" in f) for f in frames[-1:]):
                continue  # idle workers waiting for requests
            total += n
            leaf = frames[-1]
            own[leaf] = own.get(leaf, 0) + n
            for f in set(frames):
                if "(silabu/" in f or "/silabu/" in f or "(jobs/" in f:
                    inclusive[f] = inclusive.get(f, 0) + n
    if not total:
        print("no profile samples (py-spy needs ptrace permission)")
        return
    print(f"\n== hot spots ({total} busy samples over all workers)")
    print("own time (leaf frames):")
    for f, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:5.1f}%  {f}")
    print("inclusive time in SILABU code:")
    for f, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:5.1f}%  {f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (dropped and created); default SQLite")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s", help="measured time after every user has signed in")
    parser.add_argument("--asn-accounts", type=int, default=45, help="extra ASN accounts (one per locust ASN user)")
    parser.add_argument("--entries-last-month", type=int, default=8, help="submitted entries per ASN last month")
    parser.add_argument("--entries-closed-month", type=int, default=10, help="verified entries per ASN two months back")
    parser.add_argument("--photos-last-month", type=int, default=1, help="entries with a photo per ASN last month")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads (default: gunicorn.conf.py)")
    parser.add_argument("--worker-class", default=None, help="gunicorn worker class (default: gunicorn.conf.py)")
    parser.add_argument("--big-photo-share", type=float, default=0.1, help="share of uploads that are 12 MP photos")
    parser.add_argument("--burst", action="store_true",
                        help="start the working day with every user's first request at the same instant "
                             "(a stress case; by default each user first thinks, as between any two actions)")
    parser.add_argument("--profile", action="store_true", help="record the gunicorn workers with py-spy")
    parser.add_argument("--strict", action="store_true", help=f"also exit 1 when overall p99 > {GOAL_P99_MS} ms")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs, csv)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="silabu-load-"))
    database_url = recreate_postgres_database(args.database_url) if args.database_url else None
    server = LiveServer(tmp / "server", database_url=database_url, workers=args.workers, threads=args.threads,
                        extra_env={"SILABU_LOGIN_MAX_ATTEMPTS": "50",
                                   **({"SILABU_WORKER_CLASS": args.worker_class} if args.worker_class else {})})
    db_kind = "PostgreSQL" if server.database_url.startswith("postgres") else "SQLite"
    try:
        t0 = time.perf_counter()
        server.prepare()
        plan = prepare_data(server, asn_accounts=args.asn_accounts, entries_last_month=args.entries_last_month,
                            entries_closed_month=args.entries_closed_month, photos_last_month=args.photos_last_month)
        plan["big_photo_share"] = args.big_photo_share
        plan_path = tmp / "plan.json"
        plan_path.write_text(json.dumps(plan, indent=1))
        print(f"== data ready in {time.perf_counter() - t0:.0f} s: {db_kind}, {len(plan['asn'])} extra ASN, "
              f"{plan['entries_made']} entries ({plan['closed']} verified and closed, {plan['last']} submitted), "
              f"today {plan['today']}")
        server.start()
        workers = server.env.get("SILABU_WORKERS") or "gunicorn.conf.py default"
        print(f"== gunicorn on {server.url} (workers: {workers}, threads: {server.env.get('SILABU_THREADS', 'default')}); "
              f"locust {args.users} users, spawn {args.spawn_rate}/s, {args.run_time}")
        prefix = tmp / "locust"
        seconds = parse_seconds(args.run_time)
        signin_path = tmp / "signin.json"
        env = dict(os.environ, SILABU_LOAD_PLAN=str(plan_path), SILABU_LOAD_USERS=str(args.users),
                   SILABU_LOAD_SECONDS=str(seconds), SILABU_LOAD_SIGNIN_OUT=str(signin_path),
                   SILABU_LOAD_BURST="1" if args.burst else "0")
        # --run-time is only a safety bound: the locustfile stops the run `seconds` after the last sign-in.
        cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
               "-u", str(args.users), "-r", str(args.spawn_rate), "--run-time", f"{seconds + 180:.0f}s",
               "--host", server.url, "--csv", str(prefix), "--stop-timeout", "30", "--loglevel", "WARNING"]
        started = time.perf_counter()
        log_path = tmp / "locust.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            spies: list[subprocess.Popen] = []
            # The working day starts when every user has signed in (the locustfile writes signin.json).
            while proc.poll() is None and not signin_path.exists():
                time.sleep(0.2)
            server_pids = [server.process.pid, *server.worker_pids()]
            cpu_start, busy_start, wall_start = cpu_seconds(server_pids), machine_busy(), time.perf_counter()
            locust_start = cpu_seconds([proc.pid])
            if args.profile:
                (tmp / "profile").mkdir()
                spies = profile(server, int(seconds), tmp / "profile")
            locust_used = 0.0
            while proc.poll() is None and time.perf_counter() - wall_start < seconds:
                locust_used = max(locust_used, cpu_seconds([proc.pid]) - locust_start)
                time.sleep(0.2)
            cpu_used = cpu_seconds(server_pids) - cpu_start
            busy_end, window = machine_busy(), time.perf_counter() - wall_start
            proc.wait()
        elapsed = time.perf_counter() - started
        cores = os.cpu_count() or 1
        busy = (busy_end[0] - busy_start[0]) / max(1, busy_end[1] - busy_start[1])
        for spy in spies:
            try:
                spy.wait(timeout=60)
            except subprocess.TimeoutExpired:
                spy.terminate()
        output = log_path.read_text(errors="replace")
        if not Path(f"{prefix}_stats.csv").exists():
            print(output[-3000:])
            print("locust wrote no statistics", file=sys.stderr)
            return 2
        if signin_path.exists():
            signin = json.loads(signin_path.read_text())
            print(f"\n== sign-in of {args.users} users (spawned {args.spawn_rate:g}/s), {signin['seconds']:.0f} s: "
                  "two password checks each (API token, page login)")
            for row in signin["requests"]:
                print(f"  {row['method']:5} {row['name']:28} {row['count']:>4} requests, {row['failures']} errors, "
                      f"p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, p99 {row['p99']:.0f} ms, max {row['max']:.0f} ms")
        else:
            print("\n(not every user signed in: the statistics below include the sign-in)")
        print(f"\n== the working day ({db_kind}, {args.users} users signed in, measured {seconds:.0f} s)")
        total = print_table(read_stats(prefix), elapsed)
        print_failures(prefix)
        if output.strip():
            noisy = [ln for ln in output.splitlines() if "Traceback" in ln or "Error" in ln]
            if noisy:
                print("\nlocust reported:\n  " + "\n  ".join(noisy[:10]))
        if args.profile:
            hot_spots(tmp / "profile")
        print(f"\nCPU over the working day ({window:.0f} s, {cores} cores): gunicorn {cpu_used:.0f} core-s "
              f"({100 * cpu_used / window / cores:.0f}% of the machine), locust {locust_used:.0f} core-s; "
              f"the whole machine was {100 * busy:.0f}% busy (database server and anything else included)")
        failures = int(total.get("Failure Count", 0) or 0)
        p99 = ms(total.get("99%", "0"))
        print(f"\noverall: {int(total.get('Request Count', 0))} requests, {float(total.get('Requests/s', 0)):.1f} req/s, "
              f"p50 {ms(total.get('50%', '0')):.0f} ms, p95 {ms(total.get('95%', '0')):.0f} ms, p99 {p99:.0f} ms, "
              f"errors {failures} — goal (no errors, p99 < {GOAL_P99_MS} ms): "
              f"{'met' if failures == 0 and p99 < GOAL_P99_MS else 'MISSED'}")
        if failures:
            print("server log (tail):\n" + server.log_tail(20))
        return 1 if failures or (args.strict and p99 >= GOAL_P99_MS) else 0
    finally:
        server.stop()
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
