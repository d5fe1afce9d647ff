"""Issue 14, point 2: the owner takes a submitted entry, not yet verified or returned, back to draft; logged like
every transition, through the same service on the page and the API."""
from __future__ import annotations

import lxml.html
import pytest

from tests.daily_log import NOW, TODAY, WIB, asn, frozen  # noqa: F401 - fixtures pytest finds by name


@pytest.fixture()
def kasubag(make_kasubag):
    return make_kasubag()


def actions(entry) -> list[str]:
    from silabu.core import audit

    return [ev.action for ev in audit.history("entries", entry.id)]


def test_a_submitted_entry_goes_back_to_draft_and_the_withdrawal_is_logged(asn, make_entry, db):
    from silabu.entries import services
    from silabu.entries.models import EntryStatus

    entry = make_entry(asn, TODAY, status="submitted")
    version = entry.version
    services.withdraw_entry(entry, asn)
    db.session.commit()
    assert entry.status == EntryStatus.DRAFT and entry.submitted_at is None and entry.version > version
    assert actions(entry)[-1] == "entry.withdraw"
    assert services.action_label("entry.withdraw") == "Ditarik kembali"
    services.update_entry(entry, asn, {"activity": "Diperbaiki setelah ditarik"})  # editable again


@pytest.mark.parametrize("state", ["draft", "verified", "returned"])
def test_only_an_entry_waiting_for_verification_can_be_withdrawn(asn, kasubag, make_entry, db, state):
    from silabu.core.errors import Conflict
    from silabu.entries import services
    from silabu.verification import services as verification

    entry = make_entry(asn, TODAY, status="draft" if state == "draft" else "submitted")
    if state == "verified":
        verification.verify_entry(entry, kasubag)
    elif state == "returned":
        verification.return_entry(entry, kasubag, "Lengkapi bukti")
    db.session.commit()
    before = entry.status
    with pytest.raises(Conflict) as caught:
        services.withdraw_entry(entry, asn)
    assert caught.value.code == "not_submitted" and "menunggu verifikasi" in caught.value.message
    assert entry.status == before and "entry.withdraw" not in actions(entry)


def test_nobody_but_the_owner_withdraws(asn, kasubag, make_entry, db):
    from silabu.core.errors import NotFound
    from silabu.entries import services
    from silabu.entries.models import EntryStatus

    entry = make_entry(asn, TODAY, status="submitted")
    with pytest.raises(NotFound):
        services.withdraw_entry(entry, kasubag)
    assert entry.status == EntryStatus.SUBMITTED


def test_an_entry_in_a_closed_month_cannot_be_withdrawn(asn, make_entry, db):
    from silabu.core.errors import Conflict
    from silabu.entries import services
    from silabu.entries.models import EntryStatus, UnitMonth

    entry = make_entry(asn, TODAY, status="submitted")
    db.session.add(UnitMonth(unit_id=entry.unit_id, period=entry.period, is_closed=True))
    db.session.commit()
    db.session.refresh(entry)
    with pytest.raises(Conflict):
        services.withdraw_entry(entry, asn)
    assert entry.status == EntryStatus.SUBMITTED


def test_api_withdraw(client, asn, kasubag, make_entry, api_token, db):
    entry = make_entry(asn, TODAY, status="submitted")
    other = client.post(f"/api/v1/entries/{entry.id}/withdraw", headers=api_token(kasubag))
    assert other.status_code == 404
    h = api_token(asn)
    r = client.post(f"/api/v1/entries/{entry.id}/withdraw", headers=h)
    assert r.status_code == 200 and r.json["status"] == "draft" and r.json["editable"] is True
    again = client.post(f"/api/v1/entries/{entry.id}/withdraw", headers=h)
    assert again.status_code == 409 and again.json["error"]["code"] == "not_submitted"
    assert again.json["error"]["entry"]["status"] == "draft"
    history = client.get(f"/api/v1/entries/{entry.id}", headers=h).json["history"]
    assert history[-1]["action"] == "entry.withdraw"
    spec = client.get("/api/v1/openapi.json", headers=h).json
    assert "post" in spec["paths"]["/api/v1/entries/{entry_id}/withdraw"]


def test_the_detail_page_offers_withdraw_while_waiting_and_it_works(client, asn, make_entry, login_as, db):
    from silabu.entries.models import EntryStatus

    entry = make_entry(asn, TODAY, status="submitted")
    web = login_as(asn)
    page = lxml.html.fromstring(web.get(f"/entri/{entry.id}").get_data(as_text=True))
    forms = page.xpath(f"//form[@action='/entri/{entry.id}/tarik']")
    assert forms and "Tarik kembali" in forms[0].text_content()
    resp = web.post(f"/entri/{entry.id}/tarik", follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "ditarik kembali menjadi draf" in text and "Ditarik kembali" in text
    db.session.refresh(entry)
    assert entry.status == EntryStatus.DRAFT
    page = lxml.html.fromstring(text)
    assert not page.xpath(f"//form[@action='/entri/{entry.id}/tarik']")  # a draft offers Ajukan, not Tarik
    again = web.post(f"/entri/{entry.id}/tarik", follow_redirects=True)
    assert "Hanya entri yang sedang menunggu verifikasi" in again.get_data(as_text=True)
