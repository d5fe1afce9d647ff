"""Rendatin's pleno pages and the `flask pleno` commands."""
from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import select

from silabu.pleno.models import Packet, PacketStatus
from tests.test_pleno_packet import NOW
from tests.test_pleno_rollup import PERIOD


@pytest.fixture()
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def assert_csp_clean(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)


def test_the_year_page_lists_the_months_with_status_and_closed_units(client, closed_month, rendatin, login_as,
                                                                      travel):
    login_as(rendatin)
    html = client.get("/pleno/?year=2026").get_data(as_text=True)
    assert "Oktober 2026" in html and "Belum ada paket" in html and "1/3" in html  # only units with staff who log count
    assert "Susun sekarang" in html and "js-pleno-build" in html and "pleno.js" in html
    assert_csp_clean(html)


def test_the_menu_link_to_pleno_index_works_without_arguments(app, client, rendatin, login_as, travel):
    login_as(rendatin)
    with app.test_request_context():
        from flask import url_for

        assert url_for("pleno.index") == "/pleno/"
    assert client.get("/pleno/").status_code == 200


def test_an_asn_cannot_open_the_pleno_pages(client, closed_month, login_as, travel):
    login_as(closed_month["ani"])
    resp = client.get("/pleno/")
    # a page the role may not open says who it is for (issue 14), in Bahasa Indonesia
    assert resp.status_code == 403 and ("Halaman ini hanya untuk Rendatin, Sekretaris, Ketua dan Inspektorat "
                                        "(baca saja); peran akun Anda tidak termasuk.") in resp.get_data(as_text=True)
    assert client.post(f"/pleno/{PERIOD}/susun").status_code == 403


def test_building_from_the_page_makes_a_version_and_lists_its_files(db, client, closed_month, rendatin, login_as,
                                                                    travel):
    login_as(rendatin)
    r = client.post(f"/pleno/{PERIOD}/susun")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/pleno/{PERIOD}")
    html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
    assert "selesai disusun" in html and "Draf v1" in html and f"rekap-{PERIOD}-v1.xlsx" in html
    # finalizing comes after presenting: the Berita Acara form is not offered yet
    assert "Tandai sudah dipaparkan" in html and "Nomor Berita Acara" not in html
    assert_csp_clean(html)
    link = re.search(r'href="([^"]+rekap-[^"]+\.xlsx)"', html).group(1)
    assert client.get(link).status_code == 200


def test_finalize_form_without_berita_acara_number_shows_the_error_with_422(db, client, closed_month, rendatin,
                                                                           login_as, travel):
    login_as(rendatin)
    client.post(f"/pleno/{PERIOD}/susun")
    client.post(f"/pleno/{PERIOD}/v1/dipaparkan")
    r = client.post(f"/pleno/{PERIOD}/v1/final", data={"berita_acara_number": "", "pleno_date": "2026-11-05",
                                                        "notes": "catatan tetap"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Nomor Berita Acara wajib diisi." in html and "catatan tetap" in html
    assert db.session.scalar(select(Packet.status)) == PacketStatus.PRESENTED


def test_present_then_finalize_from_the_page(db, client, closed_month, rendatin, login_as, travel):
    login_as(rendatin)
    client.post(f"/pleno/{PERIOD}/susun")
    assert client.post(f"/pleno/{PERIOD}/v1/dipaparkan").status_code == 302
    form = {"berita_acara_number": "12/PL.01-BA/3319/2026", "pleno_date": "2026-11-05", "notes": "Disetujui."}
    r = client.post(f"/pleno/{PERIOD}/v1/final", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "TPH" in html and "belum menutup bulan" in html and "Disetujui." in html
    assert db.session.scalar(select(Packet.status)) == PacketStatus.PRESENTED
    r = client.post(f"/pleno/{PERIOD}/v1/final", data={**form, "acknowledge_incomplete": "1",
                                                        "reason": "TPH menyusul pada pleno berikut."})
    assert r.status_code == 302
    html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
    assert "12/PL.01-BA/3319/2026" in html and "5 November 2026" in html and "Susun ulang" not in html
    assert "TPH menyusul pada pleno berikut." in html
    r = client.post(f"/pleno/{PERIOD}/susun", follow_redirects=True)
    assert "sudah final" in r.get_data(as_text=True)


def test_the_dashboard_draws_an_svg_chart_per_unit(client, closed_month, rendatin, login_as, travel):
    login_as(rendatin)
    client.post(f"/pleno/{PERIOD}/susun")
    html = client.get("/pleno/dasbor?year=2026").get_data(as_text=True)
    # one per unit with staff who log (KUL, TPH, RDI); none for the Sekretariat or the unit without staff
    assert html.count('<svg class="pleno-svg"') == 3 and "Grafik SEK" not in html and "Grafik HSD" not in html
    assert "Grafik KUL" in html and "bar-activities" in html
    # each chart has its axes (0 and the top of each scale) and its values; the activities scale is the same for all
    assert html.count("Kepatuhan (%)</text>") == 3 and html.count('class="val"') == 3 * 12 * 2
    assert len(set(re.findall(r"skala semua unit 0–([\d.]+)\)</text>", html))) == 1
    assert_csp_clean(html)


def test_ketua_may_look_but_not_build(client, closed_month, make_user, login_as, travel):
    login_as(make_user("SEK", "ketua"))
    html = client.get("/pleno/?year=2026").get_data(as_text=True)
    assert "Oktober 2026" in html and "Susun sekarang" not in html
    assert client.post(f"/pleno/{PERIOD}/susun").status_code == 403


def test_cli_pleno_build_and_status(app, db, closed_month, travel):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["pleno", "build", "--month", PERIOD])
    assert r.exit_code == 0, r.output
    assert "versi 1 tersusun" in r.output and f"rekap-{PERIOD}-v1.xlsx" in r.output
    r = runner.invoke(args=["pleno", "status", "--year", "2026"])
    assert r.exit_code == 0 and "Draf v1" in r.output
    r = runner.invoke(args=["pleno", "build", "--month", "2026-13"])
    assert r.exit_code == 1 and "Format bulan" in r.output


def test_cli_pleno_build_defaults_to_last_month(app, db, closed_month, travel):
    r = app.test_cli_runner().invoke(args=["pleno", "build"])
    assert r.exit_code == 0 and "Oktober 2026" in r.output


def test_the_dashboard_charts_use_one_scale_per_measure_and_no_compliance_for_nobody():
    from silabu.pleno import views

    months = [{"month": "2026-10", "label": "Oktober", "status": "final"},
              {"month": "2026-11", "label": "November", "status": "draft"}]
    per_unit = {"KUL": {"code": "KUL", "name": "Keuangan", "months": {
                    "2026-10": {"activities": 37, "compliance": 90.5, "asn_count": 6}}},
                "TPH": {"code": "TPH", "name": "Teknis", "months": {
                    "2026-10": {"activities": 4, "compliance": 100, "asn_count": 0}}}}
    charts = {c["code"]: c for c in views._charts(per_unit, months)}
    assert charts["KUL"]["top"] == charts["TPH"]["top"] == 50  # one activities scale for every unit (37 -> 50)
    assert charts["TPH"]["bars"][0]["compliance"] is None  # nobody counted: "–", not 100 %
    assert charts["TPH"]["compliance"] is None and charts["KUL"]["compliance"] == 90.5
    assert charts["KUL"]["bars"][0]["a_height"] == round(37 / 50 * views.CHART_H, 1)
    assert charts["TPH"]["bars"][0]["a_height"] == round(4 / 50 * views.CHART_H, 1)
