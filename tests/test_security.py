"""Nobody in who should not be, and no bad input that breaks a request: the outside probe's findings (issue 11),
each reproduced as it was found and asserted as it must be now. The races (items 1–3) are in test_races.py, the
formula cells (item 11) with the files that carry them, the fuzzer in test_api_fuzz.py."""
from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import date, timedelta

import pytest
from conftest import PASSWORD, PDF
from sqlalchemy import func, select

from silabu.accounts.models import LoginAttempt, Role
from silabu.core.audit import AuditEvent
from silabu.core.errors import Forbidden, ValidationFailed
from silabu.extensions import db


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session", domain="silabu.test")
    assert cookie is not None
    return cookie.value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value, domain="silabu.test")
    return other


def _refusals(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


# ---- 4. what an account owes holds on the API too


def test_a_token_of_an_account_that_must_change_its_password_creates_nothing(client, make_asn, api_token):
    asn = make_asn()
    headers = api_token(asn)
    asn.must_change_password = True
    db.session.commit()
    resp = client.post("/api/v1/entries", headers=headers, json={"entry_date": date.today().isoformat(),
                                                                 "activity": "Rapat", "output": "Notulen"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "password_change_required"
    assert client.get("/api/v1/packets", headers=headers).status_code == 403
    me = client.get("/api/v1/me", headers=headers)  # the phone can still learn what it owes
    assert me.status_code == 200 and me.json["owed_step"] == "password"


def test_a_browser_session_that_owes_two_factor_enrolment_reads_no_packet_through_the_api(
        app, client, make_user, make_kasubag):
    from silabu.accounts import two_factor

    admin = make_user("SEK", "admin")
    two_factor.set_role_policies({"kasubag"}, actor=admin)
    db.session.commit()
    kasubag = make_kasubag()
    resp = client.post("/masuk", data={"login": kasubag.nip, "password": PASSWORD})
    assert resp.status_code == 302
    assert client.get("/beranda").headers["Location"].endswith("/akun/2fa")  # the pages send it to enrol
    for path in ("/api/v1/packets", "/api/v1/lkj", "/api/v1/verification/queue"):
        resp = client.get(path)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "two_factor_required", path


# ---- 5. logging out ends the session on the server


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(app, client, make_asn, login_as):
    asn = make_asn()
    login_as(asn)
    copied = _session_cookie(client)
    assert _with_cookie(app, copied).get("/beranda").status_code == 200
    client.post("/keluar")
    stale = _with_cookie(app, copied)
    assert stale.get("/beranda").status_code == 302
    assert stale.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, make_asn, login_as):
    asn = make_asn()
    phone = app.test_client()
    phone.post("/masuk", data={"login": asn.nip, "password": PASSWORD})
    login_as(asn)
    resp = client.post("/akun/kata-sandi", data={"current_password": PASSWORD, "new_password": "Sandi-Baru-2026!",
                                                 "confirm_password": "Sandi-Baru-2026!"})
    assert resp.status_code == 302
    assert client.get("/beranda").status_code == 200
    assert phone.get("/beranda").status_code == 302


def test_deactivation_ends_the_accounts_sessions(app, client, make_asn, make_user, login_as):
    from silabu.accounts import services

    asn = make_asn()
    login_as(asn)
    copied = _session_cookie(client)
    services.set_active(asn, False, actor=make_user("SEK", "admin"))
    db.session.commit()
    assert _with_cookie(app, copied).get("/api/v1/me").status_code == 401


# ---- 6. tokens end with a password change and with two-factor enrolment


def test_a_password_change_revokes_the_accounts_api_tokens(app, client, make_asn, api_token, login_as):
    asn = make_asn()
    headers = api_token(asn)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    login_as(asn)
    resp = client.post("/akun/kata-sandi", data={"current_password": PASSWORD, "new_password": "Sandi-Baru-2026!",
                                                 "confirm_password": "Sandi-Baru-2026!"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_two_factor_enrolment_revokes_the_accounts_api_tokens(app, client, make_asn, api_token, login_as):
    import pyotp

    asn = make_asn()
    headers = api_token(asn)
    login_as(asn)
    client.post("/akun/2fa/mulai")
    db.session.expire_all()
    secret = db.session.get(type(asn), asn.id).totp_secret
    resp = client.post("/akun/2fa/konfirmasi", data={"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 200
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


# ---- 7. separation of duties


def test_nobody_appoints_themselves_plh_and_the_attempt_is_logged(db, org, make_user):
    from silabu.accounts import delegation

    admin = make_user("SEK", "admin")
    sekretaris = make_user("SEK", "asn,sekretaris")
    for actor in (admin, sekretaris):
        with pytest.raises(Forbidden) as refused:
            delegation.delegate(org["KUL"], actor, date(2026, 11, 2), date(2026, 11, 6), actor)
        assert refused.value.code == "self_delegation"
        db.session.rollback()
    assert _refusals("delegation.self_refused") == 2
    assert delegation.listing() == []


def test_the_admin_grants_itself_no_other_role_and_the_attempt_is_logged(db, make_user):
    from silabu.accounts import services

    admin = make_user("SEK", "admin", name="Admin Kantor")
    data = services.UserData(name=admin.name, unit_code="SEK", roles="admin,kasubag", nip=admin.nip)
    with pytest.raises(ValidationFailed) as refused:
        services.update_user(admin, data, actor=admin)
    assert "sendiri" in refused.value.fields["roles"]
    db.session.rollback()
    assert _refusals("user.self_roles_refused") == 1
    assert {r.role for r in db.session.get(type(admin), admin.id).role_rows} == {Role.ADMIN}


# ---- 8. lockout per account and address, from a trusted proxy only, holding under parallel tries


def test_forty_parallel_wrong_passwords_check_at_most_the_limit(app, make_asn):
    nip = make_asn().nip
    barrier = threading.Barrier(40)
    statuses: list[int] = []

    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            client = app.test_client()
            barrier.wait()
            resp = client.post("/api/v1/auth/token", json={"username": nip, "password": "salah-sekali"})
            statuses.append(resp.status_code)
        except BaseException as exc:  # a thread's failure must fail the test, not vanish
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(statuses) == 40 and set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= app.config["LOGIN_MAX_ATTEMPTS"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) <= app.config["LOGIN_MAX_ATTEMPTS"]


def test_a_forwarded_for_header_is_ignored_without_a_trusted_proxy(client, make_asn):
    asn = make_asn()
    for i in range(5):
        client.post("/api/v1/auth/token", json={"username": asn.nip, "password": "salah"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"})
    resp = client.post("/api/v1/auth/token", json={"username": asn.nip, "password": PASSWORD},
                       headers={"X-Forwarded-For": "198.51.100.99"})
    assert resp.status_code == 429  # a made-up address does not give a fresh count


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_clients(app, make_asn):
    from silabu import create_app

    proxied = create_app({"TESTING": True, "SECRET_KEY": "t",
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],  # this worker's database
                          "UPLOAD_DIR": app.config["UPLOAD_DIR"], "SERVER_NAME": "silabu.test",
                          "LOGIN_MAX_ATTEMPTS": 5, "TRUSTED_PROXIES": 1, "WTF_CSRF_ENABLED": False,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    asn = make_asn()
    client = proxied.test_client()
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"username": asn.nip, "password": "salah"},
                    headers={"X-Forwarded-For": "203.0.113.5"})
    locked = client.post("/api/v1/auth/token", json={"username": asn.nip, "password": PASSWORD},
                         headers={"X-Forwarded-For": "203.0.113.5"})
    other_desk = client.post("/api/v1/auth/token", json={"username": asn.nip, "password": PASSWORD},
                             headers={"X-Forwarded-For": "203.0.113.6"})
    assert (locked.status_code, other_desk.status_code) == (429, 200)
    with proxied.app_context():
        db.session.remove()


# ---- 9. a draft is its owner's until submitted


def test_a_verifier_and_the_sekretaris_cannot_read_a_staff_draft_or_its_photo(
        client, make_asn, make_kasubag, make_user, make_entry, api_token):
    from silabu.entries.evidence import add_evidence

    asn = make_asn()
    draft = make_entry(asn, date(2026, 11, 2))
    evidence = add_evidence(draft, asn, "notulen.pdf", PDF)
    db.session.commit()
    for reader in (make_kasubag(), make_user("SEK", "asn,sekretaris")):
        headers = api_token(reader)
        assert client.get(f"/api/v1/entries/{draft.id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/evidence/{evidence.id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/evidence/{evidence.id}/file", headers=headers).status_code == 404
    assert client.get(f"/api/v1/entries/{draft.id}", headers=api_token(asn)).status_code == 200


# ---- 10. a made-up bearer header does not lift the CSRF check of a browser session


def test_a_session_call_with_a_bogus_bearer_header_still_needs_the_csrf_token(app, make_asn):
    import re

    asn = make_asn()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = app.test_client()
        page = browser.get("/masuk").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        browser.post("/masuk", data={"login": asn.nip, "password": PASSWORD, "csrf_token": token})
        resp = browser.post("/api/v1/entries", headers={"Authorization": "Bearer bukan-token"},
                            json={"entry_date": date.today().isoformat(), "activity": "Rapat", "output": "Notulen"})
        assert resp.status_code == 400 and resp.json["error"]["code"] == "csrf_failed"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# ---- 12. a document is served under its detected type and checked by its structure


@pytest.mark.parametrize("uploaded, served", [("rapat.html", "rapat.pdf"), ("laporan\u202efdp.exe", "laporanfdp.pdf"),
                                              ("notulen.PDF", "notulen.PDF")])
def test_a_document_downloads_with_the_extension_of_what_it_is(client, make_asn, make_entry, api_token,
                                                               uploaded, served):
    asn = make_asn()
    entry = make_entry(asn, date(2026, 11, 2))
    headers = api_token(asn)
    resp = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=headers,
                       data={"file": (io.BytesIO(PDF), uploaded)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    download = client.get(f"/api/v1/evidence/{resp.json['id']}/file", headers=headers)
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and served in disposition and "\u202e" not in disposition


def _docx_without_its_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                                           'content-types"><Override PartName="/word/document.xml" ContentType='
                                           '"application/vnd.openxmlformats-officedocument.wordprocessingml.'
                                           'document.main+xml"/></Types>')
        zf.writestr("word/document.xml", "<w:document><w:body>tidak selesai")
    return out.getvalue()


@pytest.mark.parametrize("name, data", [
    ("rapat.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40),
    ("kosong.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    ("laporan.docx", _docx_without_its_document()),
])
def test_a_document_no_reader_can_open_is_refused_while_the_original_is_at_hand(
        client, make_asn, make_entry, api_token, name, data):
    asn = make_asn()
    entry = make_entry(asn, date(2026, 11, 2))
    resp = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=api_token(asn),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert resp.status_code == 422
    message = resp.json["error"]["message"]
    assert "rusak" in message or "tidak memiliki halaman" in message
    assert client.get(f"/api/v1/entries/{entry.id}", headers=api_token(asn)).json["evidence"] == []


# ---- 13. a refusal before the body is read closes the connection


def test_an_upload_refused_before_its_body_is_read_answers_connection_close(client, make_asn):
    body = {"file": (io.BytesIO(b"\xff" * 2_000_000), "foto.jpg")}
    resp = client.post("/api/v1/entries/999/evidence", data=body, content_type="multipart/form-data")
    assert resp.status_code == 401 and resp.headers["Connection"] == "close"
    assert client.get("/api/v1/openapi.json").headers.get("Connection") != "close"


# ---- bad input that used to answer 500


def test_nul_bytes_and_lone_surrogates_are_a_clear_422(client, make_asn, api_token):
    headers = api_token(make_asn())
    today = date.today().isoformat()
    assert client.post("/api/v1/auth/token", json={"username": "a\x00b", "password": "x"}).status_code == 422
    for body in ({"entry_date": today, "activity": "Rapat\x00", "output": "Notulen"},
                 {"entry_date": today, "activity": "Rapat \ud800", "output": "Notulen"}):
        resp = client.post("/api/v1/entries", headers=headers, data=json.dumps(body),
                           content_type="application/json")
        assert resp.status_code == 422 and "tidak sah" in json.dumps(resp.json["error"]["fields"])
    assert client.get("/api/v1/output-codes?q=a%00b", headers=headers).status_code == 422
    assert client.get("/api/v1/entries", headers=headers).json == client.get("/api/v1/entries",
                                                                            headers=headers).json  # nothing saved


def test_json_nested_a_hundred_thousand_deep_is_refused(client, make_asn, api_token):
    deep = "[" * 100_000 + "]" * 100_000
    resp = client.post("/api/v1/entries", headers=api_token(make_asn()), data=deep, content_type="application/json")
    assert resp.status_code == 422


@pytest.mark.parametrize("path", [
    "/api/v1/entries/10000000000000000001", "/api/v1/evidence/99999999999999999999",
    "/api/v1/entries?user_id=10000000000000000001", "/api/v1/output-codes?limit=abc", "/api/v1/output-codes?limit=-1",
    "/api/v1/packets?year=-1", "/api/v1/packets?year=99999", "/api/v1/entries?month=2026-13",
    # past PostgreSQL's 32-bit INTEGER, within SQLite's 64 bits: "integer out of range" was a 500 (the fuzzer, signed in)
    "/api/v1/entries/2147483648", "/api/v1/evidence/268198419655430", "/api/v1/entries?user_id=2147483648",
])
def test_numbers_out_of_range_are_a_4xx(client, make_asn, api_token, path):
    resp = client.get(path, headers=api_token(make_asn()))
    assert resp.status_code in (404, 422), (path, resp.status_code)
    assert resp.json["error"]["message"]


def test_an_id_past_the_databases_integers_in_a_write_is_a_4xx(client, make_asn, make_user, api_token):
    headers = api_token(make_asn())
    assert client.patch("/api/v1/entries/268198419655430", headers=headers, json={"activity": "x"}).status_code == 404
    sekretaris = api_token(make_user("SEK", "sekretaris"))
    resp = client.post("/api/v1/delegations", headers=sekretaris, json={
        "unit": "KUL", "delegate_id": 268198419655430, "start_date": "2026-11-02", "end_date": "2026-11-03"})
    assert resp.status_code == 422 and "delegate_id" in resp.json["error"]["fields"]


def test_a_negative_limit_does_not_return_every_code(client, make_asn, api_token):
    assert client.get("/api/v1/output-codes?limit=-1", headers=api_token(make_asn())).status_code == 422


def test_login_next_with_a_line_break_does_not_split_the_redirect(client, make_asn):
    asn = make_asn()
    resp = client.post("/masuk?next=/beranda%0d%0aSet-Cookie:%20x=1", data={"login": asn.nip, "password": PASSWORD})
    assert resp.status_code == 302 and "\n" not in resp.headers["Location"] and "Set-Cookie" not in resp.headers[
        "Location"]


def test_an_activity_of_only_zero_width_spaces_is_empty(client, make_asn, api_token):
    resp = client.post("/api/v1/entries", headers=api_token(make_asn()),
                       json={"entry_date": date.today().isoformat(), "activity": "\u200b\u200b\u200c\u2060",
                             "output": "Notulen"})
    assert resp.status_code == 422 and "activity" in resp.json["error"]["fields"]


def test_a_thousand_tiny_files_get_a_message_about_their_number_not_the_size(client, make_asn, make_entry,
                                                                             api_token):
    asn = make_asn()
    entry = make_entry(asn, date.today() - timedelta(days=1))
    from werkzeug.datastructures import MultiDict

    files = MultiDict([("file", (io.BytesIO(b"x"), f"f{i}.txt")) for i in range(1000)])
    resp = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=api_token(asn), data=files,
                       content_type="multipart/form-data")
    assert resp.status_code == 413
    assert "Terlalu banyak berkas" in resp.json["error"]["message"] and "MB" not in resp.json["error"]["message"]
