"""Time to render the demo LKj Sekretariat (the snapshot a compile freezes) as DOCX and as PDF.

    python benchmarks/lkj_render.py [--repeat 7] [--report LKJ-SEK] [--snapshot FILE] [--profile docx|pdf]

Loads the demo data (organisation, a year of entries, Perjanjian Kinerja, realisasi, anggaran) into a throw-away
SQLite database, freezes the report's snapshot as a compile does (``build_snapshot``), then renders it ``repeat``
times with a version, a verification code and a QR, as ``compile_report`` does, and prints the medians.
``--snapshot FILE`` keeps the snapshot as JSON in FILE (written the first time, read afterwards) so a re-run skips
the demo load. ``--profile`` prints the cProfile of one more render of that format (top 30 by cumulative time).

Measured 2026-12-03 on the shared 2-core machine, three interleaved rounds of 5 renders (old tree, new tree,
new tree with rl-accel), the rounds' medians:

    load ≈ 4:   before (be7d0d2) DOCX 1,11-1,48 s, PDF 1,43-2,03 s;  after DOCX 0,31-0,41 s, PDF 0,90-1,11 s
    load ≈ 1,7: before           DOCX 0,51-0,55 s, PDF 0,78-0,84 s;  after DOCX 0,19-0,22 s, PDF 0,65-0,68 s;
                after with rl-accel 0.9.1: DOCX 0,15-0,20 s, PDF 0,39-0,68 s

The output is the same byte for byte (every DOCX part but core.xml, and the PDF with
``reportlab.rl_config.invariant = 1``), with and without rl-accel.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def demo_snapshot(report_code: str) -> dict:
    from silabu import create_app
    from silabu.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}", "SECRET_KEY": "bench",
                          "UPLOAD_DIR": str(Path(tmp) / "up"), "TESTING": True,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            db.create_all()
            from silabu.demo import load_demo
            from silabu.lkj.services import build_snapshot

            load_demo(Path(app.config["DEMO_DATA_DIR"]), password="bench-demo", today=date.today())
            db.session.commit()
            snapshot = build_snapshot(date.today().year, report_code)
            db.session.remove()
            db.engine.dispose()
    return json.loads(json.dumps(snapshot))  # what a stored LkjDocument.data gives back


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--report", default="LKJ-SEK")
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--profile", choices=("docx", "pdf"), default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    if args.snapshot and args.snapshot.is_file():
        snapshot = json.loads(args.snapshot.read_text())
    else:
        snapshot = demo_snapshot(args.report)
        if args.snapshot:
            args.snapshot.write_text(json.dumps(snapshot, ensure_ascii=False))
    print(f"snapshot {args.report} {snapshot['year']}: {len(snapshot.get('rows') or [])} indicators "
          f"({time.perf_counter() - started:.1f} s)")

    from silabu.lkj.document import DocumentMeta, render_docx, render_pdf

    meta = DocumentMeta(version=1, code="ABCD-EFGH", url="http://localhost/lkj/verifikasi/ABCDEFGH",
                        status_label="Draf versi 1", compiled_at=datetime(2027, 1, 5, 3, 0, tzinfo=UTC))
    renders = {"docx": render_docx, "pdf": render_pdf}
    timings: dict[str, list[float]] = {k: [] for k in renders}
    sizes = {}
    for _ in range(args.repeat):
        for name, fn in renders.items():
            t = time.perf_counter()
            sizes[name] = len(fn(snapshot, {}, meta))
            timings[name].append(time.perf_counter() - t)
    for name, values in timings.items():
        print(f"{name:5s} median {statistics.median(values) * 1000:7.0f} ms   min {min(values) * 1000:7.0f} ms   "
              f"({len(values)} runs, {sizes[name] / 1024:.0f} KB)")
    print(f"a compile (DOCX + PDF): {sum(statistics.median(v) for v in timings.values()):.2f} s")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(renders[args.profile], snapshot, {}, meta)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
