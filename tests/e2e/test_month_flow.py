"""The month as people live it, in a real browser at a phone viewport (SOP steps 1-5):
an ASN logs two days with a photo and submits; the Kasubag verifies one and returns the other with a note;
the ASN reads the note, fixes the entry and submits again; the Kasubag verifies it and closes the month;
Rendatin builds the pleno packet and downloads its files.

The entries are dated in the previous month (past its last working day), so the month can be closed today.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import (
    ASN_KUL,
    CODE_KUL,
    KASUBAG_KUL,
    RENDATIN,
    UPLOADS_GOOD,
    assert_fits_phone,
    previous_month,
    screenshot,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips (or fails, when required) the whole folder
    expect = None

pytestmark = pytest.mark.e2e

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
ACTIVITY_OK = "Mengagendakan surat masuk dari KPU Provinsi"
ACTIVITY_RETURNED = "Mengirim surat undangan rapat koordinasi"
ACTIVITY_FIXED = "Mengirim surat undangan rapat koordinasi PPK se-Kabupaten"
NOTE = "Lampirkan nota dinas undangan dan sebutkan rapatnya."


def month_label(period: str) -> str:
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def fill_entry(page, *, day, activity: str, output: str, quantity: str, files) -> None:
    """The entry form as a person fills it: date, output code, activity, output, quantity, evidence."""
    form = page.locator("#entry-form")
    form.locator("input[name=entry_date]").fill(day.isoformat())
    form.locator("select[name=output_code]").select_option(CODE_KUL)
    form.get_by_label("Uraian kegiatan").fill(activity)
    form.get_by_label("Hasil / output").fill(output)
    form.get_by_label("Jumlah").fill(quantity)
    form.locator("input[name=files]").set_input_files([str(f) for f in files])


def test_month_flow_from_photo_entry_to_downloaded_packet(phone, photo):
    period, days = previous_month()
    assert len(days) >= 2, f"{period} has fewer than two working days"
    day_ok, day_returned = days[0], days[1]
    label = month_label(period)

    # ---- ASN: log in, two entries with a photo each, submitted (JavaScript path: API + upload + submit) ----
    asn = phone()
    asn.login(ASN_KUL, shot="01-login")
    page = asn.page
    expect(page.get_by_role("link", name="+ Catat kegiatan hari ini")).to_be_visible()
    assert_fits_phone(page)
    screenshot(page, "02-beranda")

    for day, activity, output in ((day_ok, ACTIVITY_OK, "Agenda surat masuk"),
                                  (day_returned, ACTIVITY_RETURNED, "Surat undangan terkirim")):
        asn.goto(f"/entri/baru?tanggal={day.isoformat()}")
        expect(page.get_by_role("heading", name="Catat kegiatan")).to_be_visible()
        fill_entry(page, day=day, activity=activity, output=output, quantity="3", files=[photo])
        if day == day_ok:
            assert_fits_phone(page)
            screenshot(page, "03-entry-form")
        page.get_by_role("button", name="Simpan & ajukan").click()
        page.wait_for_url("**/beranda")
        expect(page.get_by_text("Entri diajukan ke verifikator.")).to_be_visible()

    asn.goto(f"/bulan?m={period}")
    expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
    for activity in (ACTIVITY_OK, ACTIVITY_RETURNED):
        item = page.locator("li.entry-item", has_text=activity)
        expect(item).to_have_count(1)
        expect(item.locator(".status")).to_have_text("Diajukan")
        expect(item.get_by_text("1 bukti")).to_be_visible()
    assert_fits_phone(page)
    screenshot(page, "04-month")

    # ---- Kasubag: verify one, return the other with a note ----
    kasubag = phone()
    kasubag.login(KASUBAG_KUL)
    kpage = kasubag.page
    kasubag.goto(f"/verifikasi/?month={period}")
    expect(kpage.get_by_role("heading", name="Verifikasi bulanan")).to_be_visible()
    expect(kpage.locator(".v-unit", has_text="Keuangan").get_by_text("2 menunggu Anda")).to_be_visible()
    assert_fits_phone(kpage)
    screenshot(kpage, "05-verification")
    kpage.locator(".v-unit", has_text="Keuangan").get_by_role("link").first.click()
    kpage.wait_for_url(f"**/verifikasi/KUL/{period}**")
    expect(kpage.get_by_role("heading", name=ASN_KUL.name)).to_be_visible()
    assert_fits_phone(kpage)
    screenshot(kpage, "06-verification-queue")

    card_ok = kpage.locator("article.ventry", has_text=ACTIVITY_OK)
    expect(card_ok.locator("img")).to_have_count(1)  # the photo's thumbnail is shown to the verifier
    card_ok.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(card_ok).to_have_attribute("data-status", "verified")

    card_ret = kpage.locator("article.ventry", has_text=ACTIVITY_RETURNED)
    card_ret.locator("summary", has_text="Kembalikan").click()
    card_ret.get_by_label("Catatan untuk ASN").fill(NOTE)
    card_ret.get_by_role("button", name="Kembalikan dengan catatan").click()
    expect(card_ret).to_have_attribute("data-status", "returned")

    # Nothing waits any more (one verified, one returned): the page now offers to close the month.
    kasubag.goto(f"/verifikasi/KUL/{period}")
    expect(kpage.get_by_role("button", name=re.compile(r"^Tutup bulan"))).to_be_visible()

    # ---- ASN: reads the note, fixes the entry (adds the nota dinas), submits again ----
    asn.goto("/beranda")
    returned = page.locator("section", has=page.get_by_role("heading", name=re.compile("Dikembalikan untuk diperbaiki")))
    expect(returned.get_by_text(NOTE)).to_be_visible()
    returned.get_by_role("link", name="Perbaiki").click()
    page.wait_for_url(re.compile(r"/entri/\d+/ubah$"))
    expect(page.get_by_text(NOTE)).to_be_visible()
    page.get_by_label("Uraian kegiatan").fill(ACTIVITY_FIXED)
    page.locator("input[name=files]").set_input_files(str(UPLOADS_GOOD / "nota_dinas.pdf"))
    page.get_by_role("button", name="Simpan & ajukan").click()
    page.wait_for_url("**/beranda")
    expect(page.get_by_text("Entri diajukan ke verifikator.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Dikembalikan untuk diperbaiki"))).to_have_count(0)

    # ---- Kasubag: verifies the fixed entry, closes the month ----
    kasubag.goto(f"/verifikasi/KUL/{period}")
    card_fixed = kpage.locator("article.ventry", has_text=ACTIVITY_FIXED)
    expect(card_fixed).to_have_attribute("data-status", "submitted")
    expect(card_fixed.locator(".note")).to_contain_text(NOTE)  # the earlier note stays visible to the verifier
    expect(card_fixed.get_by_text("nota_dinas.pdf")).to_be_visible()
    card_fixed.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(card_fixed).to_have_attribute("data-status", "verified")
    kasubag.goto(f"/verifikasi/KUL/{period}")
    asked: list[str] = []

    def confirm(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    kpage.once("dialog", confirm)
    with kpage.expect_navigation():
        kpage.get_by_role("button", name=f"Tutup bulan {label}").click()
    assert asked and label in asked[0], asked
    expect(kpage.get_by_text("ditutup; entri terkunci")).to_be_visible()
    expect(kpage.locator(".v-month .status-locked", has_text="Ditutup")).to_be_visible()

    # The ASN's month is locked now.
    asn.goto(f"/bulan?m={period}")
    for activity in (ACTIVITY_OK, ACTIVITY_FIXED):
        item = page.locator("li.entry-item", has_text=activity)
        expect(item.locator(".status-verified")).to_have_text("Terverifikasi")
        expect(item.locator(".status-locked")).to_have_text("Terkunci")

    # ---- Rendatin: builds the pleno packet and downloads its files ----
    rendatin = phone()
    rendatin.login(RENDATIN)
    rpage = rendatin.page
    rendatin.goto(f"/pleno/{period}")
    expect(rpage.get_by_role("heading", name=f"Paket Pleno {label}")).to_be_visible()
    rpage.get_by_role("button", name="Susun sekarang").click()
    # The build runs in the background worker; its page follows it (refreshing itself) until it is done.
    rpage.wait_for_url("**/tugas/*")
    expect(rpage.get_by_text(re.compile(r"versi 1 selesai disusun"))).to_be_visible(timeout=60_000)
    assert_fits_phone(rpage)
    screenshot(rpage, "07-packet-task")
    rpage.get_by_role("link", name="Buka paket pleno").click()
    rpage.wait_for_url(f"**/pleno/{period}")
    assert_fits_phone(rpage)
    screenshot(rpage, "07-packet")

    links = rpage.locator(".pleno-version a[download]")
    names = links.all_inner_texts()
    assert names, "the packet lists no files"
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".pdf") for n in names), names
    magic = {".xlsx": b"PK", ".zip": b"PK", ".docx": b"PK", ".pdf": b"%PDF"}
    for i, name in enumerate(names):
        with rpage.expect_download() as info:
            links.nth(i).click()
        download = info.value
        assert download.suggested_filename == name
        data = Path(download.path()).read_bytes()
        suffix = name[name.rfind("."):]
        if suffix in magic:
            assert data.startswith(magic[suffix]), f"{name} starts with {data[:8]!r}"
        else:  # the evidence index: UTF-8 text a spreadsheet opens
            data.decode("utf-8-sig")
        assert len(data) > 100, f"{name} is only {len(data)} bytes"

    # ---- no page broke the Content-Security-Policy or threw ----
    for who, p in (("ASN", asn), ("Kasubag", kasubag), ("Rendatin", rendatin)):
        assert p.watch.csp_problems() == [], f"{who}: {p.watch.csp_problems()}"
        assert p.watch.page_errors == [], f"{who}: {p.watch.page_errors}"
