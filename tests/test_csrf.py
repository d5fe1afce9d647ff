"""CSRF on every state-changing route, generated from the app's URL map so that a new route cannot be forgotten.

A browser session that posts without the form's token gets 400 and a message in Bahasa Indonesia, whatever the
route (pages and the API alike) and before the route looks at anything else; a bearer-token API call needs no
token (a token is not sent by the browser on its own, so it cannot be forged across sites).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.routing.converters import NumberConverter

from silabu.core.audit import AuditEvent
from tests.conftest import PASSWORD

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Routes that answer before any session exists (no session, so nothing a forged request could ride on).
NO_SESSION_NEEDED = {"api.issue_token"}


def _unsafe_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        args = {name: "1" if isinstance(rule._converters[name], NumberConverter) else "x" for name in rule.arguments}
        if "period" in args or "month" in args:
            args.update({k: "2026-10" for k in ("period", "month") if k in args})
        if "year" in args:
            args["year"] = "2026"
        url = rule.build(args, append_unknown=False)[1]
        for method in sorted(rule.methods & set(UNSAFE)):
            routes.append((rule.endpoint, method, url))
    return sorted(routes)


@pytest.fixture()
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def _session_client(app, user):
    client = app.test_client()
    page = client.get("/masuk")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    resp = client.post("/masuk", data={"login": user.nip, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return client


def test_the_generated_list_covers_the_forms_and_the_api(app):
    endpoints = {e for e, _, _ in _unsafe_routes(app)}
    assert len(endpoints) > 60
    for expected in ("entries.new", "verification.close", "pleno.build", "admin.user_new", "api.create_entry",
                     "api.verify_entry", "api.upload_evidence", "lkj.step", "auth.logout"):
        assert expected in endpoints


def test_every_state_changing_route_refuses_a_session_request_without_the_token(csrf_on, db, make_user):
    admin = make_user("SEK", "asn,kasubag,rendatin,sekretaris,admin")
    client = _session_client(csrf_on, admin)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    missed = []
    for endpoint, method, url in _unsafe_routes(csrf_on):
        if endpoint in NO_SESSION_NEEDED:
            continue
        resp = client.open(url, method=method, data={"x": "1"}, headers={"Accept": "text/html"})
        body = resp.get_data(as_text=True)
        if resp.status_code != 400 or "Sesi formulir kedaluwarsa" not in body:
            missed.append(f"{method} {url} ({endpoint}): {resp.status_code}")
    assert not missed, "accepted without a CSRF token:\n" + "\n".join(missed)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events  # nothing changed


def test_the_login_form_itself_needs_the_token(csrf_on, db, make_asn):
    asn = make_asn()
    resp = csrf_on.test_client().post("/masuk", data={"login": asn.nip, "password": PASSWORD})
    assert resp.status_code == 400


def test_a_bearer_token_call_needs_no_csrf_token(csrf_on, db, make_asn, client):
    asn = make_asn()
    token = client.post("/api/v1/auth/token", json={"username": asn.nip, "password": PASSWORD}).json["token"]
    resp = client.post("/api/v1/entries", headers={"Authorization": f"Bearer {token}"}, json={})
    assert resp.status_code == 422  # looked at (and refused as incomplete), not stopped by CSRF
