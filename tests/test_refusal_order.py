"""A refused person is refused before their input is looked at, also when the services are called directly:
someone who may not act gets 403/404 whatever month, version or body they send, never the 422 that would tell
them the rest of the request was considered. Those who may act still get the 422 for a malformed month."""
from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.exc import SAWarning

from silabu.accounts import delegation
from silabu.core.errors import Forbidden, NotFound, ValidationFailed
from silabu.pleno import services as pleno
from silabu.verification import services
from tests.conftest import UPLOADS

# 1 December 2026, 10.00 WIB: November's verification window is open.
DEC_1 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
BAD = "2026-13"


@pytest.fixture()
def people(make_user, make_kasubag, make_asn, make_entry, db):
    with time_machine.travel(DEC_1, tick=False):
        kasubag = make_kasubag("KUL")
        asn = make_asn("KUL")
        make_entry(asn, date(2026, 11, 2), "submitted")
        yield {"kasubag": kasubag, "asn": asn, "asn_other": make_asn("TPH"),
               "sekretaris": make_user("SEK", "asn,sekretaris"), "ketua": make_user("SEK", "ketua"),
               "rendatin": make_user("RDI", "asn,rendatin"), "kul": kasubag.unit}


# ---------- verification ----------

def test_closing_a_month_of_a_unit_one_may_not_close_is_refused_whatever_the_month(people):
    with pytest.raises(Forbidden):  # the unit exists: refused with the reason, not hidden
        services.close_month(people["kul"], BAD, people["asn_other"])
    with pytest.raises(Forbidden):
        services.close_month(people["kul"], BAD, people["sekretaris"])
    with pytest.raises(ValidationFailed) as exc:
        services.close_month(people["kul"], BAD, people["kasubag"])
    assert "month" in exc.value.fields


def test_reopening_is_refused_before_the_month_or_the_reason_is_checked(people):
    with pytest.raises(Forbidden):
        services.reopen_month(people["kul"], BAD, people["asn_other"], "")
    with pytest.raises(Forbidden):
        services.reopen_month(people["kul"], BAD, people["sekretaris"], "")
    with pytest.raises(Forbidden):
        services.assert_may_reopen(people["sekretaris"], people["kul"])
    with pytest.raises(ValidationFailed) as exc:
        services.reopen_month(people["kul"], BAD, people["kasubag"], "")
    assert "month" in exc.value.fields


def test_verify_all_by_someone_who_may_not_verify_the_asn_is_refused_whatever_the_month(people):
    with pytest.raises(NotFound):
        services.verify_all(people["asn"], BAD, people["asn_other"])
    with pytest.raises(Forbidden):
        services.verify_all(people["kasubag"], BAD, people["kasubag"])  # one's own entries
    with pytest.raises(ValidationFailed) as exc:
        services.verify_all(people["asn"], BAD, people["kasubag"])
    assert "month" in exc.value.fields


def test_the_queue_and_softfile_of_a_unit_one_may_not_open_are_refused_whatever_the_month(people):
    kul = people["kul"]
    with pytest.raises(Forbidden):
        services.queue(people["asn_other"], BAD, unit_id=kul.id)
    with pytest.raises(Forbidden):
        services.month_report(kul, BAD, people["asn_other"])
    with pytest.raises(ValidationFailed):
        services.queue(people["kasubag"], BAD, unit_id=kul.id)
    with pytest.raises(ValidationFailed):
        services.month_report(kul, BAD, people["kasubag"])


def test_the_owner_of_an_entry_is_refused_verifying_it(people, db):
    from silabu.entries.models import Entry

    entry = db.session.query(Entry).filter_by(user_id=people["asn"].id).one()
    with time_machine.travel(DEC_1, tick=False):
        with pytest.raises(Forbidden):
            services.assert_may_verify(entry, people["asn"])
        with pytest.raises(NotFound):
            services.assert_may_verify(entry, people["asn_other"])
        services.assert_may_verify(entry, people["kasubag"])


def test_only_admin_or_sekretaris_pass_the_delegation_check(people):
    with pytest.raises(Forbidden):
        delegation.assert_may_delegate(people["kasubag"])
    delegation.assert_may_delegate(people["sekretaris"])


# ---------- pleno packets ----------

def test_building_a_packet_without_the_role_is_forbidden_whatever_the_month(people):
    with pytest.raises(Forbidden):
        pleno.build_packet(BAD, people["asn"])
    with pytest.raises(Forbidden):
        pleno.build_packet(BAD, people["ketua"])
    with pytest.raises(ValidationFailed):
        pleno.build_packet(BAD, people["rendatin"])


def test_packets_are_not_found_for_those_who_may_not_see_them_whatever_the_month(people):
    with pytest.raises(NotFound):
        pleno.get_packet_for(people["asn"], BAD)
    with pytest.raises(ValidationFailed):
        pleno.get_packet_for(people["ketua"], BAD)


def test_changing_a_packet_is_not_found_for_outsiders_and_forbidden_for_the_ketua(people):
    with pytest.raises(NotFound):
        pleno.assert_may_manage(people["asn"])
    with pytest.raises(Forbidden):
        pleno.assert_may_manage(people["ketua"])
    pleno.assert_may_manage(people["rendatin"])


# ---------- over HTTP: the order holds for a person who may act, too ----------

def test_a_verifier_with_a_bad_month_still_gets_the_validation_error(people, api_token, client):
    with time_machine.travel(DEC_1, tick=False):
        headers = api_token(people["kasubag"])
        for url in ("/api/v1/verification/KUL/2026-13", "/api/v1/verification/KUL/2026-13/export.xlsx"):
            assert client.get(url, headers=headers).status_code == 422, url
        assert client.post("/api/v1/verification/KUL/2026-13/close", headers=headers).status_code == 422
        resp = client.post(f"/api/v1/verification/{people['asn'].id}/2026-13/verify-all", headers=headers)
        assert resp.status_code == 422
        assert client.get("/api/v1/verification/queue?month=2026-13", headers=headers).status_code == 422


def test_a_sekretaris_reopening_with_a_bad_reason_is_forbidden(people, api_token, client):
    with time_machine.travel(DEC_1, tick=False):
        headers = api_token(people["sekretaris"])
        resp = client.post("/api/v1/verification/KUL/2026-11/reopen", json={"reason": 5}, headers=headers)
        assert resp.status_code == 403


def test_a_rendatin_with_a_bad_packet_body_gets_the_validation_error(people, api_token, client):
    headers = api_token(people["rendatin"])
    resp = client.post("/api/v1/packets/2026-11/present", data="{", content_type="application/json",
                       headers=headers)
    assert resp.status_code == 422
    assert client.get("/api/v1/packets/2026-11?version=x", headers=headers).status_code == 422


# ---------- deleting an entry with evidence ----------

def test_deleting_an_entry_with_evidence_deletes_each_evidence_row_once(app, make_asn, make_entry, db):
    from silabu.entries.evidence import add_evidence
    from silabu.entries.models import Evidence
    from silabu.entries.services import delete_entry

    with time_machine.travel("2026-11-18 09:00 +07:00", tick=False):
        asn = make_asn()
        entry = make_entry(asn)
        add_evidence(entry, asn, "nota.pdf", (UPLOADS / "good" / "nota_dinas.pdf").read_bytes())
        db.session.commit()
        entry_id = entry.id
        root = Path(app.config["UPLOAD_DIR"])
        with warnings.catch_warnings():
            warnings.simplefilter("error", SAWarning)  # "expected to delete 1 row(s); 0 were matched"
            delete_entry(entry, asn)
            db.session.commit()
        assert db.session.query(Evidence).filter_by(entry_id=entry_id).count() == 0
        assert not [p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts]
