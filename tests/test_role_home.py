"""Issue 14, point 6: each role's home and menu. An account without the asn role never gets the daily-log home or
form (a 403 that says why); the home says what each role owes today; every page is in reach from the phone's bar."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import lxml.html
import pytest
import time_machine

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)  # November's verification window has closed


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def page(resp):
    return lxml.html.fromstring(resp.get_data(as_text=True))


def bar(doc) -> list[str]:
    """Every place the phone's bottom bar reaches, the ones behind "Lainnya" included."""
    return [a.text_content().strip() for a in doc.xpath("//nav[@class='bottomnav']//a")]


def test_an_account_without_asn_gets_a_role_home_and_no_daily_log(make_user, login_as):
    admin = make_user("SEK", "admin", name="Admin Sistem")
    web = login_as(admin)
    doc = page(web.get("/beranda"))
    text = doc.text_content()
    assert "Administrasi" in text and "Catat kegiatan hari ini" not in text and "Hari kerja yang belum diisi" not in text
    assert "Catat" not in bar(doc) and "Bulan ini" not in bar(doc)
    refused = web.get("/entri/baru")
    assert refused.status_code == 403 and "tidak memiliki peran ASN" in refused.get_data(as_text=True)
    assert web.post("/entri/baru", data={}).status_code == 403
    assert web.get("/entri/salin-kemarin").status_code == 403


def test_the_sekretaris_reaches_pleno_and_lkj_from_the_bar_and_sees_overdue_units(make_user, make_asn, make_entry,
                                                                                 login_as):
    sekretaris = make_user("SEK", "sekretaris", name="Sri Lestari")
    asn = make_asn("KUL")
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=WIB), tick=False):
        make_entry(asn, date(2026, 11, 18), status="submitted")
    doc = page(login_as(sekretaris).get("/beranda"))
    places = bar(doc)
    assert "Pleno" in places and "LKj" in places and "Pantauan" in places
    text = doc.text_content()
    assert "Unit terlambat" in text and "November 2026" in text and "1 entri menunggu" in text
    assert "Paket pleno November 2026" in text
    assert "Tidak ada entri yang menunggu verifikasi Anda." in text  # the Kasubag verifies ordinary staff


def test_a_kasubag_home_shows_what_waits_and_the_window_deadline(make_kasubag, make_asn, make_entry, login_as):
    kasubag = make_kasubag("KUL")
    asn = make_asn("KUL")
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=WIB), tick=False):
        make_entry(asn, date(2026, 11, 18), status="submitted")
    doc = page(login_as(kasubag).get("/beranda"))
    text = doc.text_content()
    assert "1 entri November 2026 menunggu verifikasi Anda." in text
    assert "Batas verifikasi November 2026:" in text
    assert "Catat kegiatan hari ini" in text  # a Kasubag who also logs keeps the daily log
    places = bar(doc)
    assert {"Beranda", "Catat", "Bulan ini", "Verifikasi", "LKj"} <= set(places)  # six places: one behind Lainnya


def test_a_plain_asn_home_has_no_role_cards(make_asn, login_as):
    doc = page(login_as(make_asn()).get("/beranda"))
    assert not doc.xpath("//section[contains(@class, 'role-card')]")
    assert bar(doc) == ["Beranda", "Catat", "Bulan ini"]


def test_ketua_and_komisioner_see_the_lkj_step_that_waits_for_their_review(make_user, login_as, db):
    from silabu.lkj import services as lkj
    from silabu.lkj.models import LkjStatus

    ketua = make_user("SEK", "ketua", name="Ahmad Fauzi")
    komisioner = make_user("SEK", "komisioner", name="Dewi Kartika Sari",
                           division="Divisi Perencanaan, Data dan Informasi")
    other_division = make_user("SEK", "komisioner", name="Rudi Hartono", division="Divisi Teknis Penyelenggaraan")
    report = lkj.ensure_report(2026, "LKJ-KPU")
    report.status = LkjStatus.KOREKSI
    db.session.commit()
    title = lkj.report_spec("LKJ-KPU").title
    web = login_as(komisioner)
    text = page(web.get("/beranda")).text_content()
    assert f"{title} 2026 (" in text and "menunggu Anda: Koreksi selesai, lanjut ke pleno." in text
    web.post("/keluar")
    # the komisioner of another division does not correct the LKj KPU: nothing waits for him
    text = page(login_as(other_division).get("/beranda")).text_content()
    assert "Tidak ada tahap LKj yang menunggu Anda." in text
    web.post("/keluar")
    text = page(login_as(ketua).get("/beranda")).text_content()
    assert "Tidak ada tahap LKj yang menunggu Anda." in text  # the Komisioner corrects; the Ketua signs later
    report.status = LkjStatus.TANDA_TANGAN
    db.session.commit()
    text = page(login_as(ketua).get("/beranda")).text_content()
    assert f"{title} 2026 (" in text and "menunggu Anda: Tandatangani." in text


def test_rendatin_sees_the_units_still_open(rendatin, make_asn, make_entry, login_as):
    asn = make_asn("KUL")
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=WIB), tick=False):
        make_entry(asn, date(2026, 11, 18), status="submitted")
    text = page(login_as(rendatin).get("/beranda")).text_content()
    assert "Unit yang belum menutup November 2026:" in text and asn.unit.name in text
