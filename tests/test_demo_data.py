"""`flask demo-data`: the demo organisation and three months of realistic work, safe to run twice."""
from __future__ import annotations

import time_machine
from sqlalchemy import func, select

from silabu.accounts.models import Satker
from silabu.accounts.tenancy import satker_scope


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_demo_data_fills_every_page_and_can_run_twice(app, db):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["demo-data"])
    assert r.exit_code == 0, r.output
    _the_province_and_its_kabupaten(db)
    kudus = db.session.scalar(select(Satker).where(Satker.code == "3319"))
    with satker_scope(kudus):
        _kudus(app, db, runner)


def _kudus(app, db, runner):
    """Kudus, the demo's satker (the installation's first), as a one-satker demo would show it."""
    from silabu.accounts.models import User
    from silabu.entries.models import Entry, EntryStatus, Evidence, UnitMonth
    from silabu.pleno.models import Packet, PacketStatus

    assert db.session.scalar(select(func.count()).select_from(User)) == 30
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None and admin.has_role("admin") and not admin.must_change_password
    # the LKj KPU has its own reviewers in the demo: the Komisioner initials, the Ketua signs
    for login, role in (("ketua", "ketua"), ("komisioner", "komisioner")):
        user = db.session.scalar(select(User).where(User.username == login))
        assert user is not None and user.has_role(role) and not user.has_role("asn"), login
    by_period = dict(db.session.execute(select(Entry.period, func.count()).group_by(Entry.period)).all())
    assert set(by_period) == {"2026-09", "2026-10", "2026-11"}
    statuses = {s for (s,) in db.session.execute(select(Entry.status).where(Entry.period == "2026-11").distinct())}
    assert {EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.RETURNED} <= statuses
    assert db.session.scalar(select(func.count()).select_from(Entry).where(
        Entry.period == "2026-10", Entry.status == EntryStatus.SUBMITTED)) == 0, "last month can be closed"
    assert db.session.scalar(select(func.count()).select_from(UnitMonth).where(
        UnitMonth.period == "2026-10", UnitMonth.is_closed.is_(True))) == 0, "last month stays open"
    assert db.session.scalar(select(Packet.status).where(Packet.period == "2026-09")) == PacketStatus.FINAL
    assert db.session.scalar(select(func.count()).select_from(Evidence)) > 0
    total = sum(by_period.values())
    _the_final_month_reads_as_a_real_one(db)

    r = runner.invoke(args=["demo-data"])
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 30
    assert db.session.scalar(select(func.count()).select_from(Entry)) == total


def _the_province_and_its_kabupaten(db):
    """KPU Provinsi Jawa Tengah over Kudus, Jepara and Pati: the province's pages have children to show."""
    from silabu.accounts.models import User
    from silabu.entries.models import Entry, EntryStatus, UnitMonth
    from silabu.pleno.models import Packet, PacketStatus

    tree = {s.code: (s.level, s.parent.code if s.parent else None) for s in db.session.scalars(select(Satker))}
    assert tree == {"33": ("provinsi", None), "3319": ("kabkota", "33"), "3320": ("kabkota", "33"),
                    "3318": ("kabkota", "33")}
    assert min((s.id, s.code) for s in db.session.scalars(select(Satker)))[1] == "3319"  # still the first
    for code in ("33", "3320", "3318"):
        satker = db.session.scalar(select(Satker).where(Satker.code == code))
        with satker_scope(satker):
            people = list(db.session.scalars(select(User)))
            assert people and all(u.unit.satker_id == satker.id for u in people)
            sept = dict(db.session.execute(select(Entry.status, func.count()).where(Entry.period == "2026-09")
                                           .group_by(Entry.status)).all())
            packet = db.session.scalar(select(Packet).where(Packet.period == "2026-09"))
            closed = db.session.scalar(select(func.count()).select_from(UnitMonth).where(
                UnitMonth.period == "2026-09", UnitMonth.is_closed.is_(True)))
        if code == "33":
            assert any(u.has_role("inspektorat") for u in people) and not sept
        elif code == "3320":  # went through its pleno
            assert packet.status == PacketStatus.FINAL and closed == 2 and set(sept) == {EntryStatus.VERIFIED}
        else:  # Pati's Kasubag is still verifying
            assert packet is None and closed == 0 and sept[EntryStatus.SUBMITTED] > 0


def _the_final_month_reads_as_a_real_one(db):
    """September, the demo's final packet: what a pleno sees is plausible for a kabupaten secretariat."""
    from silabu.catalog.calendar import MonthCalendar
    from silabu.entries.models import Entry
    from silabu.pleno.models import Packet

    s = db.session.scalar(select(Packet.summary).where(Packet.period == "2026-09"))
    per_day = s["activities"] / s["asn_count"] / len(MonthCalendar(2026, 9).working_days)
    assert 1.2 <= per_day <= 2.0, per_day  # one or two pieces of work a day (799 entries, 26 ASN, 22 days)
    assert 90 <= s["compliance_avg"] < 100  # a few days of leave
    # A report is one Laporan: the month's reports (kinerja, realisasi anggaran, SKP), not hundreds
    assert s["quantity_by_unit"]["Laporan"] == 3
    assert db.session.scalar(select(func.max(Entry.quantity)).where(Entry.unit_of_measure == "Laporan")) == 1
    assert db.session.scalar(select(func.count()).select_from(Entry).where(
        Entry.period == "2026-09", Entry.activity.like("Menyusun laporan kinerja bulan%"))) == 1
    # The PK view: the month's realisasi beside the Rencana Aksi target, in each indicator's own unit
    pk = {i["code"]: i for i in s["pk_indicators"]}
    for code, target, realisasi in (("IK1.1", 1, 1), ("IK4.1", 2, 2), ("IK4.2", 5, 4), ("IK5.1", 1, 1),
                                    ("IK3.1", 5, 4)):  # publikasi and JDIH: an honest miss
        assert (pk[code]["target_month"], pk[code]["realisasi_month"]) == (target, realisasi), code
    assert pk["IK4.1"]["target_to_date"] == 18 and pk["IK4.1"]["realisasi_to_date"] == 2  # only September is final
