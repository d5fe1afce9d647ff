"""The demo organisation (from CSV) and a realistic stretch of entries with evidence."""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from silabu.accounts.models import Role, User
from silabu.accounts.org import ensure_satker, ensure_unit
from silabu.accounts.services import hash_password, import_users
from silabu.catalog.calendar import MonthCalendar
from silabu.catalog.services import import_output_codes
from silabu.core.clock import local_today, period_of, previous_period
from silabu.core.formatting import bulan
from silabu.core.tables import read_table
from silabu.entries.models import Entry
from silabu.extensions import db
from silabu.lkj.services import import_indicators


@dataclass(frozen=True)
class Work:
    """One kind of work a unit logs: its output code, what is done and produced, in which unit and how much.

    ``kind`` says how often it happens, as in a real office: ``routine`` (the day-to-day work an ASN picks from),
    ``monthly`` (once a month, on the ``day``-th working day; negative counts from the month's end), ``quarterly``
    (the same, in January, April, July and October: the report on the quarter just ended) or ``events`` (``per_month``
    times a month, each logged once, by the ASN in charge: a sosialisasi attended by three is one Kegiatan).
    """

    code: str
    activity: str
    output: str
    uom: str
    quantity: tuple[int, int] = (1, 1)
    kind: str = "routine"
    day: int = 0
    per_month: int = 0
    variants: tuple[str, ...] = ()

    def text(self, rng: random.Random, period: str) -> str:
        text = self.activity.replace("{bulan_lalu}", bulan(previous_period(period)))
        return f"{text} {rng.choice(self.variants)}".strip() if self.variants else text


COORDINATE = Work("076.01.WA.4499.EBA.962", "Mengoordinasikan pekerjaan sub bagian dan mendisposisi surat",
                  "Disposisi dan arahan", "Kegiatan")
# Output codes that measure a PK indicator (silabu/demo/data/indicators.csv) carry only the work that produces the
# indicator's output, in its unit and at its pace: 1 Laporan a month, 4 publications, 2 sosialisasi, ~3 produk hukum.
WORK: dict[str, list[Work]] = {
    "KUL": [
        Work("076.01.WA.4499.EBA.962", "Mengagendakan surat masuk dan keluar", "Agenda surat", "Surat", (3, 12)),
        Work("076.01.WA.4499.EBD.955", "Menyusun SPM dan dokumen pencairan", "Berkas SPM", "Berkas", (1, 4)),
        Work("076.01.WA.4499.EBD.955", "Memverifikasi SPJ kegiatan", "SPJ terverifikasi", "Berkas", (1, 5)),
        Work("076.01.WA.4499.EBA.994", "Pemeliharaan sarana dan prasarana kantor", "Berita acara pemeliharaan",
             "Kegiatan"),
        Work("076.01.WA.4499.EBA.994", "Mencatat persediaan barang habis pakai", "Kartu persediaan", "Dokumen"),
        Work("076.01.WA.4499.EBD.955", "Menyusun laporan realisasi anggaran bulan {bulan_lalu}",
             "Laporan realisasi anggaran", "Laporan", kind="monthly", day=3),
        Work("076.01.WA.4499.EBA.956", "Menyusun laporan BMN triwulanan", "Laporan BMN triwulan", "Laporan",
             kind="quarterly", day=6),
    ],
    "TPH": [
        Work("076.01.WA.4499.EBA.958", "Meliput dan menulis berita kegiatan kantor", "Berita kegiatan", "Berita",
             (1, 2)),
        Work("076.01.WA.4499.EBA.958", "Mengelola media sosial dan laman KPU Kabupaten", "Unggahan media sosial",
             "Unggahan", (1, 4)),
        Work("076.01.DL.3363.PBG.001", "Menyiapkan administrasi badan adhoc", "Berkas administrasi PPK/PPS",
             "Berkas", (1, 3)),
        Work("076.01.WA.4499.EBA.958", "Menyiapkan materi sosialisasi dan bahan tayang", "Materi sosialisasi",
             "Dokumen"),
        Work("076.01.DL.3363.BCA.001", "Sosialisasi pendidikan pemilih", "Laporan pelaksanaan sosialisasi",
             "Kegiatan", kind="events", per_month=2,
             variants=("di SMA N 1 Kudus", "di MA NU Banat", "bagi pemilih pemula SMK N 2 Kudus",
                       "di Desa Jati Kulon", "bagi komunitas penyandang disabilitas", "di Kelurahan Wergu Wetan")),
        Work("076.01.DL.3363.QMA.002", "Menerbitkan publikasi informasi kepemiluan", "Publikasi terbit", "Dokumen",
             kind="events", per_month=4,
             variants=("(infografis data pemilih)", "(rilis pers)", "(video edukasi pemilih)",
                       "(buletin kepemiluan)")),
        Work("076.01.DL.3363.PBG.001", "Rapat koordinasi dengan badan adhoc", "Notula rapat", "Kegiatan",
             kind="events", per_month=1),
    ],
    "RDI": [
        Work("076.01.WA.4499.EBA.963", "Memutakhirkan data dan informasi satker", "Rekap data", "Dokumen"),
        Work("076.01.WA.4499.EBA.963", "Melayani permohonan data dan informasi", "Tanggapan permohonan",
             "Permohonan", (1, 3)),
        Work("076.01.WA.4499.EBA.963", "Menghimpun tanggapan masyarakat atas data pemilih", "Formulir tanggapan",
             "Berkas", (1, 5)),
        Work("076.01.WA.4499.EBD.952", "Menyusun dan merevisi RKA-K/L dan POK", "Draf RKA-K/L", "Dokumen"),
        Work("076.01.WA.4499.EBD.953", "Memantau realisasi kinerja dan anggaran", "Catatan pemantauan", "Dokumen"),
        Work("076.01.DL.3363.QMA.001", "Rekapitulasi data pemilih berkelanjutan bulan {bulan_lalu}",
             "Berita acara rekapitulasi DPB", "Dokumen", kind="monthly", day=3),
        Work("076.01.WA.4499.EBD.953", "Menyusun laporan kinerja bulan {bulan_lalu}", "Laporan kinerja bulanan",
             "Laporan", kind="monthly", day=5),
        Work("076.01.WA.4499.EBD.953", "Menyusun bahan rapat pleno laporan bulanan", "Bahan rapat pleno", "Dokumen",
             kind="monthly", day=7),
    ],
    "HSD": [
        Work("076.01.WA.4499.EBC.954", "Mengelola administrasi kepegawaian (cuti, kenaikan pangkat, KGB)",
             "Usulan kepegawaian", "Berkas", (1, 4)),
        Work("076.01.WA.4499.EBC.954", "Merekap presensi pegawai", "Rekap presensi", "Dokumen"),
        Work("076.01.WA.4499.EBC.954", "Memutakhirkan data pegawai di SIASN", "Data pegawai mutakhir", "Data",
             (1, 5)),
        Work("076.01.WA.4499.EBA.962", "Menelaah dan menyusun rancangan keputusan", "Rancangan keputusan",
             "Dokumen"),
        Work("076.01.WA.4499.EBA.957", "Mengunggah produk hukum ke JDIH", "Produk hukum terunggah", "Dokumen",
             (1, 2), kind="events", per_month=3),
        Work("076.01.WA.4499.EBC.954", "Menyusun rekap capaian SKP pegawai bulan {bulan_lalu}", "Rekap SKP",
             "Laporan", kind="monthly", day=4),
    ],
}
ROUTINE_PER_ASN = 2  # each ASN's jabatan covers two of the unit's routine kinds of work
LEAVE_RATE = 0.03  # a closed month's day without an entry (leave, sick, training)
SECOND_ENTRY_RATE = 0.4  # a day with a second piece of routine work


PLANNING_DIVISION = "Divisi Perencanaan, Data dan Informasi"


def load_demo(folder: Path, *, password: str, with_entries: bool = True, today: date | None = None) -> str:
    """Load (or refresh) the demo organisation; safe to run twice."""
    satker_row = read_table("satker.csv", (folder / "satker.csv").read_bytes()).rows[0]
    satker = ensure_satker(satker_row["code"], satker_row["name"], satker_row.get("timezone") or "Asia/Jakarta",
                           level=satker_row.get("level", "kabupaten"), parent_code=satker_row.get("parent_code"),
                           address=satker_row.get("address", ""), city="Kudus")
    from silabu.accounts.tenancy import satker_scope

    with satker_scope(satker):  # Kudus's own organisation and months (accounts.tenancy)
        for row in read_table("units.csv", (folder / "units.csv").read_bytes()).rows:
            ensure_unit(satker, row["code"], row["name"], row.get("parent_code") or None)
        import_output_codes(read_table("output_codes.csv", (folder / "output_codes.csv").read_bytes()).rows)
        users_rows = read_table("users.csv", (folder / "users.csv").read_bytes()).rows
        for row in users_rows:
            if not row.get("nip") and "admin" in row.get("roles", ""):
                row["username"] = "admin"
            if "komisioner" in row.get("roles", "") and not row.get("division"):
                row["division"] = PLANNING_DIVISION  # the demo's komisioner corrects and initials the LKj KPU
        demo_hash = hash_password(password)  # once: every demo account has the same password
        report = import_users(users_rows, password_hash=demo_hash)
        for login in report.created:
            user = db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))
            user.must_change_password = False
        today = today or local_today(satker.timezone)
        import_indicators(read_table("indicators.csv", (folder / "indicators.csv").read_bytes()).rows, today.year)
        db.session.flush()
        _demo_targets(today.year)
        made = 0
        if with_entries and db.session.scalar(select(Entry.id).limit(1)) is None:
            made = _demo_entries(today)
        from silabu.demo.lkj import load_lkj_demo  # the LKj's figures beside the entries (issue 13)

        lkj_note = load_lkj_demo(folder, today)
    from silabu.demo.province import load_province_demo

    province_note = load_province_demo(
        satker, read_table("units.csv", (folder / "units.csv").read_bytes()).rows,
        read_table("output_codes.csv", (folder / "output_codes.csv").read_bytes()).rows, demo_hash, today,
        with_entries)
    return (f"Demo dimuat: satker {satker.code}, {len(report.created)} pengguna baru, {made} entri contoh. "
            f"Kata sandi akun demo: {password} (nama pengguna 'admin', 'ketua', 'komisioner'; pegawai: NIP)."
            + (f" {lkj_note}" if lkj_note else "") + f" {province_note}")


def _demo_targets(year: int) -> None:
    """Rencana Aksi: each counted (``sum``) indicator's yearly target split over the months, where none is set yet.

    Whole numbers, the remainder on the months a quarterly report falls in (4 a year: January, April, July,
    October), so the pleno's PK view has a target for the month and to date."""
    from silabu.catalog.models import Consolidation, Indicator
    from silabu.lkj.services import set_targets, targets_of

    for ind in db.session.scalars(select(Indicator).where(Indicator.year == year).order_by(Indicator.id)):
        if ind.consolidation is not Consolidation.SUM or targets_of(ind):
            continue
        total = int(ind.target_year)
        if total != ind.target_year:
            continue
        base, rest = divmod(total, 12)
        extra = {(k * 12) // rest + 1 for k in range(rest)} if rest else set()
        set_targets(ind, "month", {m: base + (1 if m in extra else 0) for m in range(1, 13)}, None)


def _demo_entries(today: date) -> int:
    """Three months of work: two months back verified and closed, last month verified, this month in progress.

    Each ASN logs one or two pieces of routine work a working day (a few days of leave), plus the unit's monthly,
    quarterly and event work by the ASN in charge; quantities fit their unit of measure (3-12 Surat a day,
    1 Laporan a month)."""
    from silabu.entries import services as entry_services
    from silabu.entries.models import EntryStatus
    from silabu.verification import services as verification

    rng = random.Random(3319)
    staff = [u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.ASN)]
    heads = {u.unit_id: u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.KASUBAG)}
    sekretaris = next((u for u in db.session.scalars(select(User)) if u.has_role(Role.SEKRETARIS)), None)
    people = staff + [h for h in heads.values() if h not in staff]
    by_unit: dict[str, list[User]] = {}
    for user in people:
        by_unit.setdefault(user.unit.code, []).append(user)
    routine_of: dict[int, list[Work]] = {}
    for user in people:
        routine = [w for w in WORK.get(user.unit.code, []) if w.kind == "routine"] or [COORDINATE]
        mine = rng.sample(routine, min(ROUTINE_PER_ASN, len(routine)))
        routine_of[user.id] = [COORDINATE, *mine[:1]] if heads.get(user.unit_id) is user else mine
    current = period_of(today)
    last = previous_period(current)
    before_last = previous_period(last)
    count = 0
    for period in (before_last, last, current):
        year, month = (int(x) for x in period.split("-"))
        all_days = MonthCalendar(year, month).working_days
        days = [d for d in all_days if d < today]
        planned: list[tuple[User, date, Work]] = []
        for user in people:
            for day in days:
                if rng.random() < (0.12 if period == current else LEAVE_RATE):
                    continue  # leave; in the current month also days not yet filled (the home page shows them)
                work = routine_of[user.id]
                planned.append((user, day, rng.choice(work)))
                if rng.random() < SECOND_ENTRY_RATE and len(work) > 1:
                    planned.append((user, day, rng.choice(work)))
        for unit_code, works in WORK.items():
            crew = [u for u in by_unit.get(unit_code, []) if heads.get(u.unit_id) is not u] or by_unit.get(unit_code)
            if not crew:
                continue
            for n, work in enumerate(w for w in works if w.kind != "routine"):
                if work.kind == "quarterly" and month not in (1, 4, 7, 10):
                    continue
                if work.kind == "events":
                    when = sorted(rng.sample(all_days, min(work.per_month, len(all_days))))
                else:
                    when = [all_days[work.day - 1 if work.day > 0 else work.day]]
                for day in when:
                    if day < today:
                        planned.append((crew[(n + len(planned)) % len(crew)] if work.kind == "events"
                                        else crew[n % len(crew)], day, work))
        planned.sort(key=lambda t: (t[1], t[0].id))
        for user, day, work in planned:
            morning = rng.random() < 0.5
            entry, _ = entry_services.create_entry(user, {
                "entry_date": day.isoformat(), "output_code": work.code, "activity": work.text(rng, period),
                "output": work.output, "quantity": rng.randint(*work.quantity), "unit": work.uom,
                "start_time": "08:00" if morning else "13:00", "end_time": rng.choice(
                    ["10:30", "11:30", "12:00"] if morning else ["14:30", "15:30", "16:00"])},
                confirm_duplicate=True)  # two of the same kind on one day happen in real months too
            if rng.random() < (0.8 if work.kind != "routine" else 0.2):
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
            # As the Kasubag does it at month end: verify-all per ASN (the Sekretaris verifies the Kasubag's own).
            owners = db.session.scalars(select(Entry.user_id).where(
                Entry.unit_id == unit_id, Entry.period == period, Entry.status == EntryStatus.SUBMITTED).distinct())
            for owner in [db.session.get(User, uid) for uid in owners]:
                who = sekretaris if owner.id == head.id else head
                if who is not None:
                    verification.verify_all(owner, period, who)
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


