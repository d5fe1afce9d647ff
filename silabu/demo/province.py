"""The demo's province: KPU Provinsi Jawa Tengah over Kudus (the demo's satker) and two more kabupaten, so the
province's pages (its children's progress, their packets, the provincial roll-up) have something to show.

Jepara went through its pleno for two months back (a final packet); Pati's Kasubag has not closed that month
yet. Each has a small staff with a few weeks of entries, made through the same services as Kudus's."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from silabu.accounts.models import Role, Satker, User
from silabu.accounts.org import ensure_satker, ensure_unit
from silabu.accounts.services import import_users
from silabu.accounts.tenancy import satker_scope
from silabu.catalog.calendar import MonthCalendar
from silabu.catalog.services import import_output_codes
from silabu.core.clock import period_of, previous_period
from silabu.entries.models import Entry
from silabu.extensions import db

PROVINCE = ("33", "KPU Provinsi Jawa Tengah", "Jl. Veteran No. 1A, Semarang", "Semarang")
CHILDREN = [("3320", "KPU Kabupaten Jepara", "Jl. Kartini No. 21, Jepara", "Jepara"),
            ("3318", "KPU Kabupaten Pati", "Jl. Kolonel Sunandar No. 3, Pati", "Pati")]
WORK = [("076.01.WA.4499.EBA.962", "Menyusun laporan kegiatan harian", "Laporan", "Dokumen"),
        ("076.01.WA.4499.EBA.956", "Mengelola surat masuk dan keluar", "Agenda surat", "Surat"),
        ("076.01.WA.4499.EBD.952", "Memutakhirkan data pemilih berkelanjutan", "Rekap data", "Dokumen")]


def _nip(seq: int, gender: str) -> str:
    birth = date(1980 + seq % 15, 1 + seq % 12, 1 + seq % 27)
    return f"{birth:%Y%m%d}{birth.year + 25:04d}{1 + seq % 12:02d}{gender}{seq:03d}"


NAMES = {"33": ["Retno Wulandari", "Bambang Setiawan", "Ratna Puspitasari", "Hendra Gunawan"],
         "3320": ["Dewi Anggraini", "Teguh Prasetyo", "Nur Aini", "Joko Susilo", "Yuni Astuti", "Slamet Riyadi"],
         "3318": ["Endang Sulistyowati", "Arif Rahman", "Siti Munawaroh", "Budi Santoso", "Lina Marlina",
                  "Wahyu Hidayat"]}


def _people(code: str, base: int, province: bool) -> list[dict[str, str]]:
    rows = [("Sekretaris", "SEK", "sekretaris"), ("Kepala Sub Bagian", "RDI", "asn,kasubag"),
            ("Penyusun Program", "RDI", "asn,rendatin")]
    if province:
        rows.append(("Auditor Inspektorat", "SEK", "inspektorat"))
    else:
        rows += [("Kepala Sub Bagian", "KUL", "asn,kasubag"), ("Pengadministrasi Umum", "KUL", "asn"),
                 ("Pengelola Data", "RDI", "asn")]
    names = NAMES[code]
    return [{"nip": _nip(base + i, "2" if i % 2 == 0 else "1"), "name": names[i], "jabatan": jab,
             "golongan": "III/c", "employment": "PNS", "unit_code": unit, "roles": roles, "email": ""}
            for i, (jab, unit, roles) in enumerate(rows)]


def load_province_demo(kudus: Satker, units: list[dict[str, str]], codes: list[dict[str, str]],
                       demo_hash: str, today: date, with_entries: bool) -> str:
    """The province and its two other kabupaten (idempotent)."""
    code, name, address, city = PROVINCE
    province = ensure_satker(code, name, kudus.timezone, level="provinsi", address=address, city=city)
    kudus.parent_id = province.id
    made = 0
    for n, (sat_code, sat_name, sat_address, sat_city, rows) in enumerate(
            [(code, name, address, city, [u for u in units if u["code"] in ("SEK", "RDI")])]
            + [(c, nm, a, ct, units) for c, nm, a, ct in CHILDREN]):
        satker = province if sat_code == code else ensure_satker(
            sat_code, sat_name, kudus.timezone, level="kabkota", parent_code=code, address=sat_address, city=sat_city)
        with satker_scope(satker):
            for row in rows:
                ensure_unit(satker, row["code"], row["name"], row.get("parent_code") or None)
            import_output_codes(codes)
            report = import_users(_people(sat_code, 700 + 10 * n, satker is province), password_hash=demo_hash)
            for login in report.created:
                db.session.scalar(select(User).where(User.nip == login)).must_change_password = False
            db.session.flush()
            if with_entries and satker is not province and db.session.scalar(select(Entry.id).limit(1)) is None:
                made += _entries(satker, today, final=sat_code == CHILDREN[0][0])
    return f"Provinsi {code} dengan {len(CHILDREN) + 1} kabupaten, {made} entri contoh di kabupaten tambahan."


def _entries(satker: Satker, today: date, *, final: bool) -> int:
    """Two months back: each ASN's working days (most of them) logged and submitted; Jepara verified it, closed its
    units and finalized the packet, Pati's Kasubag is still verifying."""
    from silabu.entries import services as entries
    from silabu.pleno import services as pleno
    from silabu.verification import services as verification

    rng = random.Random(int(satker.code))
    period = previous_period(previous_period(period_of(today)))
    year, month = (int(x) for x in period.split("-"))
    cal = MonthCalendar(year, month)
    staff = [u for u in db.session.scalars(select(User).order_by(User.id)) if u.has_role(Role.ASN)]
    heads = {u.unit_id: u for u in staff if u.has_role(Role.KASUBAG)}
    sekretaris = next(u for u in db.session.scalars(select(User)) if u.has_role(Role.SEKRETARIS))
    count = 0
    for user in staff:
        for day in cal.working_days:
            if rng.random() < 0.15:
                continue
            work = rng.choice(WORK)
            entry, _ = entries.create_entry(user, {
                "entry_date": day.isoformat(), "output_code": work[0], "activity": work[1], "output": work[2],
                "quantity": rng.randint(1, 4), "unit": work[3], "start_time": "08:00", "end_time": "11:30"},
                confirm_duplicate=True)
            entries.submit_entry(entry, user)
            count += 1
    db.session.flush()
    # Jepara's Kasubag verified everyone (verify-all per ASN); Pati's has done most of his unit, not all of it.
    for owner in staff:
        head = heads.get(owner.unit_id)
        who = sekretaris if head is None or owner.id == head.id else head
        if final or rng.random() < 0.6:
            verification.verify_all(owner, period, who)
    if final:
        for head in heads.values():
            verification.close_month(head.unit, period, head)
        rendatin = next(u for u in staff if u.has_role(Role.RENDATIN))
        pleno_day = cal.last + timedelta(days=10)
        packet = pleno.build_packet(period, rendatin, now=datetime.combine(pleno_day, time(2, 0), tzinfo=UTC))
        pleno.mark_presented(packet, rendatin)
        pleno.finalize(packet, rendatin, f"{month}/PL.01-BA/{satker.code}/{year}", pleno_day,
                       "Disetujui dalam Rapat Pleno.")
    return count
