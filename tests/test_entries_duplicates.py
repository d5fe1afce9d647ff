"""Issue 14, point 1: a saved form never saves again, and an entry like an existing one asks before it is saved.

The same date, output code and activity as one of the user's entries is a possible duplicate (409 on the API, a
question on the page) unless confirmed; a resend with the same client_uuid is never a duplicate: it returns the
entry it created. Both answers come from one query.
"""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import timedelta

import lxml.html
import pytest
from sqlalchemy import event, func, select

from tests.conftest import CODE
from tests.daily_log import NOW, OTHER_CODE, TODAY, WIB, asn, frozen, web  # noqa: F401 - fixtures pytest finds by name


def raw(**over):
    data = {"entry_date": TODAY.isoformat(), "output_code": CODE, "activity": "Menyusun notula rapat koordinasi",
            "output": "Notula", "quantity": "1", "unit": "Dokumen"}
    data.update(over)
    return data


def count_entries(db) -> int:
    from silabu.entries.models import Entry

    return db.session.scalar(select(func.count(Entry.id)))


@contextmanager
def statements(db):
    seen: list[str] = []

    def log(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", log)


# --- the service ---------------------------------------------------------------------------------------------------

def test_same_date_code_and_activity_is_a_possible_duplicate(asn, db):
    from silabu.entries import services

    first, _ = services.create_entry(asn, raw())
    db.session.commit()
    with pytest.raises(services.PossibleDuplicate) as caught:
        services.create_entry(asn, raw(activity="  menyusun NOTULA rapat koordinasi ", output="Lain"))
    assert caught.value.existing.id == first.id and caught.value.status == 409
    assert "sudah ada entri tanggal 20/08/2026" in caught.value.message.lower()
    assert count_entries(db) == 1


def test_a_confirmed_duplicate_is_saved(asn, db):
    from silabu.entries import services

    services.create_entry(asn, raw())
    second, created = services.create_entry(asn, raw(), confirm_duplicate=True)
    assert created and count_entries(db) == 2


def test_another_day_code_activity_or_person_is_no_duplicate(asn, make_asn, db):
    from silabu.entries import services

    services.create_entry(asn, raw())
    services.create_entry(asn, raw(entry_date=(TODAY - timedelta(days=1)).isoformat()))
    services.create_entry(asn, raw(output_code=OTHER_CODE))
    services.create_entry(asn, raw(activity="Rapat koordinasi anggaran"))
    services.create_entry(make_asn(), raw())
    assert count_entries(db) == 5


def test_a_resend_with_the_same_client_uuid_is_never_a_duplicate(asn, db):
    from silabu.entries import services

    cu = str(uuid.uuid4())
    services.create_entry(asn, raw(), confirm_duplicate=True)
    first, created = services.create_entry(asn, raw(), client_uuid=cu, confirm_duplicate=True)
    again, created_again = services.create_entry(asn, raw(), client_uuid=cu)
    assert created and not created_again and again.id == first.id and count_entries(db) == 2


def test_the_duplicate_and_resend_check_is_one_query(asn, db):
    from silabu.entries import services

    services.create_entry(asn, raw(), client_uuid=str(uuid.uuid4()))
    db.session.commit()
    with statements(db) as seen, pytest.raises(services.PossibleDuplicate):
        services.create_entry(asn, raw(), client_uuid=str(uuid.uuid4()))
    entry_reads = [s for s in seen if re.search(r"FROM entries\b", s)]
    assert len(entry_reads) == 1, entry_reads


def test_a_bad_entry_is_refused_for_its_fields_before_it_is_called_a_duplicate(asn, db):
    from silabu.core.errors import ValidationFailed
    from silabu.entries import services

    services.create_entry(asn, raw())
    with pytest.raises(ValidationFailed) as caught:
        services.create_entry(asn, raw(quantity="0"))
    assert "quantity" in caught.value.fields


# --- the API -------------------------------------------------------------------------------------------------------

def test_api_answers_409_possible_duplicate_with_the_existing_entry(client, asn, api_token, db):
    h = api_token(asn)
    first = client.post("/api/v1/entries", json=raw(quantity=1), headers=h)
    assert first.status_code == 201
    r = client.post("/api/v1/entries", json=raw(quantity=2), headers=h)
    assert r.status_code == 409
    err = r.json["error"]
    assert err["code"] == "possible_duplicate" and err["existing"]["id"] == first.json["id"]
    assert "Simpan juga" in err["message"]
    assert count_entries(db) == 1
    r = client.post("/api/v1/entries", json=raw(quantity=2, confirm_duplicate=True), headers=h)
    assert r.status_code == 201 and count_entries(db) == 2


def test_api_confirm_duplicate_must_be_true_not_just_truthy(client, asn, api_token, db):
    h = api_token(asn)
    client.post("/api/v1/entries", json=raw(quantity=1), headers=h)
    r = client.post("/api/v1/entries", json=raw(confirm_duplicate="false"), headers=h)
    assert r.status_code == 409 and count_entries(db) == 1


def test_api_resend_of_the_same_client_uuid_returns_the_entry_not_a_409(client, asn, api_token, db):
    h = api_token(asn)
    cu = str(uuid.uuid4())
    r1 = client.post("/api/v1/entries", json=raw(quantity=1, client_uuid=cu), headers=h)
    r2 = client.post("/api/v1/entries", json=raw(quantity=1, client_uuid=cu), headers=h)
    assert (r1.status_code, r2.status_code) == (201, 200) and r1.json["id"] == r2.json["id"]


def test_openapi_describes_confirm_duplicate(client, asn, api_token):
    spec = client.get("/api/v1/openapi.json", headers=api_token(asn)).json
    post = spec["paths"]["/api/v1/entries"]["post"]
    props = post["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["confirm_duplicate"]["type"] == "boolean"
    assert "possible_duplicate" in post["responses"]["409"]["description"]


# --- the page, without JavaScript ------------------------------------------------------------------------------------

def page_form(web, url="/entri/baru") -> dict:
    resp = web.get(url)
    assert resp.headers["Cache-Control"] == "no-store"
    page = lxml.html.fromstring(resp.get_data(as_text=True))
    form = page.get_element_by_id("entry-form")
    return {"csrf_token": form.xpath(".//input[@name='csrf_token']/@value")[0],
            "client_uuid": form.xpath(".//input[@name='client_uuid']/@value")[0]}


def form(**over):
    data = {"entry_date": TODAY.isoformat(), "output_code": CODE, "activity": "Menyusun notula rapat koordinasi",
            "output": "Notula", "quantity": "1", "unit": "Dokumen", "start_time": "", "end_time": "",
            "action": "submit"}
    data.update(over)
    return data


def test_each_form_render_gets_its_own_client_uuid_from_the_server(web):
    a, b = page_form(web)["client_uuid"], page_form(web)["client_uuid"]
    assert a != b and uuid.UUID(a) and uuid.UUID(b)


def test_back_after_save_and_submit_then_send_again_saves_nothing_new(web, db):
    from silabu.entries.models import Entry

    hidden = page_form(web)
    first = web.post("/entri/baru", data=form(**hidden))
    assert first.status_code == 302 and first.headers["Location"].endswith("/beranda")
    again = web.post("/entri/baru", data=form(**hidden))  # Back: the browser restored the same form
    entry = db.session.scalar(select(Entry))
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/entri/{entry.id}")
    assert count_entries(db) == 1
    assert "sudah tersimpan sebelumnya" in web.get(again.headers["Location"]).get_data(as_text=True)


def test_page_asks_before_saving_a_possible_duplicate_then_saves_when_confirmed(web, db):
    web.post("/entri/baru", data=form(**page_form(web)))
    hidden = page_form(web)  # a fresh form, typed again with the same date, code and activity
    resp = web.post("/entri/baru", data=form(**hidden, output="Notula kedua"))
    assert resp.status_code == 409 and count_entries(db) == 1
    page = lxml.html.fromstring(resp.get_data(as_text=True))
    box = page.get_element_by_id("duplicate")
    assert "Sudah ada entri tanggal 20/08/2026" in box.text_content()
    assert box.xpath(".//a[contains(@href, '/entri/')]") and box.xpath(".//input[@name='confirm_duplicate']")
    # what was typed comes back, with the same client_uuid
    assert page.xpath("//textarea[@name='output']")[0].text == "Notula kedua"
    assert page.xpath("//input[@name='client_uuid']/@value")[0] == hidden["client_uuid"]
    ok = web.post("/entri/baru", data=form(**hidden, output="Notula kedua", confirm_duplicate="1"))
    assert ok.status_code == 302 and count_entries(db) == 2


def test_a_question_about_a_duplicate_says_chosen_files_must_be_chosen_again(web, db):
    import io

    from tests.conftest import UPLOADS

    web.post("/entri/baru", data=form(**page_form(web)))
    data = form(**page_form(web))
    data["files"] = (io.BytesIO((UPLOADS / "good/nota_dinas.pdf").read_bytes()), "nota_dinas.pdf")
    resp = web.post("/entri/baru", data=data, content_type="multipart/form-data")
    assert resp.status_code == 409 and "pilih lagi" in resp.get_data(as_text=True)
    assert count_entries(db) == 1
