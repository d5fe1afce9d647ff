"""The entry page in the field: without JavaScript, within the Content-Security-Policy, light on a slow
connection, installable as a PWA, and keeping an entry typed offline until the connection returns."""
from __future__ import annotations

import json
import re
import time

import pytest

from benchmarks.field_conditions import login_context, measure, wait_for_controller

from .conftest import ASN_HSD, ASN_HSD_2, ASN_TPH, DEMO_PASSWORD, assert_fits_phone, previous_month, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips (or fails, when required) the whole folder
    expect = None

pytestmark = pytest.mark.e2e

CODE_TPH = "076.01.DL.3363.BCA.001"   # Sosialisasi pendidikan pemilih di sekolah
CODE_HSD = "076.01.WA.4499.EBC.954"   # Mengelola administrasi kepegawaian
# What the entry page may cost a phone on its first visit (headers + encoded bodies, before the service
# worker's own install requests) and on a repeat visit with the service worker in control.
FIRST_VISIT_BUDGET = 80 * 1024
REPEAT_VISIT_BUDGET = 10 * 1024


def entries_of(api_ctx, period: str) -> list[dict]:
    resp = api_ctx.get(f"/api/v1/entries?month={period}")
    assert resp.status == 200, resp.text()
    return resp.json()["items"]


def test_entry_form_works_without_javascript(phone, api, photo):
    """The plain multipart form: an entry with a photo saved and submitted with JavaScript off."""
    period, days = previous_month()
    day = days[2]
    p = phone(javascript=False)
    p.login(ASN_HSD)
    page = p.page
    p.goto(f"/entri/baru?tanggal={day.isoformat()}")
    expect(page.locator("#code-filter")).to_be_hidden()  # the JavaScript-only tools stay hidden
    form = page.locator("#entry-form")
    expect(form.locator("input[name=entry_date]")).to_have_value(day.isoformat())
    form.locator("select[name=output_code]").select_option(CODE_HSD)
    form.get_by_label("Uraian kegiatan").fill("Memutakhirkan data kepegawaian tanpa JavaScript")
    form.get_by_label("Hasil / output").fill("Rekap kepegawaian")
    form.get_by_label("Jumlah").fill("1,5")
    form.locator("input[name=files]").set_input_files(str(photo))
    assert_fits_phone(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan & ajukan").click()
    assert page.url.endswith("/beranda"), page.url
    expect(page.get_by_text(re.compile(r"Entri tanggal .+ diajukan ke verifikator\."))).to_be_visible()

    items = [e for e in entries_of(api(ASN_HSD), period) if e["activity"].endswith("tanpa JavaScript")]
    assert len(items) == 1
    entry = items[0]
    assert entry["status"] == "submitted"
    assert entry["quantity"] == 1.5
    assert [ev["kind"] for ev in entry["evidence"]] == ["photo"]
    assert entry["evidence"][0]["original_name"] == photo.name


def test_entry_page_makes_no_console_errors_or_csp_violations(phone):
    """With JavaScript on, the ASN's pages run their scripts without breaking the Content-Security-Policy."""
    p = phone()
    p.login(ASN_HSD_2)
    page = p.page
    p.goto("/entri/baru")
    expect(page.locator("#code-filter")).to_be_visible()  # entry-form.js ran
    page.locator("#code-filter").fill("SDM")
    expect(page.locator("#code-count")).to_contain_text("kode cocok")
    page.get_by_label("Uraian kegiatan").fill("Cek halaman")
    for path in ("/beranda", "/bulan", "/entri", "/entri/baru"):
        p.goto(path)
        page.wait_for_load_state("load")
        assert_fits_phone(page)
    page.wait_for_timeout(500)
    assert p.watch.csp_problems() == [], p.watch.csp_problems()
    assert p.watch.page_errors == [], p.watch.page_errors
    assert p.watch.console_errors == [], p.watch.console_errors


def test_entry_page_is_light_on_a_slow_connection(browser, live_server):
    """Bytes on the network for the entry page: a cold first visit, then a repeat under the service worker."""
    from .conftest import PHONE

    ctx = browser.new_context(**PHONE)
    try:
        login_context(ctx, live_server.url, ASN_TPH.login, DEMO_PASSWORD)
        page = ctx.new_page()
        first = measure(ctx, page, live_server.url + "/entri/baru")
        assert wait_for_controller(page)
        repeat = measure(ctx, page, live_server.url + "/entri/baru")
    finally:
        ctx.close()
    print(f"\nentry page: first visit {first.page_bytes / 1024:.1f} KB in {first.page_requests} requests "
          f"(+ service worker install {first.sw_bytes / 1024:.1f} KB); repeat visit {repeat.page_bytes} B from the "
          f"network, {repeat.from_sw} answered by the service worker, {repeat.sw_bytes / 1024:.1f} KB fetched by it")
    assert first.page_bytes < FIRST_VISIT_BUDGET, first
    assert repeat.page_bytes == 0, repeat  # every request of the page is answered by the service worker
    assert repeat.network_bytes < REPEAT_VISIT_BUDGET, repeat


def test_entry_page_installs_as_a_pwa(phone):
    """Manifest linked and served; the service worker controls the page after a reload and opens it offline."""
    p = phone()
    p.login(ASN_TPH)
    page = p.page
    href = page.locator("link[rel=manifest]").get_attribute("href")
    resp = p.context.request.get(p.base_url + href)
    assert resp.ok
    manifest = json.loads(resp.text())
    assert manifest["display"] == "standalone" and manifest["start_url"] and manifest["icons"]
    p.goto("/entri/baru")
    assert wait_for_controller(page), "no service worker controls the entry page after a reload"
    p.context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_role("heading", name="Catat kegiatan")).to_be_visible()
        expect(page.locator("#entry-form")).to_be_visible()
    finally:
        p.context.set_offline(False)


def test_entry_typed_offline_is_kept_on_the_device_and_arrives_once(phone, api, photo):
    """Offline: the form says the entry is kept on the device; online again: it reaches the server exactly once."""
    period, days = previous_month()
    day = days[3]
    activity = "Sosialisasi pendidikan pemilih di SMA 1 Kudus (luring)"
    p = phone()
    p.login(ASN_TPH)
    page = p.page
    p.goto("/entri/baru")
    assert wait_for_controller(page)
    tph = api(ASN_TPH)
    before = [e for e in entries_of(tph, period) if e["activity"] == activity]
    assert before == []

    p.context.set_offline(True)
    page.reload()  # the page shell now comes from the service worker's cache
    form = page.locator("#entry-form")
    form.locator("input[name=entry_date]").fill(day.isoformat())
    form.locator("select[name=output_code]").select_option(CODE_TPH)
    form.get_by_label("Uraian kegiatan").fill(activity)
    form.get_by_label("Hasil / output").fill("Laporan sosialisasi")
    form.get_by_label("Jumlah").fill("1")
    form.locator("input[name=files]").set_input_files(str(photo))
    page.get_by_role("button", name="Simpan & ajukan").click()
    expect(page.locator("#form-status")).to_contain_text("Tersimpan di perangkat, akan dikirim saat online.")
    expect(page.locator("#outbox")).to_contain_text("1 entri tersimpan di perangkat")
    screenshot(page, "08-entry-kept-offline")
    assert [e for e in entries_of(tph, period) if e["activity"] == activity] == []

    p.context.set_offline(False)
    expect(page.get_by_text("1 entri dari perangkat telah terkirim.")).to_be_visible()
    expect(page.locator("#outbox")).to_have_count(0)

    arrived = [e for e in entries_of(tph, period) if e["activity"] == activity]
    assert len(arrived) == 1, arrived
    entry = arrived[0]
    assert entry["entry_date"] == day.isoformat()
    assert entry["status"] == "submitted"
    assert entry["client_uuid"]
    assert [ev["kind"] for ev in entry["evidence"]] == ["photo"]

    # Another page load flushes the outbox again: nothing is left to send, nothing is duplicated.
    p.goto("/beranda")
    page.wait_for_load_state("load")
    time.sleep(1)
    assert len([e for e in entries_of(tph, period) if e["activity"] == activity]) == 1
    assert p.watch.csp_problems() == [] and p.watch.page_errors == [], (p.watch.csp_problems(), p.watch.page_errors)
