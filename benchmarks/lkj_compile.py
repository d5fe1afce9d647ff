"""Time to compile a year's LKj (12 finalized pleno packets) into the DOCX and the PDF.

    python benchmarks/lkj_compile.py [--staff 30] [--entries 22] [--repeat 3] [--database-url URL]

Builds a throw-away database (SQLite in a temporary folder unless --database-url is given) with the demo
organisation and Perjanjian Kinerja, ``staff`` ASN each logging ``entries`` verified, locked entries a month on
the indicators' output codes, 12 final packets and manual realisasi, then times each part of a compile.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEAR = 2026
CODES = ["076.01.WA.4499.EBD.953", "076.01.WA.4499.EBA.956", "076.01.WA.4499.EBA.957", "076.01.DL.3363.BCA.001",
         "076.01.DL.3363.QMA.002", "076.01.DL.3363.QMA.001", "076.01.WA.4499.EBA.962"]


def seed(db, staff_count: int, entries_per_month: int) -> int:
    from sqlalchemy import select

    from silabu.accounts.models import Role, User, UserRole
    from silabu.accounts.org import ensure_satker, ensure_unit
    from silabu.catalog.models import Indicator, OutputCode
    from silabu.catalog.services import import_output_codes
    from silabu.core.clock import utcnow
    from silabu.core.tables import read_table
    from silabu.entries.models import Entry, EntryStatus
    from silabu.lkj.models import ManualRealisasi
    from silabu.lkj.services import import_indicators
    from silabu.pleno.models import Packet, PacketStatus

    demo = ROOT / "silabu" / "demo" / "data"
    satker = ensure_satker("3319", "KPU Kabupaten Kudus", "Asia/Jakarta")
    units = [ensure_unit(satker, "SEK", "Sekretariat")]
    for code, name in (("KUL", "Sub Bagian Keuangan, Umum dan Logistik"), ("TPH", "Sub Bagian Teknis dan Hupmas"),
                       ("RDI", "Sub Bagian Perencanaan, Data dan Informasi"), ("HSD", "Sub Bagian Hukum dan SDM")):
        units.append(ensure_unit(satker, code, name, "SEK"))
    import_output_codes(read_table("output_codes.csv", (demo / "output_codes.csv").read_bytes()).rows)
    import_indicators(read_table("indicators.csv", (demo / "indicators.csv").read_bytes()).rows, YEAR)
    people = []
    for i in range(staff_count):
        user = User(nip=f"19800101200501{1000 + i:04d}", name=f"Pegawai {i + 1}", unit_id=units[1 + i % 4].id,
                    password_hash="-", must_change_password=False)
        user.role_rows = [UserRole(role=Role.ASN)]
        people.append(user)
    signer = User(username="sekretaris", name="Sri Lestari", unit_id=units[0].id, password_hash="-")
    signer.role_rows = [UserRole(role=Role.SEKRETARIS)]
    db.session.add_all(people + [signer])
    db.session.flush()
    code_ids = [db.session.scalar(select(OutputCode.id).where(OutputCode.code == c)) for c in CODES]
    rng = random.Random(2026)
    rows = []
    for month in range(1, 13):
        for user in people:
            for n in range(entries_per_month):
                day = date(YEAR, month, 1 + n % 28)
                rows.append(dict(user_id=user.id, unit_id=user.unit_id, entry_date=day, period=f"{YEAR}-{month:02d}",
                                 output_code_id=rng.choice(code_ids), activity="Kegiatan harian", output="Hasil",
                                 quantity=Decimal(rng.randint(1, 3)), unit_of_measure="Dokumen",
                                 status=EntryStatus.VERIFIED, is_locked=True, created_at=utcnow(),
                                 updated_at=utcnow(), version=1))
        db.session.add(Packet(period=f"{YEAR}-{month:02d}", version=1, status=PacketStatus.FINAL, built_at=utcnow(),
                              summary={}, data_sha256="ef" * 32, berita_acara_number=f"{month}/PL.01-BA/3319/{YEAR}",
                              pleno_date=date(YEAR, month, 28)))
    db.session.execute(Entry.__table__.insert(), rows)
    manual = {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.output_code_id.is_(None)))}
    for month in range(1, 13):
        for code, value in (("IK1.2", 100), ("IK2.1", 90 + month / 2), ("IK3.2", 0), ("IK3.3", 4 + month % 3)):
            db.session.add(ManualRealisasi(indicator_id=manual[code].id, period=f"{YEAR}-{month:02d}",
                                           value=Decimal(str(value)), note="Data dukung bulanan"))
    db.session.commit()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=30)
    parser.add_argument("--entries", type=int, default=22, help="entries per ASN per month")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from silabu import create_app
    from silabu.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "UPLOAD_DIR": str(Path(tmp) / "up"),
                          "TESTING": True})
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            entries = seed(db, args.staff, args.entries)
            print(f"seed: {entries} verified entries, 12 final packets, 48 manual values "
                  f"({time.perf_counter() - started:.1f} s)")
            from silabu.core.clock import utcnow
            from silabu.lkj import services
            from silabu.lkj.document import DocumentMeta, render_docx, render_pdf

            timings: dict[str, list[float]] = {k: [] for k in ("tabel_capaian", "snapshot", "docx", "pdf",
                                                               "compile LKJ-SEK", "compile LKJ-KPU")}
            meta = DocumentMeta(1, "ABCD-EFGH", "http://localhost/lkj/verifikasi/ABCDEFGH", "Draf", utcnow())
            sizes = {}
            for _ in range(args.repeat):
                t = time.perf_counter()
                services.tabel_capaian(YEAR, "LKJ-SEK")
                timings["tabel_capaian"].append(time.perf_counter() - t)
                t = time.perf_counter()
                snapshot = services.build_snapshot(YEAR, "LKJ-SEK")
                timings["snapshot"].append(time.perf_counter() - t)
                t = time.perf_counter()
                sizes["docx"] = len(render_docx(snapshot, {}, meta))
                timings["docx"].append(time.perf_counter() - t)
                t = time.perf_counter()
                sizes["pdf"] = len(render_pdf(snapshot, {}, meta))
                timings["pdf"].append(time.perf_counter() - t)
                for code in ("LKJ-SEK", "LKJ-KPU"):
                    t = time.perf_counter()
                    services.compile_report(YEAR, code)
                    db.session.commit()
                    timings[f"compile {code}"].append(time.perf_counter() - t)
            print(f"database: {db.engine.dialect.name}; DOCX {sizes['docx'] / 1024:.0f} KB, "
                  f"PDF {sizes['pdf'] / 1024:.0f} KB")
            for name, values in timings.items():
                print(f"{name:18s} median {statistics.median(values) * 1000:8.0f} ms   "
                      f"min {min(values) * 1000:8.0f} ms   ({len(values)} runs)")
            total = statistics.median(timings["compile LKJ-SEK"]) + statistics.median(timings["compile LKJ-KPU"])
            print(f"a year's two LKj (12 finalized packets) into DOCX + PDF: {total:.2f} s")
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
