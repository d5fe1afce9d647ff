"""Issue 14 on a phone (390x844), with axe-core on every page it changes: the Kasubag's queue (counts in place,
"selesai", one verify-all button, the first entry on the first screen, a verified but open month offers its
close and deadline), a unit's queue refused with the reason (403) and an unknown unit (404).

The entries are dated two months back (closable, and no other browser test uses that month of the TPH unit)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from .conftest import Account, assert_fits_phone, satker_today, screenshot, working_days

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips (or fails, when required) the whole folder
    expect = None

pytestmark = pytest.mark.e2e

CODE_TPH = "076.01.DL.3363.BCA.001"
KASUBAG_TPH = Account("197009011999042009", "Nur Nugroho", "TPH")
AYU = Account("197502141999041011", "Ayu Firmansyah", "TPH")
CITRA = Account("197511022003022015", "Citra Saputra", "TPH")
INDAH = Account("197212082000032014", "Indah Kurniawan", "TPH")


def no_serious_violation(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    bad = [f"{v['id']} ({v['impact']}) {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
           for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}:\n" + "\n".join(bad)


def two_months_back() -> tuple[str, list]:
    first = satker_today().replace(day=1)
    prev = (first - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}", working_days(prev.year, prev.month)


def log(api_ctx, day, activity: str, *, submit: bool = True) -> dict:
    resp = api_ctx.post("/api/v1/entries", data={"entry_date": day.isoformat(), "output_code": CODE_TPH,
                                                 "activity": activity, "output": "Notula", "quantity": 1,
                                                 "unit": "Dokumen"})
    assert resp.status == 201, resp.text()
    entry = resp.json()
    if submit:
        sent = api_ctx.post(f"/api/v1/entries/{entry['id']}/submit")
        assert sent.status == 200, sent.text()
    return entry


def staff_state(page, name: str):
    return page.locator(".v-asn", has_text=name).locator("[data-asn-state]")


def test_kasubag_queue_on_a_phone_updates_in_place_and_ends_with_the_close(phone, api):
    period, days = two_months_back()
    ayu, citra, indah = api(AYU), api(CITRA), api(INDAH)
    log(ayu, days[1], "Menyusun daftar pemilih tambahan")
    log(ayu, days[2], "Rekap data pemilih (belum selesai)", submit=False)  # a draft Ayu never hands in
    log(citra, days[1], "Rapat koordinasi pemutakhiran data")
    log(citra, days[3], "Mengirim undangan rapat pleno DPT")
    log(indah, days[4], "Mendata pemilih disabilitas")

    p = phone()
    p.login(KASUBAG_TPH)
    page = p.page
    p.goto(f"/verifikasi/TPH/{period}")
    expect(page.get_by_role("heading", name=AYU.name)).to_be_visible()
    assert_fits_phone(page)

    # The first entry is on the first screen, above the bottom bar.
    first = page.locator("article.ventry").first
    box = first.bounding_box()
    bar = page.locator(".bottomnav").bounding_box()
    screen_bottom = bar["y"] if bar else 844
    assert box["y"] + 96 <= screen_bottom, f"first entry starts at {box['y']} px, the screen ends at {screen_bottom}"
    # "Verifikasi semua (n) lalu lanjut ke ..." is one button with one label, on one line box per line.
    button = page.locator(".v-verify-all button")
    expect(button).to_have_text(f"Verifikasi semua (1) lalu lanjut ke {CITRA.name}")
    assert button.evaluate("b => b.childNodes.length === 1 && b.firstChild.classList.contains('v-btn-label')")
    screenshot(page, "14-queue-first-screen")
    no_serious_violation(page)

    month_waiting = page.locator("[data-unit-counts] [data-count=submitted]")
    expect(month_waiting).to_have_text("4")
    expect(staff_state(page, AYU.name)).to_have_text("1 menunggu")

    # Verify in place: the month's count, the staff list and "Hanya menunggu (n)" follow without a reload.
    first.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(first).to_have_attribute("data-status", "verified")
    expect(month_waiting).to_have_text("3")
    expect(page.get_by_role("link", name="Hanya menunggu (0)")).to_be_visible()
    expect(staff_state(page, AYU.name)).to_have_text("1 belum diajukan")  # not "selesai": a draft is left
    screenshot(page, "14-queue-after-verify")

    # Citra: one verified, one returned in place; Indah: verified, so "selesai".
    page.locator(".v-asn", has_text=CITRA.name).click()
    expect(page.get_by_role("heading", name=CITRA.name)).to_be_visible()
    ids = page.locator("article.ventry[data-status=submitted]").evaluate_all("els => els.map(e => e.id)")
    ok, back = page.locator(f"#{ids[0]}"), page.locator(f"#{ids[1]}")
    ok.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(ok).to_have_attribute("data-status", "verified")
    back.locator("summary", has_text="Kembalikan").click()
    back.get_by_label("Catatan untuk ASN").fill("Lampirkan daftar hadir rapat.")
    back.get_by_role("button", name="Kembalikan dengan catatan").click()
    expect(back).to_have_attribute("data-status", "returned")
    expect(staff_state(page, CITRA.name)).to_have_text("1 belum diajukan")
    page.locator(".v-asn", has_text=INDAH.name).click()
    expect(page.get_by_role("heading", name=INDAH.name)).to_be_visible()
    last = page.locator("#" + page.locator("article.ventry[data-status=submitted]").first.get_attribute("id"))
    last.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(last).to_have_attribute("data-status", "verified")
    expect(staff_state(page, INDAH.name)).to_have_text("selesai")
    # Nothing waits any more: the close and its deadline appear in place.
    expect(page.locator("[data-unit-counts] [data-count=submitted]")).to_have_text("0")
    close = page.locator("form.v-close")
    expect(close).to_be_visible()
    expect(close).to_contain_text("Tutup bulan paling lambat")
    expect(page.locator(".v-close-wait")).to_be_hidden()
    screenshot(page, "14-queue-ready-to-close")
    no_serious_violation(page)

    # The month list says what is left: close it, by its deadline, not a green "Tidak ada antrean".
    p.goto(f"/verifikasi/?month={period}")
    unit = page.locator(".v-unit", has_text="Teknis")
    expect(unit.get_by_text("Siap ditutup")).to_be_visible()
    expect(unit.get_by_text(re.compile("Batas penutupan:"))).to_be_visible()
    expect(unit.get_by_role("button", name=re.compile(r"^Tutup bulan"))).to_be_visible()
    expect(page.get_by_text("Tidak ada antrean", exact=True)).to_have_count(0)
    assert_fits_phone(page)
    screenshot(page, "14-verification-index-ready")
    no_serious_violation(page)


def test_another_units_queue_says_why_it_is_refused_and_an_unknown_unit_is_not_found(phone):
    period, _ = two_months_back()
    p = phone()
    p.login(KASUBAG_TPH)
    resp = p.goto(f"/verifikasi/KUL/{period}")
    assert resp.status == 403
    expect(p.page.get_by_text(re.compile(r"Antrean verifikasi Sub Bagian Keuangan.* hanya dapat dibuka oleh "
                                         r"Kepala Sub Bagian unit itu"))).to_be_visible()
    assert_fits_phone(p.page)
    screenshot(p.page, "14-forbidden-other-unit")
    no_serious_violation(p.page)
    resp = p.goto(f"/verifikasi/XYZ/{period}")
    assert resp.status == 404
    expect(p.page.get_by_text("Unit tidak ditemukan.")).to_be_visible()


SEKRETARIS = Account("199411232021012001", "Sri Lestari", "SEK")
RENDATIN_ACC = Account("198102142011012017", "Eko Maharani", "RDI")


def cells_on_screen(page, selector: str) -> None:
    """Every cell of ``selector`` lies inside the phone's width: nothing is hidden off to the side."""
    width = page.evaluate("document.documentElement.clientWidth")
    boxes = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.left, r.right]; })")
    assert boxes, f"no {selector} on {page.url}"
    off = [b for b in boxes if b[1] < -1 or b[2] > width + 1]
    assert not off, f"{selector} off the {width} px screen on {page.url}: {off[:3]}"


def test_wide_tables_are_cards_on_a_phone_and_the_charts_have_axes(phone):
    period, _ = two_months_back()
    year = period[:4]
    p = phone()
    p.login(SEKRETARIS)
    page = p.page
    p.goto(f"/verifikasi/pantauan?month={period}")
    for label in ("Status", "Menunggu", "Terverifikasi", "Kemajuan"):
        cells_on_screen(page, f"table.v-oversight td[data-label='{label}']")
    assert_fits_phone(page)
    screenshot(page, "14-pantauan-cards")
    no_serious_violation(page)

    p.goto(f"/lkj/{year}/LKJ-SEK/capaian")
    if page.locator("table.lkj-capaian").count():
        for label in ("Target", "Realisasi", "Capaian (%)", "Kategori"):
            cells_on_screen(page, f"table.lkj-capaian td[data-label='{label}']")
        expect(page.locator(".scroll-cue")).to_be_visible()  # the monthly trend scrolls, and says so
    assert_fits_phone(page)
    screenshot(page, "14-tabel-capaian-cards")
    no_serious_violation(page)

    r = phone()
    r.login(RENDATIN_ACC)
    rpage = r.page
    r.goto(f"/pleno/{period}")
    rpage.get_by_role("button", name=re.compile("^Susun")).first.click()
    rpage.wait_for_url("**/tugas/*")  # the background build's page, until it is done
    expect(rpage.get_by_role("link", name="Buka paket pleno")).to_be_visible(timeout=60_000)
    no_serious_violation(rpage)
    rpage.get_by_role("link", name="Buka paket pleno").click()
    expect(rpage.locator("table.pleno-units")).to_be_visible(timeout=60_000)
    for label in ("Bulan", "Kegiatan", "Kepatuhan", "Belum rekap"):
        cells_on_screen(rpage, f"table.pleno-units td[data-label='{label}']")
    assert_fits_phone(rpage)
    screenshot(rpage, "14-pleno-per-unit-cards")
    no_serious_violation(rpage)

    r.goto(f"/pleno/dasbor?year={year}")
    expect(rpage.locator("svg.pleno-svg").first).to_be_visible()
    assert rpage.locator("svg.pleno-svg text.tick").count() >= 4  # two axes per chart, 0 and the top of each
    tops = set(rpage.locator("svg.pleno-svg text.ttl").all_text_contents()[1::2])
    assert len(tops) == 1, f"the activities scale differs between units: {tops}"
    assert_fits_phone(rpage)
    screenshot(rpage, "14-pleno-dashboard")
    no_serious_violation(rpage)


@pytest.mark.parametrize("who", ["sekretaris", "rendatin", "ketua", "komisioner"])
def test_each_roles_home_says_what_waits_for_them(phone, who):
    account = {"sekretaris": SEKRETARIS, "rendatin": RENDATIN_ACC, "ketua": Account("ketua", "Ahmad Fauzi", "SEK"),
               "komisioner": Account("komisioner", "Dewi Kartika Sari", "SEK")}[who]
    p = phone()
    p.login(account)
    page = p.page
    lkj_card = page.locator("section.role-card", has=page.get_by_role("heading", name="Laporan Kinerja"))
    expect(lkj_card).to_be_visible()
    expect(lkj_card.locator("li").first).to_have_text(re.compile(r"menunggu Anda"))
    if who in ("sekretaris", "rendatin"):
        expect(page.get_by_text(re.compile(r"Paket pleno \w+ \d{4}:"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"(Unit yang belum menutup|Semua unit dengan entri sudah menutup)"))) \
            .to_be_visible()
    if who == "sekretaris":
        expect(page.get_by_role("heading", name="Unit terlambat")).to_be_visible()
    assert_fits_phone(page)
    screenshot(page, f"14-home-{who}")
    no_serious_violation(page)
