"""The JSON API for entries: shapes fixed in API.md, the rules of the entry service, and access."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import time_machine

from tests.conftest import CODE

TODAY = date(2026, 11, 18)  # a Wednesday


def body(**kw):
    data = dict(entry_date=TODAY.isoformat(), output_code=CODE, activity="Menyusun notula rapat koordinasi",
                output="Notula rapat", quantity=1, unit="Dokumen")
    data.update(kw)
    return data


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_asn_creates_a_draft_entry(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    r = client.post("/api/v1/entries", json=body(), headers=h)
    assert r.status_code == 201
    e = r.json
    assert e["status"] == "draft" and e["locked"] is False and e["evidence"] == []
    assert e["entry_date"] == "2026-11-18" and e["output_code"] == CODE and e["quantity"] == 1


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_same_client_uuid_twice_makes_one_entry(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    cu = str(uuid.uuid4())
    r1 = client.post("/api/v1/entries", json=body(client_uuid=cu), headers=h)
    r2 = client.post("/api/v1/entries", json=body(client_uuid=cu), headers=h)
    assert r1.status_code == 201 and r2.status_code == 200
    assert r1.json["id"] == r2.json["id"]
    listed = client.get("/api/v1/entries?month=2026-11", headers=h).json["items"]
    assert len(listed) == 1


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_impossible_input_is_refused_with_a_message_per_field(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    cases = {
        "entry_date": body(entry_date=(TODAY + timedelta(days=1)).isoformat()),
        "quantity": body(quantity=0),
        "output_code": body(output_code="999.99.ZZ"),
        "activity": body(activity="x" * 10_000),
        "end_time": body(start_time="10:00", end_time="09:00"),
    }
    for field, data in cases.items():
        r = client.post("/api/v1/entries", json=data, headers=h)
        assert r.status_code == 422, field
        assert r.json["error"]["code"] == "validation_error"
        assert field in r.json["error"]["fields"], (field, r.json)
    negative = client.post("/api/v1/entries", json=body(quantity=-3), headers=h)
    assert negative.status_code == 422
    assert client.get("/api/v1/entries?month=2026-11", headers=h).json["items"] == []


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_future_date_uses_the_satker_timezone(client, make_asn, api_token, db, org):
    # 23:30 WIB on the 18th is still the 18th in Jakarta but the 19th in Jayapura (WIT).
    asn = make_asn()
    h = api_token(asn)
    with time_machine.travel("2026-11-18 16:30 +00:00", tick=False):
        assert client.post("/api/v1/entries", json=body(entry_date="2026-11-19"), headers=h).status_code == 422
        org["KUL"].satker.timezone = "Asia/Jayapura"
        db.session.commit()
        assert client.post("/api/v1/entries", json=body(entry_date="2026-11-19"), headers=h).status_code == 201


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_inactive_output_code_cannot_be_used(client, make_asn, api_token, db):
    from silabu.catalog.models import OutputCode

    asn = make_asn()
    db.session.execute(db.update(OutputCode).where(OutputCode.code == CODE).values(is_active=False))
    db.session.commit()
    r = client.post("/api/v1/entries", json=body(), headers=api_token(asn))
    assert r.status_code == 422 and "output_code" in r.json["error"]["fields"]
    codes = [c["code"] for c in client.get("/api/v1/output-codes", headers=api_token(asn)).json["items"]]
    assert CODE not in codes and codes


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_owner_edits_and_deletes_a_draft(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    eid = client.post("/api/v1/entries", json=body(), headers=h).json["id"]
    r = client.patch(f"/api/v1/entries/{eid}", json={"activity": "Revisi notula"}, headers=h)
    assert r.status_code == 200 and r.json["activity"] == "Revisi notula"
    assert client.patch(f"/api/v1/entries/{eid}", json={"quantity": 0}, headers=h).status_code == 422
    assert client.get(f"/api/v1/entries/{eid}", headers=h).json["quantity"] == 1
    assert client.delete(f"/api/v1/entries/{eid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/entries/{eid}", headers=h).status_code == 404


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_submitted_entry_cannot_be_edited_or_deleted(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    eid = client.post("/api/v1/entries", json=body(), headers=h).json["id"]
    r = client.post(f"/api/v1/entries/{eid}/submit", headers=h)
    assert r.status_code == 200 and r.json["status"] == "submitted"
    assert client.patch(f"/api/v1/entries/{eid}", json={"activity": "x"}, headers=h).status_code == 409
    assert client.delete(f"/api/v1/entries/{eid}", headers=h).status_code == 409
    assert client.post(f"/api/v1/entries/{eid}/submit", headers=h).status_code == 409


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_another_asn_never_sees_or_touches_an_entry(client, make_asn, api_token):
    a, b = make_asn(), make_asn()
    ha, hb = api_token(a), api_token(b)
    eid = client.post("/api/v1/entries", json=body(), headers=ha).json["id"]
    assert client.get(f"/api/v1/entries/{eid}", headers=hb).status_code == 404
    assert client.patch(f"/api/v1/entries/{eid}", json={"activity": "x"}, headers=hb).status_code == 404
    assert client.delete(f"/api/v1/entries/{eid}", headers=hb).status_code == 404
    assert client.post(f"/api/v1/entries/{eid}/submit", headers=hb).status_code == 404
    # Another person's list and an unknown user id answer alike: whether a user id exists is not told.
    assert client.get(f"/api/v1/entries?month=2026-11&user_id={a.id}", headers=hb).status_code == 404
    assert client.get("/api/v1/entries?month=2026-11&user_id=999999", headers=hb).status_code == 404
    assert client.get(f"/api/v1/entries/{eid}", headers=ha).status_code == 200


def test_api_needs_a_token_and_answers_in_the_error_shape(client, make_asn):
    r = client.get("/api/v1/entries")
    assert r.status_code == 401
    assert set(r.json["error"]) >= {"code", "message"}
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer slb_not-a-token"})
    assert r.status_code == 401


def test_token_login_and_me(client, make_asn, api_token):
    asn = make_asn(name="Sri Wahyuni")
    h = api_token(asn)
    me = client.get("/api/v1/me", headers=h).json
    assert me["nip"] == asn.nip and me["name"] == "Sri Wahyuni" and me["unit"]["code"] == "KUL"
    assert me["roles"] == ["asn"]
    bad = client.post("/api/v1/auth/token", json={"username": asn.nip, "password": "salah-sekali"})
    assert bad.status_code == 401 and bad.json["error"]["message"]


def test_revoked_token_stops_working(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    assert client.delete("/api/v1/auth/token", headers=h).status_code == 200
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_openapi_lists_the_fixed_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for p in ("/api/v1/entries", "/api/v1/entries/{entry_id}", "/api/v1/entries/{entry_id}/evidence",
              "/api/v1/entries/{entry_id}/submit", "/api/v1/auth/token", "/api/v1/me", "/api/v1/output-codes",
              "/api/v1/evidence/{evidence_id}"):
        assert p in paths, p


def test_openapi_matches_the_url_map(app, client):
    """Every /api/v1 route is described, and every described path exists."""
    import re

    spec_paths = set(client.get("/api/v1/openapi.json").json["paths"])
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            routes.add(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule))
    assert routes - spec_paths == set(), "routes missing from OpenAPI"
    assert spec_paths - routes == set(), "OpenAPI paths without a route"


def test_malformed_json_is_a_422(client, make_asn, api_token):
    asn = make_asn()
    r = client.post("/api/v1/entries", data="{not json", headers={**api_token(asn), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json["error"]["message"]


def test_session_api_calls_need_csrf(app, make_asn):
    """A browser session calling the API must send the CSRF token; a bearer token needs none."""
    from tests.conftest import login

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        c = app.test_client()
        asn = make_asn()
        page = c.get("/masuk")
        import re

        token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
        c.post("/masuk", data={"login": asn.nip, "password": "Rahasia-Uji-2026", "csrf_token": token})
        r = c.post("/api/v1/entries", json=body())
        assert r.status_code == 400 and r.json["error"]["code"] == "csrf_failed"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    del login
