"""HTTP tests of the ASN's daily-log pages: home, entry form (with and without files), month, list, detail,
actions, favourites, the offline service worker. Time is frozen on Thursday 20 August 2026, 10:00 WIB:
17 August (Hari Kemerdekaan) is a national holiday of that month."""
from __future__ import annotations

import gzip
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import CODE, UPLOADS
from tests.daily_log import NOW, OTHER_CODE, TODAY, WIB, asn, frozen, web  # noqa: F401 - fixtures pytest finds by name
from tests.daily_log import page as doc

_SIMPLE = re.compile(r"""(?P<tag>^[\w*-]+)|\#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)|\[(?P<attr>[\w-]+)(?:(?P<op>\*?=)(?P<q>["']?)(?P<val>.*?)(?P=q))?\]""")


def css(el, selector: str) -> list:
    """The small part of CSS selectors these tests use (tag, #id, .class, [attr], [attr=v], [attr*=v], descendant),
    as XPath, so no extra package is needed."""
    steps = []
    for part in selector.split():
        tag, conds = "*", []
        for m in _SIMPLE.finditer(part):
            if m["tag"]:
                tag = m["tag"]
            elif m["id"]:
                conds.append(f"@id='{m['id']}'")
            elif m["cls"]:
                conds.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {m['cls']} ')")
            elif m["op"] == "*=":
                conds.append(f"contains(@{m['attr']}, '{m['val']}')")
            elif m["op"]:
                conds.append(f"@{m['attr']}='{m['val']}'")
            else:
                conds.append(f"@{m['attr']}")
        steps.append(tag + "".join(f"[{c}]" for c in conds))
    return el.xpath(".//" + "//".join(steps))


def form_data(**over):
    data = {"entry_date": TODAY.isoformat(), "output_code": CODE, "activity": "Menyusun laporan realisasi anggaran",
            "output": "Draf laporan realisasi", "quantity": "2", "unit": "Dokumen", "start_time": "",
            "end_time": "", "action": "draft"}
    data.update(over)
    return data


def entry_count(db) -> int:
    from silabu.entries.models import Entry

    return db.session.scalar(select(func.count(Entry.id)))


def set_status(db, entry, status, note=None):
    from silabu.entries.models import EntryStatus

    entry.status = EntryStatus(status)
    entry.return_note = note
    db.session.commit()


def close_month(db, unit_id: int, period: str):
    from silabu.entries.models import UnitMonth

    db.session.add(UnitMonth(unit_id=unit_id, period=period, is_closed=True))
    db.session.commit()


def error_next_to(page, field: str, control_id: str | None = None) -> str:
    """The error message shown inside the same form field as the control (not only somewhere on the page)."""
    message = page.get_element_by_id(f"e-{field}")
    box = message.getparent()
    while "field" not in (box.get("class") or "").split():
        box = box.getparent()
    assert box.xpath(f".//*[@id='{control_id or 'f-' + field}']"), f"error for {field} is not next to its field"
    return message.text_content()


def upload(name: str, subdir: str = "good"):
    return (io.BytesIO((UPLOADS / subdir / name).read_bytes()), name)


# --- pages need a login -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/beranda", "/entri/baru", "/bulan", "/entri", "/entri/1", "/kode",
                                 "/entri/salin-kemarin"])
def test_pages_need_a_login(client, org, url):
    resp = client.get(url)
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]


# --- home: what the ASN still owes -----------------------------------------------------------------------------

def test_home_lists_empty_working_days_without_weekends_holidays_or_cuti_bersama(web, asn, make_entry, db):
    from silabu.catalog.calendar import set_office_day
    from silabu.catalog.models import ClosureKind

    set_office_day(date(2026, 8, 18), ClosureKind.CUTI_BERSAMA, "Cuti bersama uji")
    db.session.commit()
    make_entry(asn, date(2026, 8, 3), status="submitted")
    page = doc(web.get("/beranda"))
    links = {a.get("href") for a in css(page, ".day-links a")}
    expected = {f"/entri/baru?tanggal=2026-08-{d:02d}" for d in (4, 5, 6, 7, 10, 11, 12, 13, 14, 19, 20)}
    assert links == expected  # not the 3rd (filled), 8/9 (weekend), 17 (holiday), 18 (cuti bersama), 21+ (future)
    assert "1/12" in css(page, ".compliance")[0].text_content()


def test_home_shows_todays_entries_and_returned_entries_with_the_verifiers_note(web, asn, make_entry, db):
    make_entry(asn, TODAY, activity="Rapat koordinasi pagi")
    returned = make_entry(asn, date(2026, 8, 5), status="submitted", activity="Input data pegawai")
    set_status(db, returned, "returned", "Lampirkan daftar hadir.")
    page = doc(web.get("/beranda"))
    assert "Rapat koordinasi pagi" in page.get_element_by_id("h-today").getparent().text_content()
    returned_box = page.get_element_by_id("h-returned").getparent()
    assert "Input data pegawai" in returned_box.text_content()
    assert "Lampirkan daftar hadir." in returned_box.text_content()
    assert css(returned_box, f'a[href="/entri/{returned.id}/ubah"]')


def test_home_submits_all_drafts_after_confirmation(web, asn, make_entry, db):
    from silabu.entries.models import EntryStatus

    drafts = [make_entry(asn, date(2026, 8, d)) for d in (10, 11)]
    page = doc(web.get("/beranda"))
    form = css(page, 'form[action="/entri/ajukan-semua"]')[0]
    assert css(form, "details.confirm button[type=submit]")
    ids = [i.get("value") for i in css(form, "input[name=entry_id]")]
    resp = web.post("/entri/ajukan-semua", data={"entry_id": ids})
    assert resp.status_code == 302
    for e in drafts:
        db.session.refresh(e)
        assert e.status == EntryStatus.SUBMITTED
    assert "2 entri diajukan" in web.get("/beranda").get_data(as_text=True)


def test_submit_all_skips_other_peoples_entries(web, make_asn, make_entry, db):
    from silabu.entries.models import EntryStatus

    other = make_entry(make_asn(), date(2026, 8, 10))
    web.post("/entri/ajukan-semua", data={"entry_id": [str(other.id)]})
    db.session.refresh(other)
    assert other.status == EntryStatus.DRAFT


# --- the entry form ----------------------------------------------------------------------------------------------

def test_new_form_defaults_to_today_in_the_satker_timezone(client, asn, login_as, frozen):
    frozen.move_to(datetime(2026, 8, 20, 18, 30, tzinfo=UTC))  # 01:30 WIB on the 21st
    login_as(asn)
    date_input = doc(client.get("/entri/baru")).get_element_by_id("f-entry_date")
    assert date_input.get("value") == "2026-08-21"
    assert date_input.get("max") == "2026-08-21"


def test_new_form_takes_the_day_from_an_empty_day_link(web):
    assert doc(web.get("/entri/baru?tanggal=2026-08-04")).get_element_by_id("f-entry_date").get("value") == "2026-08-04"


def test_form_lists_favourite_then_recent_then_all_codes_with_default_units(web, asn, make_entry, db):
    from silabu.catalog.models import OutputCode
    from silabu.catalog.services import toggle_favorite

    fav = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER_CODE))
    toggle_favorite(asn.id, fav.id)
    db.session.commit()
    make_entry(asn, date(2026, 8, 10))
    page = doc(web.get("/entri/baru"))
    select_el = page.get_element_by_id("f-output_code")
    assert [g.get("label") for g in css(select_el, "optgroup")] == ["Favorit", "Terakhir dipakai", "Semua kode"]
    favourites = css(css(select_el, "optgroup")[0], "option")
    assert [o.get("value") for o in favourites] == [OTHER_CODE]
    assert favourites[0].get("data-unit") == "Dokumen" and favourites[0].get("data-fav") == "1"
    assert [o.get("value") for o in css(css(select_el, "optgroup")[1], "option")] == [CODE]
    assert css(page, "#f-files[multiple][accept]")[0].get("name") == "files"
    assert css(page, '#f-camera[capture="environment"]')[0].get("accept") == "image/*"
    assert css(page, "form#entry-form")[0].get("enctype") == "multipart/form-data"


def test_new_entry_is_saved_as_draft_and_shown(web, asn, db):
    from silabu.entries.models import Entry, EntryStatus

    resp = web.post("/entri/baru", data=form_data(quantity="1,5", start_time="08:00", end_time="09:30"))
    entry = db.session.scalar(select(Entry))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/entri/{entry.id}")
    assert entry.status == EntryStatus.DRAFT and entry.user_id == asn.id and entry.quantity == Decimal("1.5")
    page = web.get(f"/entri/{entry.id}").get_data(as_text=True)
    assert "tersimpan sebagai draf" in page and "1,5 Dokumen" in page and "Kamis, 20 Agustus 2026" in page


def test_save_and_submit_hands_the_entry_to_the_verifier(web, db):
    from silabu.entries.models import Entry, EntryStatus

    resp = web.post("/entri/baru", data=form_data(action="submit"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/beranda")
    assert db.session.scalar(select(Entry)).status == EntryStatus.SUBMITTED


def test_unit_left_empty_takes_the_codes_default_unit(web, db):
    from silabu.entries.models import Entry

    web.post("/entri/baru", data=form_data(output_code=OTHER_CODE, unit=""))
    assert db.session.scalar(select(Entry)).unit_of_measure == "Dokumen"


def test_the_same_form_posted_twice_creates_one_entry(web, db):
    data = form_data(client_uuid="0f8fad5b-d9cb-469f-a165-70867728950e")
    web.post("/entri/baru", data=data)
    resp = web.post("/entri/baru", data=data)
    assert resp.status_code == 302 and entry_count(db) == 1


REFUSED = [
    ("entry_date", {"entry_date": "2026-08-21"}, "masa depan"),
    ("entry_date", {"entry_date": "20-08-2026"}, "format"),
    ("output_code", {"output_code": "076.01.XX.0000.AAA.000"}, "tidak dikenal"),
    ("output_code", {"output_code": "076.01.WA.4499.EBA"}, "RO"),
    ("output_code", {"output_code": ""}, "wajib"),
    ("quantity", {"quantity": "0"}, "lebih dari 0"),
    ("quantity", {"quantity": "-3"}, "lebih dari 0"),
    ("quantity", {"quantity": "banyak"}, "angka"),
    ("end_time", {"start_time": "10:00", "end_time": "09:00"}, "setelah jam mulai"),
    ("activity", {"activity": "x" * 10_000}, "maksimal"),
    ("output", {"output": "y" * 10_000}, "maksimal"),
    ("activity", {"activity": "   "}, "wajib"),
]


@pytest.mark.parametrize("field,change,message", REFUSED, ids=[f"{f}-{m}" for f, _, m in REFUSED])
def test_form_refuses_impossible_input_next_to_the_field_and_saves_nothing(web, db, field, change, message):
    resp = web.post("/entri/baru", data=form_data(**change))
    assert resp.status_code == 422
    assert message in error_next_to(doc(resp), field)
    assert entry_count(db) == 0


def test_form_refuses_a_day_in_a_closed_month(web, asn, db):
    close_month(db, asn.unit_id, "2026-07")
    resp = web.post("/entri/baru", data=form_data(entry_date="2026-07-30"))
    assert resp.status_code == 422
    assert "ditutup" in error_next_to(doc(resp), "entry_date")
    assert entry_count(db) == 0


def test_form_refuses_an_inactive_code(web, db):
    from silabu.catalog.models import OutputCode

    db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER_CODE)).is_active = False
    db.session.commit()
    resp = web.post("/entri/baru", data=form_data(output_code=OTHER_CODE))
    assert resp.status_code == 422 and "tidak aktif" in error_next_to(doc(resp), "output_code")


def test_refused_form_comes_back_with_everything_typed(web):
    resp = web.post("/entri/baru", data=form_data(quantity="0", activity="Memeriksa SPJ perjalanan dinas",
                                                  output="12 SPJ", start_time="13:00", end_time="15:30",
                                                  entry_date="2026-08-19"))
    page = doc(resp)
    assert page.get_element_by_id("f-activity").text_content() == "Memeriksa SPJ perjalanan dinas"
    assert page.get_element_by_id("f-output").text_content() == "12 SPJ"
    assert page.get_element_by_id("f-quantity").get("value") == "0"
    assert page.get_element_by_id("f-start_time").get("value") == "13:00"
    assert page.get_element_by_id("f-end_time").get("value") == "15:30"
    assert page.get_element_by_id("f-entry_date").get("value") == "2026-08-19"
    assert css(page, f'#f-output_code option[value="{CODE}"]')[0].get("selected") is not None


def test_a_refused_form_says_chosen_files_must_be_chosen_again(web, db):
    data = form_data(quantity="0")
    data["files"] = [upload("nota_dinas.pdf")]
    resp = web.post("/entri/baru", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "pilih lagi" in error_next_to(doc(resp), "evidence", "f-files")
    assert entry_count(db) == 0


# --- evidence without JavaScript ---------------------------------------------------------------------------------

def _stored_keys(app):
    from silabu.evidence.storage import get_storage

    return set(get_storage().iter_keys())


def test_no_js_upload_keeps_the_entry_and_the_good_file_when_another_file_is_bad(app, web, asn, db):
    from silabu.entries.models import Entry, EntryStatus, Evidence

    data = form_data(activity="Dokumentasi rapat pleno", action="submit")
    data["files"] = [upload("browser_compressed_1600.jpg"), upload("html_named.jpg", "bad")]
    data["camera"] = [upload("nota_dinas.pdf")]
    resp = web.post("/entri/baru", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422
    page = doc(resp)
    message = error_next_to(page, "evidence", "f-files")
    assert "html_named.jpg" in message
    entry = db.session.scalar(select(Entry))
    assert entry.status == EntryStatus.DRAFT  # not submitted while a file was refused
    assert sorted(ev.original_name for ev in entry.evidence) == ["browser_compressed_1600.jpg", "nota_dinas.pdf"]
    # Nothing of the refused file is left behind: every stored blob belongs to a saved piece of evidence.
    referenced = set()
    for ev in db.session.scalars(select(Evidence)):
        referenced |= {ev.storage_key, ev.thumbnail_key} - {None}
    assert _stored_keys(app) == referenced
    # The form comes back as the edit form of the saved draft, with what was typed.
    assert css(page, "form#entry-form")[0].get("action") == f"/entri/{entry.id}/ubah"
    assert page.get_element_by_id("f-activity").text_content() == "Dokumentasi rapat pleno"
    assert "tersimpan sebagai draf" in resp.get_data(as_text=True)


def test_no_js_upload_of_good_files_then_submit(web, db):
    from silabu.entries.models import Entry, EntryStatus

    data = form_data(action="submit")
    data["files"] = [upload("daftar_hadir.xlsx"), upload("photo.webp")]
    resp = web.post("/entri/baru", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    entry = db.session.scalar(select(Entry))
    assert entry.status == EntryStatus.SUBMITTED and len(entry.evidence) == 2


def test_photo_taken_on_another_day_gives_a_warning_not_a_refusal(web, db):
    from silabu.entries.models import Entry

    data = form_data()
    data["files"] = [upload("phone_orient3_nogps.jpg")]
    resp = web.post("/entri/baru", data=data, content_type="multipart/form-data", follow_redirects=True)
    entry = db.session.scalar(select(Entry))
    assert resp.status_code == 200 and len(entry.evidence) == 1
    taken = entry.evidence[0].taken_at
    assert taken is not None and taken.date() != TODAY
    assert "bukan pada tanggal entri" in resp.get_data(as_text=True)


def test_evidence_can_be_removed_from_a_draft_on_the_edit_page(web, asn, make_entry, db):
    from silabu.entries.evidence import add_evidence

    entry = make_entry(asn, TODAY)
    ev = add_evidence(entry, asn, "nota_dinas.pdf", (UPLOADS / "good/nota_dinas.pdf").read_bytes())
    db.session.commit()
    resp = web.post(f"/entri/{entry.id}/bukti/{ev.id}/hapus")  # the route stays; the edit form marks it instead
    assert resp.status_code == 302
    db.session.refresh(entry)
    assert entry.evidence == []


def test_evidence_of_another_entry_cannot_be_removed_through_this_one(web, asn, make_entry, db):
    from silabu.entries.evidence import add_evidence

    first, second = make_entry(asn, TODAY), make_entry(asn, TODAY, activity="Rapat koordinasi")
    ev = add_evidence(first, asn, "nota_dinas.pdf", (UPLOADS / "good/nota_dinas.pdf").read_bytes())
    db.session.commit()
    assert web.post(f"/entri/{second.id}/bukti/{ev.id}/hapus").status_code == 404


# --- edit, delete, submit; who may ------------------------------------------------------------------------------

def test_edit_changes_a_draft(web, asn, make_entry, db):
    entry = make_entry(asn, date(2026, 8, 19))
    page = doc(web.get(f"/entri/{entry.id}/ubah"))
    assert page.get_element_by_id("f-entry_date").get("value") == "2026-08-19"
    resp = web.post(f"/entri/{entry.id}/ubah", data=form_data(entry_date="2026-08-19", activity="Sudah diubah"))
    assert resp.status_code == 302
    db.session.refresh(entry)
    assert entry.activity == "Sudah diubah"


def test_edit_refusal_keeps_the_entry_unchanged(web, asn, make_entry, db):
    entry = make_entry(asn, date(2026, 8, 19))
    resp = web.post(f"/entri/{entry.id}/ubah", data=form_data(activity="Baru", quantity="0"))
    assert resp.status_code == 422 and "lebih dari 0" in error_next_to(doc(resp), "quantity")
    db.session.refresh(entry)
    assert entry.activity == "Menyusun laporan harian"


def test_returned_entry_shows_the_note_and_can_be_fixed_and_resubmitted(web, asn, make_entry, db):
    from silabu.entries.models import EntryStatus

    entry = make_entry(asn, date(2026, 8, 12), status="submitted")
    set_status(db, entry, "returned", "Jumlah tidak sesuai daftar hadir.")
    assert "Jumlah tidak sesuai daftar hadir." in web.get(f"/entri/{entry.id}").get_data(as_text=True)
    assert "Jumlah tidak sesuai daftar hadir." in web.get(f"/entri/{entry.id}/ubah").get_data(as_text=True)
    web.post(f"/entri/{entry.id}/ubah", data=form_data(entry_date="2026-08-12", quantity="3", action="submit"))
    db.session.refresh(entry)
    assert entry.status == EntryStatus.SUBMITTED and entry.quantity == 3


def test_delete_needs_a_post_and_removes_the_draft(web, asn, make_entry, db):
    entry = make_entry(asn, TODAY)
    page = doc(web.get(f"/entri/{entry.id}"))
    assert css(page, f'form[action="/entri/{entry.id}/hapus"] details.confirm button[type=submit]')
    assert web.get(f"/entri/{entry.id}/hapus").status_code == 405
    resp = web.post(f"/entri/{entry.id}/hapus")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/bulan?m=2026-08")
    assert entry_count(db) == 0


def test_submit_from_the_detail_page(web, asn, make_entry, db):
    from silabu.entries.models import EntryStatus

    entry = make_entry(asn, TODAY)
    assert css(doc(web.get(f"/entri/{entry.id}")), f'form[action="/entri/{entry.id}/ajukan"] details.confirm')
    web.post(f"/entri/{entry.id}/ajukan")
    db.session.refresh(entry)
    assert entry.status == EntryStatus.SUBMITTED
    page = web.get(f"/entri/{entry.id}").get_data(as_text=True)
    assert "Menunggu verifikasi" in page and f"/entri/{entry.id}/ubah" not in page


def test_submit_without_required_evidence_is_refused_with_a_message(web, asn, make_entry, db, org):
    from silabu.entries.models import EntryStatus

    org["KUL"].requires_evidence = True
    db.session.commit()
    entry = make_entry(asn, TODAY)
    resp = web.post(f"/entri/{entry.id}/ajukan", follow_redirects=True)
    assert "minimal satu berkas" in resp.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.status == EntryStatus.DRAFT


@pytest.mark.parametrize("method,path", [("get", "/entri/{id}"), ("get", "/entri/{id}/ubah"),
                                         ("post", "/entri/{id}/ubah"), ("post", "/entri/{id}/hapus"),
                                         ("post", "/entri/{id}/ajukan"), ("get", "/entri/{id}/pakai-lagi")])
def test_another_asn_gets_404(client, make_asn, make_entry, login_as, db, method, path):
    owner, intruder = make_asn(), make_asn()
    entry = make_entry(owner, TODAY)
    login_as(intruder)
    resp = getattr(client, method)(path.format(id=entry.id), data=form_data() if method == "post" else None)
    assert resp.status_code == 404
    db.session.refresh(entry)
    assert entry.activity == "Menyusun laporan harian" and entry.status.value == "draft"


def test_verified_entry_is_read_only_everywhere(web, asn, make_entry, db):
    entry = make_entry(asn, date(2026, 8, 12), status="submitted")
    set_status(db, entry, "verified")
    page = doc(web.get(f"/entri/{entry.id}"))
    assert "Terkunci" in page.text_content()
    assert not css(page, f'a[href="/entri/{entry.id}/ubah"]')
    assert not css(page, f'form[action="/entri/{entry.id}/hapus"]')
    assert web.get(f"/entri/{entry.id}/ubah").status_code == 409
    assert web.post(f"/entri/{entry.id}/ubah", data=form_data(activity="Diubah")).status_code == 409
    assert web.post(f"/entri/{entry.id}/hapus").status_code == 409
    db.session.refresh(entry)
    assert entry.activity == "Menyusun laporan harian" and entry_count(db) == 1


def test_entry_in_a_closed_month_shows_locked(web, asn, make_entry, db):
    entry = make_entry(asn, date(2026, 8, 3))
    close_month(db, asn.unit_id, "2026-08")
    page = doc(web.get(f"/entri/{entry.id}"))
    assert "Terkunci" in page.text_content() and not css(page, f'a[href="/entri/{entry.id}/ubah"]')
    assert web.post(f"/entri/{entry.id}/ubah", data=form_data(entry_date="2026-08-03")).status_code == 409


def test_detail_shows_fields_evidence_and_history(web, asn, make_entry, db):
    from silabu.entries.evidence import add_evidence
    from silabu.entries.services import submit_entry

    entry = make_entry(asn, TODAY, activity="Rapat persiapan pleno", start_time="08:00", end_time="10:00")
    photo = add_evidence(entry, asn, "foto.jpg", (UPLOADS / "good/browser_compressed_1600.jpg").read_bytes())
    document = add_evidence(entry, asn, "nota.pdf", (UPLOADS / "good/nota_dinas.pdf").read_bytes())
    submit_entry(entry, asn)
    db.session.commit()
    page = doc(web.get(f"/entri/{entry.id}"))
    text = page.text_content()
    assert "Rapat persiapan pleno" in text and "08.00" in text and "Layanan Umum" in text
    assert css(page, f'img[src="/api/v1/evidence/{photo.id}/file"]')
    assert css(page, f'a[href="/api/v1/evidence/{document.id}/file"][download]')
    history = css(page, "ol.history")[0].text_content()
    assert "Dibuat" in history and "Diajukan" in history and "Siti Rahmawati" in history


# --- copy yesterday, use again ---------------------------------------------------------------------------------

def test_copy_yesterday_fills_a_new_form_from_the_latest_earlier_entry_dated_today(web, asn, make_entry):
    make_entry(asn, date(2026, 8, 14), activity="Lebih lama")
    make_entry(asn, date(2026, 8, 19), output_code=OTHER_CODE, activity="Rekonsiliasi kas", quantity="4")
    make_entry(asn, TODAY, activity="Hari ini")
    resp = web.get("/entri/salin-kemarin")
    page = doc(resp)
    assert resp.status_code == 200
    assert page.get_element_by_id("f-entry_date").get("value") == TODAY.isoformat()
    assert page.get_element_by_id("f-activity").text_content() == "Rekonsiliasi kas"
    assert page.get_element_by_id("f-quantity").get("value") == "4"
    assert css(page, f'#f-output_code option[value="{OTHER_CODE}"][selected]')
    assert css(page, "form#entry-form")[0].get("action") == "/entri/baru"


def test_copy_yesterday_without_any_earlier_entry_opens_an_empty_form(web):
    resp = web.get("/entri/salin-kemarin")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/entri/baru")


def test_use_again_fills_a_new_form_from_any_earlier_entry(web, asn, make_entry, db):
    old = make_entry(asn, date(2026, 8, 4), activity="Mengarsipkan surat masuk", status="submitted")
    set_status(db, old, "verified")
    assert css(doc(web.get(f"/entri/{old.id}")), f'a[href="/entri/{old.id}/pakai-lagi"]')
    page = doc(web.get(f"/entri/{old.id}/pakai-lagi"))
    assert page.get_element_by_id("f-activity").text_content() == "Mengarsipkan surat masuk"
    assert page.get_element_by_id("f-entry_date").get("value") == TODAY.isoformat()
    resp = web.post("/entri/baru", data=form_data(activity="Mengarsipkan surat masuk"))
    assert resp.status_code == 302 and entry_count(db) == 2


# --- favourites and the code finder -----------------------------------------------------------------------------

def test_favourite_toggle_from_the_code_finder(web, asn, db):
    from silabu.catalog.models import FavoriteCode, OutputCode

    code = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER_CODE))
    page = doc(web.get("/kode?q=keuangan"))
    assert css(page, f'form[action="/kode/{code.id}/favorit"]')
    assert css(page, f'a[href="/entri/baru?kode={OTHER_CODE}"]')
    resp = web.post(f"/kode/{code.id}/favorit", data={"next": "/kode?q=keuangan"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/kode?q=keuangan")
    assert db.session.scalar(select(FavoriteCode).where(FavoriteCode.user_id == asn.id)).output_code_id == code.id
    resp = web.post(f"/kode/{code.id}/favorit", headers={"Accept": "application/json"})
    assert resp.json == {"code_id": code.id, "favorite": False}
    assert db.session.scalar(select(func.count(FavoriteCode.id))) == 0


def test_favourite_toggle_never_redirects_off_site(web, db):
    from silabu.catalog.models import OutputCode

    code = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER_CODE))
    resp = web.post(f"/kode/{code.id}/favorit", data={"next": "https://evil.example/"})
    assert resp.headers["Location"].endswith("/kode")


def test_favourite_of_an_unknown_code_is_404(web):
    assert web.post("/kode/99999/favorit").status_code == 404


def test_code_picked_in_the_finder_is_selected_in_a_new_form(web):
    page = doc(web.get(f"/entri/baru?kode={OTHER_CODE}"))
    assert css(page, f'#f-output_code option[value="{OTHER_CODE}"][selected]')


# --- month and list views ---------------------------------------------------------------------------------------

def _cell(page, day: date):
    label = re.compile(re.escape(f"{day.day} Agustus 2026"))
    for el in css(page, ".cal-day"):
        if label.search(el.get("aria-label") or ""):
            return el
    raise AssertionError(f"no calendar cell for {day}")


def test_month_view_marks_holidays_cuti_bersama_filled_empty_and_future_days(web, asn, make_entry, db):
    from silabu.catalog.calendar import set_office_day
    from silabu.catalog.models import ClosureKind

    set_office_day(date(2026, 8, 18), ClosureKind.CUTI_BERSAMA, "Cuti Bersama Uji")
    db.session.commit()
    make_entry(asn, date(2026, 8, 3))
    make_entry(asn, date(2026, 8, 3), status="submitted", activity="Rapat koordinasi")
    page = doc(web.get("/bulan?m=2026-08"))
    holiday = _cell(page, date(2026, 8, 17))
    assert "cal-holiday" in holiday.get("class") and "Kemerdekaan" in holiday.get("aria-label")
    assert "Kemerdekaan" in holiday.get("title")
    cuti = _cell(page, date(2026, 8, 18))
    assert "cal-off" in cuti.get("class") and "Cuti Bersama Uji" in cuti.get("aria-label")
    filled = _cell(page, date(2026, 8, 3))
    assert "cal-filled" in filled.get("class")
    assert sorted(d.get("class") for d in css(filled, ".dot")) == ["dot dot-draft", "dot dot-submitted"]
    empty = _cell(page, date(2026, 8, 4))
    assert "cal-empty" in empty.get("class") and empty.get("href") == "/entri/baru?tanggal=2026-08-04"
    assert "cal-future" in _cell(page, date(2026, 8, 24)).get("class")
    assert "cal-holiday" in _cell(page, date(2026, 8, 25)).get("class")  # Maulid Nabi, still ahead
    assert "cal-today" in _cell(page, TODAY).get("class")
    assert "cal-holiday" not in _cell(page, date(2026, 8, 8)).get("class")  # a plain Saturday
    assert not css(page, 'a[aria-label*="Berikutnya"]') and "/bulan?m=2026-09" not in page.text_content()


def test_month_view_lists_entries_with_status_and_lazy_thumbnails(web, asn, make_entry, db):
    from silabu.entries.evidence import add_evidence

    entry = make_entry(asn, date(2026, 8, 6), activity="Foto kegiatan sosialisasi")
    ev = add_evidence(entry, asn, "foto.jpg", (UPLOADS / "good/browser_compressed_1600.jpg").read_bytes())
    db.session.commit()
    page = doc(web.get("/bulan?m=2026-08"))
    item = css(page, "li.entry-item")[0]
    assert "Foto kegiatan sosialisasi" in item.text_content() and css(item, ".status-draft")
    img = css(item, "img")[0]
    assert img.get("src") == f"/api/v1/evidence/{ev.id}/thumbnail" and img.get("loading") == "lazy"


def test_month_view_of_another_month_and_bad_month_parameter(web, asn, make_entry):
    make_entry(asn, date(2026, 7, 15), activity="Kegiatan Juli")
    assert "Kegiatan Juli" in web.get("/bulan?m=2026-07").get_data(as_text=True)
    resp = web.get("/bulan?m=juli")
    assert resp.status_code == 200 and "Agustus 2026" in resp.get_data(as_text=True)


def test_month_view_filters_by_status_code_and_text(web, asn, make_entry, db):
    make_entry(asn, date(2026, 8, 3), activity="Rekap absensi")
    make_entry(asn, date(2026, 8, 4), activity="Input SAKTI", output_code=OTHER_CODE, status="submitted")
    from silabu.catalog.models import OutputCode

    other = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER_CODE))

    def listed(query):
        page = doc(web.get("/bulan?m=2026-08&" + query))
        return [css(li, ".entry-title")[0].text_content().strip() for li in css(page, "li.entry-item")]

    assert sorted(listed("")) == ["Input SAKTI", "Rekap absensi"]
    assert listed("status=submitted") == ["Input SAKTI"]
    assert listed(f"kode={other.id}") == ["Input SAKTI"]
    assert listed("q=absensi") == ["Rekap absensi"]
    assert listed("q=tidak-ada") == []


def test_list_view_spans_months_and_filters(web, asn, make_entry, make_asn):
    make_entry(asn, date(2026, 7, 15), activity="Kegiatan Juli")
    make_entry(asn, date(2026, 8, 3), activity="Kegiatan Agustus")
    make_entry(make_asn(), date(2026, 8, 3), activity="Milik orang lain")
    text = web.get("/entri").get_data(as_text=True)
    assert "Kegiatan Juli" in text and "Kegiatan Agustus" in text and "Milik orang lain" not in text
    text = web.get("/entri?m=2026-07").get_data(as_text=True)
    assert "Kegiatan Juli" in text and "Kegiatan Agustus" not in text
    assert "Kegiatan Agustus" in web.get("/entri?q=agustus").get_data(as_text=True)


# --- offline support, security, weight ---------------------------------------------------------------------------

def test_service_worker_is_served_from_the_root_with_its_assets(client, org):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    body = resp.get_data(as_text=True)
    assert "__VERSION__" not in body and "/static/js/entry-form.js" in body and '"/entri/baru"' in body


def test_csrf_token_endpoint_for_the_outbox(web, client):
    resp = web.get("/entri/csrf")
    assert resp.status_code == 200 and resp.json["csrf_token"] and resp.headers["Cache-Control"] == "no-store"


def test_csrf_token_endpoint_says_401_when_logged_out(client, org):
    assert client.get("/entri/csrf").status_code == 401


def test_entry_form_post_without_csrf_token_is_refused(app, web, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = web.post("/entri/baru", data=form_data())
        assert resp.status_code == 400
        token = css(doc(web.get("/entri/baru")), "input[name=csrf_token]")[0].get("value")
        assert web.post("/entri/baru", data=dict(form_data(), csrf_token=token)).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert entry_count(db) == 1


def test_pages_carry_the_tokens_the_scripts_need(web):
    page = doc(web.get("/entri/baru"))
    assert css(page, 'meta[name="csrf-token"]')[0].get("content")
    assert css(page, 'script[src*="/static/js/entry-form.js?v="][defer]')
    assert not page.xpath("//script[not(@src)]") and not page.xpath("//*[@style]")


ENTRY_PAGE_BUDGET = 30 * 1024


def test_entry_page_html_css_and_js_stay_under_the_gzip_budget(web, app):
    html = web.get("/entri/baru").get_data()
    total = len(gzip.compress(html, 9))
    for asset in ("css/app.css", "css/entries.css", "js/app.js", "js/entry-form.js"):
        total += len(gzip.compress(web.get(f"/static/{asset}").get_data(), 9))
    assert total < ENTRY_PAGE_BUDGET, total
