"""Issue 14, points 3-4: the edit page removes evidence without losing typed changes (marked inside the form, removed
on save), a replacement photo in one step, one camera and one file control; the photo's date shown to the
Kasubag on the queue card and in the photo viewer's caption."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
import time_machine

from tests.conftest import UPLOADS
from tests.daily_log import NOW, TODAY, WIB, asn, frozen, page, web  # noqa: F401 - fixtures pytest finds by name

PDF = (UPLOADS / "good/nota_dinas.pdf").read_bytes()
PHOTO = (UPLOADS / "good/phone_orient3_nogps.jpg").read_bytes()  # EXIF date on another day than TODAY


@pytest.fixture()
def draft(asn, make_entry, db):
    from silabu.entries.evidence import add_evidence

    entry = make_entry(asn, TODAY)
    add_evidence(entry, asn, "nota_dinas.pdf", PDF)
    db.session.commit()
    return entry


def edit_form(entry, **over):
    data = {"entry_date": TODAY.isoformat(), "output_code": entry.output_code.code, "activity": entry.activity,
            "output": entry.output, "quantity": "1", "unit": "Dokumen", "start_time": "", "end_time": "",
            "action": "draft"}
    data.update(over)
    return data


def test_saved_evidence_is_marked_for_removal_inside_the_edit_form(web, draft):
    ev = draft.evidence[0]
    doc = page(web.get(f"/entri/{draft.id}/ubah"))
    form = doc.get_element_by_id("entry-form")
    boxes = form.xpath(".//input[@type='checkbox'][@name='remove_evidence']")
    assert [b.get("value") for b in boxes] == [str(ev.id)] and not boxes[0].get("checked")
    assert "baru dihapus saat Anda menyimpan" in form.text_content()
    assert not doc.xpath("//form[contains(@action, '/bukti/')]")  # no form of its own that reloads the page
    # one camera control and one file control, each with its own label
    assert [i.get("name") for i in form.xpath(".//input[@type='file']")] == ["camera", "files"]
    labels = {lab.get("for"): lab.text_content().strip() for lab in form.xpath(".//label[@class='picker']")}
    assert labels == {"f-camera": "📷 Ambil foto", "f-files": "📎 Pilih berkas"}


def test_removal_and_typed_changes_are_saved_together(web, draft, db):
    ev_id = draft.evidence[0].id
    resp = web.post(f"/entri/{draft.id}/ubah",
                    data=edit_form(draft, activity="Menyusun laporan harian (diperbaiki)", remove_evidence=str(ev_id)))
    assert resp.status_code == 302
    db.session.refresh(draft)
    assert draft.activity == "Menyusun laporan harian (diperbaiki)" and draft.evidence == []
    shown = web.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Bukti &#39;nota_dinas.pdf&#39; dihapus." in shown or "Bukti 'nota_dinas.pdf' dihapus." in shown


def test_a_replacement_photo_in_one_step(web, draft, db):
    old_id = draft.evidence[0].id
    data = edit_form(draft, remove_evidence=str(old_id))
    data["camera"] = (io.BytesIO(PHOTO), "foto_baru.jpg")
    resp = web.post(f"/entri/{draft.id}/ubah", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.refresh(draft)
    assert [ev.original_name for ev in draft.evidence] == ["foto_baru.jpg"]


def test_a_refused_edit_removes_nothing_and_keeps_the_mark(web, draft, db):
    ev_id = draft.evidence[0].id
    resp = web.post(f"/entri/{draft.id}/ubah",
                    data=edit_form(draft, quantity="0", activity="Diketik ulang", remove_evidence=str(ev_id)))
    assert resp.status_code == 422
    db.session.refresh(draft)
    assert [ev.id for ev in draft.evidence] == [ev_id] and draft.activity != "Diketik ulang"
    doc = page(resp)
    assert doc.xpath(f"//input[@name='remove_evidence'][@value='{ev_id}']")[0].get("checked") is not None
    assert doc.xpath("//textarea[@name='activity']")[0].text == "Diketik ulang"


def test_evidence_of_another_entry_is_not_removed_through_this_form(web, asn, draft, make_entry, db):
    from silabu.entries.evidence import add_evidence

    other = make_entry(asn, TODAY - timedelta(days=1))
    foreign = add_evidence(other, asn, "lain.pdf", PDF)
    db.session.commit()
    web.post(f"/entri/{draft.id}/ubah", data=edit_form(draft, remove_evidence=[str(foreign.id), "x", "-1"]))
    db.session.refresh(other)
    assert [ev.id for ev in other.evidence] == [foreign.id]


def test_a_submitted_entry_keeps_its_evidence(web, draft, db):
    from silabu.entries import services

    services.submit_entry(draft, draft.user)
    db.session.commit()
    ev_id = draft.evidence[0].id
    resp = web.post(f"/entri/{draft.id}/ubah", data=edit_form(draft, remove_evidence=str(ev_id)))
    assert resp.status_code in (302, 409)
    db.session.refresh(draft)
    assert [ev.id for ev in draft.evidence] == [ev_id]


def test_the_queue_card_and_viewer_show_the_photos_date_and_the_mismatch(asn, make_kasubag, make_entry, login_as, db):
    from silabu.entries import services
    from silabu.entries.evidence import add_evidence

    kasubag = make_kasubag(name="Agus Pratama")
    entry = make_entry(asn, date(2026, 8, 19))
    ev = add_evidence(entry, asn, "foto.jpg", PHOTO)
    services.submit_entry(entry, asn)
    db.session.commit()
    assert ev.taken_at is not None and ev.taken_on_other_day
    doc = page(login_as(kasubag).get("/verifikasi/KUL/2026-08"))
    card = doc.get_element_by_id(f"e{entry.id}")
    taken = ev.taken_at.strftime("%d/%m")
    figure = card.xpath(".//figure[contains(@class, 'v-photo-mismatch')]")[0]
    assert taken in figure.text_content() and "bukan tanggal entri" in figure.text_content()
    caption = card.xpath(".//a[@class='v-thumb']/@data-caption")[0]
    assert caption.startswith("foto.jpg · diambil ") and caption.endswith("bukan tanggal entri")
    warning = card.xpath(".//p[contains(@class, 'v-taken-warning')]")[0].text_content()
    assert "Foto foto.jpg diambil" in warning and "19 Agustus 2026" in warning


def test_a_photo_on_the_entrys_day_shows_its_date_without_a_warning(asn, make_kasubag, make_entry, login_as, db):
    from silabu.entries import services
    from silabu.entries.evidence import add_evidence

    kasubag = make_kasubag(name="Agus Pratama")
    with time_machine.travel(datetime(2026, 11, 10, 10, 0, tzinfo=WIB), tick=False):
        entry = make_entry(asn, date(2026, 11, 5))  # the sample photo's EXIF day
        ev = add_evidence(entry, asn, "foto.jpg", PHOTO)
        services.submit_entry(entry, asn)
        db.session.commit()
        assert not ev.taken_on_other_day
        card = page(login_as(kasubag).get("/verifikasi/KUL/2026-11")).get_element_by_id(f"e{entry.id}")
    assert not card.xpath(".//p[contains(@class, 'v-taken-warning')]")
    caption = card.xpath(".//a[@class='v-thumb']/@data-caption")[0]
    assert caption == "foto.jpg · diambil 5 November 2026"
