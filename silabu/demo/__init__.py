"""The demo organisation (from CSV) and a realistic stretch of entries with evidence."""
from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from silabu.accounts.models import Role, User
from silabu.accounts.org import ensure_satker, ensure_unit
from silabu.accounts.services import hash_password, import_users
from silabu.catalog.calendar import MonthCalendar
from silabu.catalog.services import import_output_codes
from silabu.core.clock import local_today, period_of, previous_period
from silabu.core.tables import read_table
from silabu.entries.models import Entry
from silabu.extensions import db
from silabu.lkj.services import import_indicators

UNIT_CODES = {
    "KUL": ["076.01.WA.4499.EBA.956", "076.01.WA.4499.EBA.962", "076.01.WA.4499.EBA.994", "076.01.WA.4499.EBD.955"],
    "TPH": ["076.01.DL.3363.BCA.001", "076.01.DL.3363.QMA.002", "076.01.WA.4499.EBA.958", "076.01.DL.3363.PBG.001"],
    "RDI": ["076.01.WA.4499.EBD.952", "076.01.WA.4499.EBD.953", "076.01.WA.4499.EBA.963", "076.01.DL.3363.QMA.001"],
    "HSD": ["076.01.WA.4499.EBA.957", "076.01.WA.4499.EBC.954"],
    "SEK": ["076.01.WA.4499.EBA.962"],
}
ACTIVITIES = {
    "076.01.WA.4499.EBA.956": ("Inventarisasi dan pelabelan BMN", "Daftar BMN terlabel", "Dokumen"),
    "076.01.WA.4499.EBA.962": ("Mengelola surat masuk dan keluar", "Agenda surat", "Dokumen"),
    "076.01.WA.4499.EBA.994": ("Pemeliharaan sarana kantor", "Laporan pemeliharaan", "Laporan"),
    "076.01.WA.4499.EBD.955": ("Menyusun SPM dan pertanggungjawaban keuangan", "Berkas SPM", "Dokumen"),
    "076.01.DL.3363.BCA.001": ("Sosialisasi pendidikan pemilih di sekolah", "Laporan sosialisasi", "Kegiatan"),
    "076.01.DL.3363.QMA.002": ("Menyusun konten publikasi media sosial", "Konten terbit", "Dokumen"),
    "076.01.WA.4499.EBA.958": ("Peliputan kegiatan kantor", "Berita kegiatan", "Dokumen"),
    "076.01.DL.3363.PBG.001": ("Fasilitasi rapat koordinasi badan adhoc", "Notula rapat", "Kegiatan"),
    "076.01.WA.4499.EBD.952": ("Menyusun rencana kerja dan anggaran", "Draf RKA", "Dokumen"),
    "076.01.WA.4499.EBD.953": ("Menyusun laporan kinerja bulanan", "Laporan kinerja", "Dokumen"),
    "076.01.WA.4499.EBA.963": ("Pemutakhiran data dan informasi satker", "Rekap data", "Dokumen"),
    "076.01.DL.3363.QMA.001": ("Rekapitulasi data pemilih berkelanjutan", "Berita acara rekap", "Dokumen"),
    "076.01.WA.4499.EBA.957": ("Mengunggah produk hukum ke JDIH", "Produk hukum terunggah", "Dokumen"),
    "076.01.WA.4499.EBC.954": ("Mengelola administrasi kepegawaian", "Usulan/rekap kepegawaian", "Dokumen"),
}


PLANNING_DIVISION = "Divisi Perencanaan, Data dan Informasi"


def load_demo(folder: Path, *, password: str, with_entries: bool = True, today: date | None = None) -> str:
    """Load (or refresh) the demo organisation; safe to run twice."""
    satker_row = read_table("satker.csv", (folder / "satker.csv").read_bytes()).rows[0]
    satker = ensure_satker(satker_row["code"], satker_row["name"], satker_row.get("timezone") or "Asia/Jakarta",
                           level=satker_row.get("level", "kabupaten"), parent_code=satker_row.get("parent_code"),
                           address=satker_row.get("address", ""), city="Kudus")
    for row in read_table("units.csv", (folder / "units.csv").read_bytes()).rows:
        ensure_unit(satker, row["code"], row["name"], row.get("parent_code") or None)
    import_output_codes(read_table("output_codes.csv", (folder / "output_codes.csv").read_bytes()).rows)
    users_rows = read_table("users.csv", (folder / "users.csv").read_bytes()).rows
    for row in users_rows:
        if not row.get("nip") and "admin" in row.get("roles", ""):
            row["username"] = "admin"
        if "komisioner" in row.get("roles", "") and not row.get("division"):
            row["division"] = PLANNING_DIVISION  # the demo's komisioner corrects and initials the LKj KPU
    report = import_users(users_rows)
    demo_hash = hash_password(password)
    for login in report.created:
        user = db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))
        user.password_hash = demo_hash
        user.must_change_password = False
    today = today or local_today(satker.timezone)
    import_indicators(read_table("indicators.csv", (folder / "indicators.csv").read_bytes()).rows, today.year)
    db.session.flush()
    made = 0
    if with_entries and db.session.scalar(select(Entry.id).limit(1)) is None:
        made = _demo_entries(today)
    return (f"Demo dimuat: satker {satker.code}, {len(report.created)} pengguna baru, {made} entri contoh. "
            f"Kata sandi akun demo: {password} (nama pengguna 'admin', 'ketua', 'komisioner'; pegawai: NIP).")


def _demo_entries(today: date) -> int:
    """Three months of work: two months back verified and closed, last month verified, this month in progress."""
    from silabu.entries import services as entry_services
    from silabu.entries.models import EntryStatus
    from silabu.verification import services as verification

    rng = random.Random(3319)
    staff = [u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.ASN)]
    heads = {u.unit_id: u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.KASUBAG)}
    sekretaris = next((u for u in db.session.scalars(select(User)) if u.has_role(Role.SEKRETARIS)), None)
    current = period_of(today)
    last = previous_period(current)
    before_last = previous_period(last)
    count = 0
    for period in (before_last, last, current):
        year, month = (int(x) for x in period.split("-"))
        days = [d for d in MonthCalendar(year, month).working_days if d < today]
        for user in staff + list(heads.values()):
            codes = UNIT_CODES.get(user.unit.code, UNIT_CODES["SEK"])
            for day in days:
                if period == current and rng.random() < 0.12:
                    continue  # a few days left empty: the home page shows them as owed
                for _ in range(1 if rng.random() < 0.7 else 2):
                    code = rng.choice(codes)
                    activity, output, unit = ACTIVITIES[code]
                    entry, _ = entry_services.create_entry(user, {
                        "entry_date": day.isoformat(), "output_code": code, "activity": activity,
                        "output": output, "quantity": rng.choice([1, 1, 1, 2, 3]), "unit": unit,
                        "start_time": "08:00", "end_time": rng.choice(["11:30", "15:00", "16:00"])},
                        confirm_duplicate=True)  # two of the same kind on one day happen in real months too
                    if rng.random() < 0.25:
                        _attach_photo(entry, user, day, rng)
                    count += 1
                    if period == current and (day >= today - timedelta(days=2) or rng.random() < 0.1):
                        continue  # recent days still drafts
                    entry_services.submit_entry(entry, user)
        db.session.flush()
        if period == current:
            _return_a_few(current, heads, rng)
            continue
        for unit_id, head in heads.items():
            verifier_for_staff = head
            for entry in db.session.scalars(select(Entry).where(Entry.unit_id == unit_id, Entry.period == period,
                                                                Entry.status == EntryStatus.SUBMITTED)):
                who = sekretaris if entry.user_id == head.id else verifier_for_staff
                if who is not None:
                    verification.verify_entry(entry, who)
        if period == before_last:
            for head in heads.values():
                verification.close_month(head.unit, period, head)
            _finalized_packet(period)
    return count


def _finalized_packet(period: str) -> None:
    """Two months back went through its pleno: a final packet so the pleno and LKj pages show figures."""
    from silabu.pleno import services as pleno

    rendatin = next(u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.RENDATIN))
    year, month = (int(x) for x in period.split("-"))
    last_day = MonthCalendar(year, month).last
    pleno_day = last_day + timedelta(days=10)
    # Built on the morning of the pleno (09.00 WIB), presented there, then finalized: the order a pleno keeps.
    built = datetime.combine(pleno_day, time(2, 0), tzinfo=UTC)
    packet = pleno.build_packet(period, rendatin, now=built)
    pleno.mark_presented(packet, rendatin)
    pleno.finalize(packet, rendatin, f"{month}/PL.01-BA/3319/{year}", pleno_day, "Disetujui dalam Rapat Pleno.")


def _return_a_few(period: str, heads: dict[int, User], rng: random.Random) -> None:
    from silabu.entries.models import EntryStatus
    from silabu.verification import services as verification

    for unit_id, head in heads.items():
        submitted = list(db.session.scalars(select(Entry).where(Entry.unit_id == unit_id, Entry.period == period,
                                                                Entry.status == EntryStatus.SUBMITTED,
                                                                Entry.user_id != head.id)))
        for entry in rng.sample(submitted, min(2, len(submitted))):
            verification.return_entry(entry, head, "Mohon lampirkan foto atau dokumen bukti kegiatan.")


def _attach_photo(entry: Entry, user: User, day: date, rng: random.Random) -> None:
    from PIL import Image, ImageDraw

    from silabu.entries.evidence import add_evidence

    img = Image.new("RGB", (800, 600), (rng.randrange(120, 230), rng.randrange(120, 230), rng.randrange(120, 230)))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 760, 560), outline=(60, 60, 60), width=6)
    draw.text((70, 80), f"{entry.activity}\n{day:%d-%m-%Y}\n{user.name}", fill=(20, 20, 20))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    add_evidence(entry, user, f"IMG_{day:%Y%m%d}_{rng.randrange(1000, 9999)}.jpg", buf.getvalue())


