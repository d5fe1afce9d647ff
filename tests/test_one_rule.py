"""Each business rule is written once and every path reads it. These tests go through every path of a rule —
page, API, command line, job, document — and fail as soon as one of them decides on its own again."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from conftest import SHARED, set_month_closed
from sqlalchemy import func, select

NOV = "2026-11"


def _count_indicators(db, year: int) -> int:
    from silabu.catalog.models import Indicator

    return db.session.scalar(select(func.count()).select_from(Indicator).where(Indicator.year == year)) or 0


@pytest.fixture()
def signed_year(db, org):
    """The Perjanjian Kinerja of 2026 imported, and the LKj Sekretariat 2026 signed."""
    from silabu.core.tables import read_table
    from silabu.lkj import services as lkj
    from silabu.lkj.models import LkjStatus

    lkj.import_indicators(read_table("indicators.csv", (SHARED / "data/demo/indicators.csv").read_bytes()).rows, 2026)
    report = lkj.ensure_report(2026, "LKJ-SEK")
    report.status = LkjStatus.DITANDATANGANI
    db.session.commit()
    return _count_indicators(db, 2026)


NEW_INDICATOR = ("report,sasaran_code,sasaran,indicator_code,indicator,unit,target_year,polarity,consolidation\n"
                 "LKJ-SEK,S9,Sasaran baru,IK9.9,Indikator yang ditambahkan sesudah tanda tangan,Dokumen,5,+,sum\n")


def test_a_signed_year_takes_no_new_indicator_from_the_admin_page(client, login_as, make_user, signed_year, db):
    login_as(make_user("SEK", "admin", username="admin.uji"))
    resp = client.post("/admin/indikator", data={"year": "2026", "file": (_file(NEW_INDICATOR), "pk.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 409
    assert "ditandatangani" in resp.get_data(as_text=True)
    assert _count_indicators(db, 2026) == signed_year


def test_a_signed_year_takes_no_new_indicator_from_the_command_line(app, tmp_path, signed_year, db):
    path = tmp_path / "pk.csv"
    path.write_text(NEW_INDICATOR)
    r = app.test_cli_runner().invoke(args=["import-indicators", str(path), "--year", "2026"])
    assert r.exit_code == 1 and "ditandatangani" in r.output
    assert _count_indicators(db, 2026) == signed_year


def test_a_signed_year_takes_no_new_indicator_from_the_lkj_page(client, login_as, make_user, signed_year, db):
    login_as(make_user("RDI", "asn,rendatin"))
    resp = client.post("/lkj/2026/LKJ-SEK/indikator/impor", data={"file": (_file(NEW_INDICATOR), "pk.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code in (302, 409)
    assert _count_indicators(db, 2026) == signed_year


def test_an_unsigned_year_still_takes_indicators_from_the_command_line(app, tmp_path, db, org):
    path = tmp_path / "pk.csv"
    path.write_text(NEW_INDICATOR)
    r = app.test_cli_runner().invoke(args=["import-indicators", str(path), "--year", "2027"])
    assert r.exit_code == 0, r.output
    assert _count_indicators(db, 2027) == 1


def _file(text: str):
    import io

    return io.BytesIO(text.encode())


def _menu(html: str) -> set[str]:
    nav = html.split('<nav', 1)[1].split('</nav>', 1)[0] if '<nav' in html else ""
    return set(re.findall(r'href="([^"]+)"', nav))


@time_machine.travel("2026-11-30 09:00 +07:00", tick=False)
def test_a_head_verifier_with_only_the_asn_role_has_the_queue_in_the_menu_and_opens_it(client, login_as, make_user,
                                                                                      make_kasubag, db):
    from silabu.accounts.models import Unit

    kasubag = make_kasubag("KUL")
    head = make_user("SEK", "asn", name="Atasan Langsung")
    unit = db.session.get(Unit, kasubag.unit_id)
    unit.head_verifier_id = head.id
    db.session.commit()
    login_as(head)
    page = client.get("/beranda").get_data(as_text=True)
    assert "/verifikasi/" in _menu(page)
    assert client.get("/verifikasi/").status_code == 200


@time_machine.travel("2026-11-30 09:00 +07:00", tick=False)
def test_a_plain_asn_has_no_queue_in_the_menu_and_cannot_open_it(client, login_as, make_asn):
    login_as(make_asn())
    assert "/verifikasi/" not in _menu(client.get("/beranda").get_data(as_text=True))
    assert client.get("/verifikasi/").status_code == 403


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_home_month_page_and_queue_count_the_same_filled_days(client, login_as, make_asn, make_kasubag, make_entry):
    """Wednesday 18 November 2026: 13 working days so far. One submitted weekday, one draft weekday and one
    submitted Saturday: one filled day on every page (the draft is started, the Saturday is no working day)."""
    asn = make_asn(name="Ani Hitung")
    kasubag = make_kasubag()
    make_entry(asn, date(2026, 11, 2), status="submitted")
    make_entry(asn, date(2026, 11, 3))
    make_entry(asn, date(2026, 11, 7), status="submitted")
    login_as(asn)
    home = client.get("/beranda").get_data(as_text=True)
    month = client.get("/bulan").get_data(as_text=True)
    assert "1/13" in home
    assert "1 dari 13 hari kerja" in month
    client.post("/keluar")
    login_as(kasubag)
    queue = client.get(f"/verifikasi/KUL/{NOV}?asn={asn.id}").get_data(as_text=True)
    assert "Kepatuhan: 1 dari 13 hari kerja" in queue


@time_machine.travel("2026-12-10 09:00 +07:00", tick=False)
def test_the_rollup_the_evidence_index_and_the_lkj_count_the_same_entries(db, org, make_asn, make_entry):
    """Counted = verified in a closed unit-month. A verified entry of a unit whose month is open, and a
    submitted entry of a closed one, are in none of the figures."""
    from silabu.entries.models import Entry, EntryStatus
    from silabu.lkj import services as lkj
    from silabu.lkj.services.realisasi import indicator_data
    from silabu.pleno.rollup import evidence_items, rollup

    kul, tph = make_asn("KUL"), make_asn("TPH")
    counted = make_entry(kul, date(2026, 11, 2), quantity=2)
    open_month = make_entry(tph, date(2026, 11, 2), quantity=5)
    waiting = make_entry(kul, date(2026, 11, 3), quantity=7)
    for e, status in ((counted, EntryStatus.VERIFIED), (open_month, EntryStatus.VERIFIED),
                      (waiting, EntryStatus.SUBMITTED)):
        db.session.get(Entry, e.id).status = status
    set_month_closed(kul.unit_id, NOV)
    db.session.commit()

    r = rollup(NOV)
    assert int(r.units["activities"].sum()) == 1
    assert float(r.quantities["quantity"].sum()) == 2.0
    assert [i.entry_id for i in evidence_items(NOV)] == []  # none has evidence; the query runs on the same rule

    from silabu.catalog.models import Indicator, OutputCode
    from silabu.core.clock import utcnow
    from silabu.pleno.models import Packet, PacketStatus

    code = db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.WA.4499.EBA.962"))
    ind = Indicator(year=2026, report_code="LKJ-SEK", sasaran_code="S1", sasaran="S", code="IK1", name="I",
                    unit="Dokumen", target_year=Decimal(12), polarity="+", consolidation="sum",
                    output_code_id=code.id, position=1)
    db.session.add(ind)
    db.session.add(Packet(period=NOV, version=1, status=PacketStatus.FINAL, built_at=utcnow(), summary={}))
    db.session.commit()
    assert indicator_data([ind], 2026)[ind.id].months[10] == Decimal("2.00")
    trace = lkj.trace(ind)
    assert [e.id for e in trace.months[10].entries] == [counted.id]
