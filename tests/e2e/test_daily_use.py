"""Issue 14 on a phone: Back after saving does not save again, a possible duplicate asks first, an entry can be
withdrawn, with and without JavaScript."""
from __future__ import annotations

import re

import pytest

from .conftest import ASN_HSD, ASN_TPH, previous_month, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips (or fails, when required) the whole folder
    expect = None

pytestmark = pytest.mark.e2e

CODE_TPH = "076.01.DL.3363.BCA.001"
CODE_HSD = "076.01.WA.4499.EBC.954"


def entries_like(api_ctx, period: str, activity: str) -> list[dict]:
    resp = api_ctx.get(f"/api/v1/entries?month={period}")
    assert resp.status == 200, resp.text()
    return [e for e in resp.json()["items"] if e["activity"] == activity]


def fill(page, day, code: str, activity: str) -> None:
    form = page.locator("#entry-form")
    form.locator("input[name=entry_date]").fill(day.isoformat())
    form.locator("select[name=output_code]").select_option(code)
    form.get_by_label("Uraian kegiatan").fill(activity)
    form.get_by_label("Hasil / output").fill("Notula")
    form.get_by_label("Jumlah").fill("1")


def try_send_again(page) -> None:
    """Press "Simpan & ajukan" on whatever Back showed; a blank form refuses in the browser (required fields)."""
    page.get_by_role("button", name="Simpan & ajukan").click()
    page.wait_for_timeout(1500)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_back_after_save_and_submit_does_not_save_again_and_a_duplicate_asks(phone, api, javascript):
    period, days = previous_month()
    day = days[3 if javascript else 4]
    account, code = (ASN_TPH, CODE_TPH) if javascript else (ASN_HSD, CODE_HSD)
    activity = f"Rapat koordinasi duplikat {'js' if javascript else 'tanpa js'}"
    p = phone(javascript=javascript)
    p.login(account)
    page = p.page
    p.goto("/entri/baru")
    fill(page, day, code, activity)
    page.get_by_role("button", name="Simpan & ajukan").click()
    page.wait_for_url("**/beranda")
    page.go_back()
    expect(page.locator("#entry-form")).to_be_visible()
    screenshot(page, f"14-back-after-save-{'js' if javascript else 'nojs'}")
    if javascript:  # the page knows it was saved: a new, empty form
        expect(page.locator("#form-status")).to_contain_text("sudah tersimpan")
        expect(page.get_by_label("Uraian kegiatan")).to_have_value("")
    try_send_again(page)
    asn_api = api(account)
    assert len(entries_like(asn_api, period, activity)) == 1

    # Typed again on a fresh form: the server asks before saving a second one.
    p.goto("/entri/baru")
    fill(page, day, code, activity)
    page.get_by_role("button", name="Simpan draf").click()
    box = page.locator("#duplicate")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Sudah ada entri tanggal")
    screenshot(page, f"14-duplicate-question-{'js' if javascript else 'nojs'}")
    assert len(entries_like(asn_api, period, activity)) == 1
    if javascript:
        box.get_by_role("button", name="Ya, ini kegiatan lain: simpan juga").click()
    else:
        box.get_by_label("Ya, ini kegiatan lain: simpan juga").check()
        page.get_by_role("button", name="Simpan draf").click()
    page.wait_for_url(re.compile(r"/entri/\d+$"))
    assert len(entries_like(asn_api, period, activity)) == 2


def test_evidence_area_previews_removable_files_and_warns_of_the_photo_date_before_submitting(phone, api):
    from .conftest import UPLOADS_GOOD, assert_fits_phone

    period, days = previous_month()
    exif_day = "2026-11-05"  # phone_orient3_nogps.jpg was taken then
    other_day = next(d for d in days if d.isoformat() != exif_day)
    activity = "Dokumentasi kegiatan dengan foto bertanggal"
    p = phone()
    p.login(ASN_TPH)
    page = p.page
    p.goto("/entri/baru")
    fill(page, other_day, CODE_TPH, activity)
    page.locator("#f-camera").set_input_files(str(UPLOADS_GOOD / "phone_orient3_nogps.jpg"))
    page.locator("#f-files").set_input_files(str(UPLOADS_GOOD / "nota_dinas.pdf"))
    chosen = page.locator("#chosen-list li")
    expect(chosen).to_have_count(2)
    expect(chosen.first.locator("img")).to_be_visible()
    expect(page.get_by_role("button", name="Batal unggah nota_dinas.pdf")).to_be_visible()
    assert_fits_phone(page)
    page.get_by_role("button", name="Batal unggah nota_dinas.pdf").click()
    expect(chosen).to_have_count(1)
    warning = page.locator("#photo-date-warning")
    if exif_day[:7] == period:
        expect(warning).to_contain_text("05/11/2026")
    expect(warning).to_contain_text("bukan pada tanggal entri")
    page.locator("#evidence").scroll_into_view_if_needed()
    screenshot(page, "14-evidence-previews-date-warning")
    page.get_by_role("button", name="Simpan & ajukan").click()
    expect(page.locator("#form-status")).to_contain_text("Tanggal foto berbeda")
    assert page.url.endswith("/entri/baru") and not entries_like(api(ASN_TPH), period, activity)
    page.get_by_role("button", name="Simpan & ajukan").click()  # a second tap submits anyway
    expect(page.locator("#form-status")).to_contain_text("Entri diajukan ke verifikator.")
    assert_fits_phone(page)  # the upload rows stay inside the screen
    expect(page.get_by_role("button", name="Simpan & ajukan")).to_be_disabled()  # no second, contradictory save
    page.get_by_role("link", name="Lanjutkan").click()
    page.wait_for_url("**/beranda")
    saved = entries_like(api(ASN_TPH), period, activity)
    assert len(saved) == 1 and saved[0]["status"] == "submitted" and len(saved[0]["evidence"]) == 1


def test_edit_page_keeps_typed_changes_while_a_photo_is_replaced(phone, api):
    from .conftest import UPLOADS_GOOD, assert_fits_phone

    period, days = previous_month()
    asn_api = api(ASN_HSD)
    created = asn_api.post("/api/v1/entries", data={
        "entry_date": days[6].isoformat(), "output_code": CODE_HSD, "activity": "Foto yang akan diganti",
        "output": "Rekap", "quantity": 1, "unit": "Dokumen"})
    assert created.status == 201, created.text()
    entry_id = created.json()["id"]
    up = asn_api.post(f"/api/v1/entries/{entry_id}/evidence", multipart={"file": {
        "name": "foto_lama.jpg", "mimeType": "image/jpeg",
        "buffer": (UPLOADS_GOOD / "browser_compressed_1600.jpg").read_bytes()}})
    assert up.status == 201, up.text()
    p = phone()
    p.login(ASN_HSD)
    page = p.page
    p.goto(f"/entri/{entry_id}/ubah")
    page.get_by_label("Uraian kegiatan").fill("Foto sudah diganti, uraian diperbaiki")
    page.get_by_label("Hapus bukti foto_lama.jpg saat disimpan").check()
    expect(page.locator(".saved-evidence li.removing")).to_have_count(1)
    page.locator("#f-camera").set_input_files(str(UPLOADS_GOOD / "phone_portrait_orient6.jpg"))
    assert_fits_phone(page)
    screenshot(page, "14-edit-replace-photo")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#form-status")).to_contain_text("Entri tersimpan sebagai draf.")  # with the photo's date
    assert_fits_phone(page)
    page.get_by_role("link", name="Lanjutkan").click()
    page.wait_for_url(f"**/entri/{entry_id}")
    entry = asn_api.get(f"/api/v1/entries/{entry_id}").json()
    assert entry["activity"] == "Foto sudah diganti, uraian diperbaiki"
    assert [ev["original_name"] for ev in entry["evidence"]] == ["phone_portrait_orient6.jpg"]


MAIN_PAGES = {
    "asn": (ASN_HSD, ["/beranda", "/entri/baru", "/bulan", "/kode"]),
    "kasubag": (None, ["/beranda", "/verifikasi/"]),
    "sekretaris": (None, ["/beranda", "/verifikasi/pantauan", "/pleno/", "/lkj/"]),
    "rendatin": (None, ["/beranda", "/pleno/"]),
    "admin": (None, ["/beranda", "/admin/"]),
    # KPU Provinsi Jawa Tengah's Sekretaris: the children's month, and a child's pleno pages (read only)
    "provinsi": (None, ["/beranda", "/pleno/provinsi", "/pleno/?satker=3320"]),
}


@pytest.mark.parametrize("role", list(MAIN_PAGES))
def test_main_pages_of_every_role_have_no_serious_accessibility_violation(phone, role):
    """axe-core (from the axe-playwright-python package) on every main page of each role at the phone viewport."""
    from axe_playwright_python.sync_playwright import Axe

    from .conftest import KASUBAG_KUL, RENDATIN, Account, assert_fits_phone

    accounts = {"asn": ASN_HSD, "kasubag": KASUBAG_KUL, "rendatin": RENDATIN,
                "sekretaris": Account("199411232021012001", "Sri Lestari", "SEK"),
                "admin": Account("admin", "Administrator Sistem", "SEK"),
                "provinsi": Account("199005262015052700", "Retno Wulandari", "SEK")}
    p = phone()
    p.login(accounts[role])
    axe = Axe()
    problems = []
    for path in MAIN_PAGES[role][1]:
        resp = p.goto(path)
        assert resp.status == 200, (role, path, resp.status)
        name = f"14-{role}-{path.strip('/').replace('/', '-') or 'root'}"
        screenshot(p.page, name)
        assert_fits_phone(p.page)
        result = axe.run(p.page)
        for v in result.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append(f"{path}: {v['id']} ({v['impact']}) {v['help']} — "
                                f"{[n['target'] for n in v['nodes']][:3]}")
    assert not problems, "\n".join(problems)
