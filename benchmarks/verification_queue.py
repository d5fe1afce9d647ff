"""Benchmark: the verification queue page for one unit-month with 400 submitted entries.

Builds a temporary SQLite database (10 ASN x 40 submitted entries in last month, a quarter of them with a
photo), logs in as the unit's Kasubag through the real login page and prints:
  - server time, SQL statements and bytes (plain and gzip) of the queue page,
  - the same for the JSON queue and the XLSX/PDF exports,
  - how many requests a full verification of the unit-month takes through the pages (queue page, verify-all
    per ASN, close), and how many it would take entry by entry without JavaScript.

Run from the project root:  python benchmarks/verification_queue.py [--asn 10] [--per-asn 40]
"""
from __future__ import annotations

import argparse
import io
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image
from sqlalchemy import event

from silabu import create_app
from silabu.extensions import db

PASSWORD = "Benchmark-Pass-2026"


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (150, 170, 200)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def build(app, asn_count: int, per_asn: int) -> tuple[str, object]:
    from silabu.accounts.org import ensure_satker, ensure_unit, today_for
    from silabu.accounts.services import UserData, create_user
    from silabu.catalog.calendar import MonthCalendar
    from silabu.catalog.services import import_output_codes
    from silabu.core.clock import parse_period, period_of, previous_period
    from silabu.core.tables import read_table
    from silabu.entries import services as entries
    from silabu.entries.evidence import add_evidence

    demo = Path(app.config["DEMO_DATA_DIR"])
    satker = ensure_satker("3319", "KPU Kabupaten Kudus", "Asia/Jakarta", address="Jl. Ganesha No. 4, Kudus",
                           city="Kudus")
    ensure_unit(satker, "SEK", "Sekretariat")
    ensure_unit(satker, "KUL", "Sub Bagian Keuangan, Umum dan Logistik", "SEK")
    import_output_codes(read_table("output_codes.csv", (demo / "output_codes.csv").read_bytes()).rows)
    nip = iter(f"19{80 + i % 15:02d}0{1 + i % 9}1{i % 9}20{10 + i % 9:02d}0{1 + i % 9}1{i:03d}" for i in range(1, 999))
    kasubag, _ = create_user(UserData(name="Agus Pratama", unit_code="KUL", roles="asn,kasubag", nip=next(nip),
                                      password=PASSWORD, jabatan="Kepala Sub Bagian"), must_change_password=False)
    staff = [create_user(UserData(name=f"Pegawai {i:02d} Wibisono", unit_code="KUL", roles="asn", nip=next(nip),
                                  password=PASSWORD, jabatan="Penata Kelola Pemilu"), must_change_password=False)[0]
             for i in range(1, asn_count + 1)]
    db.session.commit()
    period = previous_period(period_of(today_for(kasubag)))
    days = MonthCalendar(*parse_period(period)).working_days
    codes = ["076.01.WA.4499.EBA.956", "076.01.WA.4499.EBA.962", "076.01.WA.4499.EBA.994", "076.01.WA.4499.EBD.955"]
    photo = _photo()
    n = 0
    for user in staff:
        for i in range(per_asn):
            day = days[i % len(days)]
            entry, _ = entries.create_entry(user, {
                "entry_date": day.isoformat(), "output_code": codes[i % len(codes)],
                "activity": f"Menyusun dan memeriksa berkas pertanggungjawaban kegiatan nomor {i + 1}",
                "output": "Berkas SPM dan laporan pertanggungjawaban", "quantity": 1 + i % 3, "unit": "Dokumen",
                "start_time": "08:00", "end_time": "11:30"})
            if n % 4 == 0:
                add_evidence(entry, user, f"IMG_{day:%Y%m%d}_{i}.jpg", photo)
            entries.submit_entry(entry, user)
            n += 1
        db.session.commit()
    return period, kasubag


class Meter:
    """Counts SQL statements while a request runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args, **kwargs) -> None:
        self.count += 1


def timed(client, method: str, url: str, *, runs: int = 1, **kw):
    meter = Meter()
    event.listen(db.engine, "before_cursor_execute", meter)
    times = []
    try:
        for _ in range(runs):
            start = time.perf_counter()
            resp = client.open(url, method=method, **kw)
            times.append(time.perf_counter() - start)
    finally:
        event.remove(db.engine, "before_cursor_execute", meter)
    return resp, statistics.median(times), meter.count // runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asn", type=int, default=10)
    parser.add_argument("--per-asn", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="silabu-bench-"))
    try:
        app = create_app({"TESTING": False, "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.db'}",
                          "UPLOAD_DIR": str(root / "uploads"), "BACKUP_DIR": str(root / "backups")})
        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            period, kasubag = build(app, args.asn, args.per_asn)
            total = args.asn * args.per_asn
            print(f"Data: 1 unit-month ({period}), {args.asn} ASN x {args.per_asn} = {total} submitted entries, "
                  f"{(total + 3) // 4} with a photo; built in {time.perf_counter() - t0:.1f} s "
                  f"(SQLite, {root / 'bench.db'})")
            login = kasubag.nip

        client = app.test_client()
        resp = client.post("/masuk", data={"login": login, "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code
        with app.app_context():
            queue_url = f"/verifikasi/KUL/{period}"
            resp, secs, queries = timed(client, "GET", queue_url, runs=args.runs)
            assert resp.status_code == 200, resp.status_code
            plain = len(resp.data)
            gz, _, _ = timed(client, "GET", queue_url, headers={"Accept-Encoding": "gzip"})
            shown = resp.get_data(as_text=True).count('class="ventry ')
            print(f"Queue page (one ASN at a time, {shown} entries shown, all {args.asn} ASN listed with counts):")
            print(f"  server time {secs * 1000:.0f} ms (median of {args.runs}), {queries} SQL statements, "
                  f"{plain / 1024:.1f} KiB HTML, {len(gz.data) / 1024:.1f} KiB gzip")
            resp, secs, queries = timed(client, "GET", queue_url + "?tampil=menunggu", runs=args.runs)
            print(f"  'only waiting' view: {secs * 1000:.0f} ms, {queries} SQL statements, {len(resp.data) / 1024:.1f} KiB")
            resp, secs, queries = timed(client, "GET", f"/api/v1/verification/queue?month={period}", runs=args.runs)
            gz, _, _ = timed(client, "GET", f"/api/v1/verification/queue?month={period}",
                             headers={"Accept-Encoding": "gzip"})
            print(f"JSON queue (all {total} entries): {secs * 1000:.0f} ms, {queries} SQL statements, "
                  f"{len(resp.data) / 1024:.1f} KiB, {len(gz.data) / 1024:.1f} KiB gzip")
            for ext in ("xlsx", "pdf"):
                resp, secs, queries = timed(client, "GET", f"/verifikasi/KUL/{period}/data-kinerja.{ext}")
                assert resp.status_code == 200
                print(f"Export {ext.upper()} (before verification, 0 verified rows): {secs * 1000:.0f} ms, "
                      f"{len(resp.data) / 1024:.1f} KiB")

            # A full verification through the pages, without JavaScript: open the queue, verify all of the
            # shown ASN (the answer is the next ASN's page), repeat, then close the month.
            resp, secs, _ = timed(client, "GET", queue_url)
            requests, server, posts = 1, secs, []
            while True:
                match = re.search(r'action="(/verifikasi/KUL/[0-9-]+/asn/\d+/verifikasi-semua)"',
                                  resp.get_data(as_text=True))
                if not match:
                    break
                resp, secs, queries = timed(client, "POST", match.group(1))
                assert resp.status_code == 200, resp.status_code
                requests += 1
                server += secs
                posts.append((secs, queries))
            resp, secs, _ = timed(client, "POST", f"/verifikasi/KUL/{period}/tutup")
            requests += 1
            server += secs
            assert resp.status_code == 302
            closed = client.get(queue_url).get_data(as_text=True)
            assert "Ditutup" in closed, "the unit-month did not close"
            print(f"Full verification of the unit-month through the pages: {requests} requests "
                  f"(1 queue page + {len(posts)} verify-all, each answering with the next ASN's page, + 1 close), "
                  f"{server:.2f} s server time in total; one verify-all + page: median "
                  f"{statistics.median(p[0] for p in posts) * 1000:.0f} ms, "
                  f"{statistics.median(p[1] for p in posts):.0f} SQL statements")
            print(f"  entry by entry without JavaScript it would be {total} verify posts + {total} page loads + "
                  f"1 close = {2 * total + 1} requests; with JavaScript {total} small JSON posts + {args.asn} pages "
                  f"+ 1 close = {total + args.asn + 1} requests")
            for ext in ("xlsx", "pdf"):
                resp, secs, _ = timed(client, "GET", f"/verifikasi/KUL/{period}/data-kinerja.{ext}")
                print(f"Export {ext.upper()} after verification ({total} verified rows): {secs * 1000:.0f} ms, "
                      f"{len(resp.data) / 1024:.1f} KiB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
