"""Two-factor login (TOTP): enrolment, the second login step, lockout, recovery codes, the role policy,
API tokens, the admin's reset, and replayed codes."""
from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select
from werkzeug.security import check_password_hash

from silabu.accounts import two_factor
from silabu.accounts.models import LoginAttempt, RecoveryCode, RolePolicy, User
from silabu.core.audit import AuditEvent
from tests.conftest import PASSWORD, login

T0 = datetime(2026, 11, 30, 8, 0, 5, tzinfo=UTC)  # month-end morning, 5 s into a 30 s step


@pytest.fixture()
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def enrol(db, user) -> list[str]:
    """Turn two-factor login on through the services (as the enrolment page does)."""
    two_factor.start_enrolment(user)
    codes = two_factor.confirm_enrolment(user, pyotp.TOTP(user.totp_secret).now())
    db.session.commit()
    return codes


def fresh(db, user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def code_of(user) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def audit_actions(db, user) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "users", AuditEvent.object_id == user.id,
        AuditEvent.action.startswith("user.2fa")).order_by(AuditEvent.id)))


# ---------------------------------------------------------------- enrolment

def test_enrolment_shows_secret_and_qr_and_needs_a_valid_code(client, db, make_asn, clock, caplog):
    caplog.set_level(logging.DEBUG)
    asn = make_asn()
    login(client, asn)
    r = client.get("/akun/2fa")
    assert r.status_code == 200 and "Mulai aktifkan" in r.get_data(as_text=True)
    assert client.post("/akun/2fa/mulai").status_code == 302
    secret = fresh(db, asn).totp_secret
    assert secret and len(secret) == 32

    r = client.get("/akun/2fa")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert secret in html and "otpauth://totp/SILABU:" in html
    assert '<img src="data:image/svg+xml;base64,' in html
    # The CSP forbids inline styles and scripts: the page must not need them.
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)

    r = client.post("/akun/2fa/konfirmasi", data={"code": "000000" if code_of(asn) != "000000" else "111111"})
    assert r.status_code == 422 and "Kode verifikasi salah" in r.get_data(as_text=True)
    assert not fresh(db, asn).has_two_factor

    r = client.post("/akun/2fa/konfirmasi", data={"code": pyotp.TOTP(secret).now()})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", html)
    assert len(codes) == 10 and len(set(codes)) == 10
    asn = fresh(db, asn)
    assert asn.has_two_factor and asn.totp_enabled_at is not None
    rows = list(db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == asn.id)))
    assert len(rows) == 10
    stored = " ".join(row.code_hash for row in rows)
    assert all(c not in stored and c.replace("-", "") not in stored for c in codes)
    assert any(check_password_hash(row.code_hash, codes[0].replace("-", "")) for row in rows)
    assert client.get("/beranda").status_code == 200  # the session that enrolled goes on

    assert audit_actions(db, asn) == ["user.2fa_enrol_start", "user.2fa_enable"]
    # Never logged or audited: the secret and the codes.
    audit_text = json.dumps([[e.before, e.after, e.note] for e in db.session.scalars(select(AuditEvent))])
    for text in (audit_text, caplog.text):
        assert secret not in text and not any(c in text or c.replace("-", "") in text for c in codes)


def test_enrolment_needs_a_code_of_the_new_secret(db, make_asn, clock):
    asn = make_asn()
    two_factor.start_enrolment(asn)
    other = pyotp.random_base32()
    with pytest.raises(two_factor.ValidationFailed):
        two_factor.confirm_enrolment(asn, pyotp.TOTP(other).now())
    assert not asn.has_two_factor


def test_enabling_two_factor_ends_other_sessions(app, db, make_asn, clock):
    asn = make_asn()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, asn)
    login(laptop, asn)
    phone.post("/akun/2fa/mulai")
    secret = fresh(db, asn).totp_secret
    assert phone.post("/akun/2fa/konfirmasi", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert phone.get("/beranda").status_code == 200
    assert laptop.get("/beranda").status_code == 302  # opened without a code: ended


# ---------------------------------------------------------------- login

def test_login_with_two_factor_asks_for_the_code_before_logging_in(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    r = client.post("/masuk?next=/bulan", data={"login": asn.nip, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/masuk/kode")
    assert fresh(db, asn).last_login_at is None
    r = client.get("/beranda")
    assert r.status_code == 302 and "/masuk" in r.headers["Location"]  # not logged in yet
    assert client.get("/masuk/kode").status_code == 200

    r = client.post("/masuk/kode", data={"code": code_of(asn)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/bulan")
    assert client.get("/beranda").status_code == 200
    assert fresh(db, asn).last_login_at is not None


def test_login_without_two_factor_needs_no_code(client, make_asn):
    asn = make_asn()
    r = login(client, asn)
    assert r.status_code == 302 and r.headers["Location"].endswith("/beranda")


def test_wrong_login_code_is_refused(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    login(client, asn)
    right = code_of(asn)
    r = client.post("/masuk/kode", data={"code": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert r.status_code == 401 and "Kode verifikasi salah" in r.get_data(as_text=True)
    assert client.get("/beranda").status_code == 302
    assert client.post("/masuk/kode", data={"code": right}).status_code == 302
    assert client.get("/beranda").status_code == 200


def test_login_code_must_come_within_five_minutes(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    login(client, asn)
    clock.shift(5 * 60 + 1)
    r = client.post("/masuk/kode", data={"code": code_of(asn)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/masuk")
    assert client.get("/beranda").status_code == 302
    assert client.get("/masuk/kode").status_code == 302  # the pending login is gone


def test_code_step_without_a_password_step_goes_back_to_login(client, db, make_asn):
    r = client.post("/masuk/kode", data={"code": "123456"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/masuk")


def test_wrong_codes_lock_out_like_wrong_passwords(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    wrong = f"{(int(code_of(asn)) + 1) % 1_000_000:06d}"
    login(client, asn)
    for _ in range(3):
        assert client.post("/masuk/kode", data={"code": wrong}).status_code == 401
    # A correct password again must not wipe the wrong codes already counted.
    assert login(client, asn).headers["Location"].endswith("/masuk/kode")
    for _ in range(2):
        assert client.post("/masuk/kode", data={"code": wrong}).status_code == 401
    assert db.session.scalar(select(db.func.count()).select_from(LoginAttempt)) == 5
    r = client.post("/masuk/kode", data={"code": code_of(asn)})
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.get_data(as_text=True)
    r = login(client, asn)
    assert r.status_code == 429
    assert client.get("/beranda").status_code == 302


def test_a_correct_code_clears_the_failed_attempts(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    login(client, asn)
    client.post("/masuk/kode", data={"code": f"{(int(code_of(asn)) + 1) % 1_000_000:06d}"})
    assert client.post("/masuk/kode", data={"code": code_of(asn)}).status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(LoginAttempt)) == 0


# ---------------------------------------------------------------- recovery codes

def test_recovery_code_works_once(app, db, make_asn, clock):
    asn = make_asn()
    codes = enrol(db, asn)
    clock.shift(60)
    first = app.test_client()
    login(first, asn)
    assert first.post("/masuk/kode", data={"code": codes[3].upper()}).status_code == 302
    assert first.get("/beranda").status_code == 200
    assert "user.2fa_recovery_used" in audit_actions(db, asn)
    assert two_factor.recovery_codes_left(fresh(db, asn)) == 9

    second = app.test_client()
    login(second, asn)
    r = second.post("/masuk/kode", data={"code": codes[3]})
    assert r.status_code == 401
    assert second.post("/masuk/kode", data={"code": codes[4]}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, db, make_asn, clock):
    asn = make_asn()
    old = enrol(db, asn)
    clock.shift(60)
    login(client, asn)
    client.post("/masuk/kode", data={"code": code_of(asn)})
    clock.shift(30)
    r = client.post("/akun/2fa/kode-pemulihan", data={"password": "salah", "code": code_of(asn)})
    assert r.status_code == 422 and "Kata sandi salah" in r.get_data(as_text=True)
    r = client.post("/akun/2fa/kode-pemulihan", data={"password": PASSWORD, "code": code_of(asn)})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", r.get_data(as_text=True))
    assert len(new) == 10
    asn = fresh(db, asn)
    assert not two_factor.use_recovery_code(asn, old[0])
    assert two_factor.use_recovery_code(asn, new[0])


# ---------------------------------------------------------------- disabling

def test_disabling_needs_password_and_code(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    login(client, asn)
    client.post("/masuk/kode", data={"code": code_of(asn)})
    clock.shift(30)
    r = client.post("/akun/2fa/nonaktifkan", data={"password": "salah", "code": code_of(asn)})
    assert r.status_code == 422 and "Kata sandi salah" in r.get_data(as_text=True)
    r = client.post("/akun/2fa/nonaktifkan", data={"password": PASSWORD, "code": ""})
    assert r.status_code == 422 and "kode 6 digit" in r.get_data(as_text=True)
    assert fresh(db, asn).has_two_factor
    r = client.post("/akun/2fa/nonaktifkan", data={"password": PASSWORD, "code": code_of(asn)})
    assert r.status_code == 302
    asn = fresh(db, asn)
    assert not asn.has_two_factor and asn.totp_secret is None
    assert two_factor.recovery_codes_left(asn) == 0
    assert audit_actions(db, asn)[-1] == "user.2fa_disable"
    client.post("/keluar")
    assert login(client, asn).headers["Location"].endswith("/beranda")


# ---------------------------------------------------------------- replay and window

def test_a_code_cannot_be_used_twice(db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    code = code_of(asn)
    assert two_factor.verify_totp(asn, code)
    assert not two_factor.verify_totp(asn, code)
    clock.shift(30)  # still inside the ±1 step window of the first code
    assert not two_factor.verify_totp(asn, code)
    assert two_factor.verify_totp(asn, code_of(asn))


def test_replayed_login_code_is_refused(app, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    code = code_of(asn)
    first, second = app.test_client(), app.test_client()
    login(first, asn)
    assert first.post("/masuk/kode", data={"code": code}).status_code == 302
    login(second, asn)
    assert second.post("/masuk/kode", data={"code": code}).status_code == 401
    assert second.get("/beranda").status_code == 302


def test_codes_of_one_step_either_side_are_accepted(db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    totp = pyotp.TOTP(asn.totp_secret)
    now = T0 + timedelta(minutes=10)
    clock.move_to(now)
    assert not two_factor.verify_totp(asn, totp.at(now - timedelta(seconds=60)))
    assert not two_factor.verify_totp(asn, totp.at(now + timedelta(seconds=60)))
    assert two_factor.verify_totp(asn, totp.at(now - timedelta(seconds=30)))
    assert two_factor.verify_totp(asn, totp.at(now + timedelta(seconds=30)))
    assert not two_factor.verify_totp(asn, "12a456")


# ---------------------------------------------------------------- role policy

def test_role_policy_forces_enrolment_before_anything_else(app, db, make_user, make_kasubag, make_asn, clock):
    admin = make_user("SEK", "admin", nip=None, username="admin")
    kasubag = make_kasubag()
    asn = make_asn()
    admin_client = app.test_client()
    login(admin_client, admin)
    r = admin_client.get("/admin/keamanan")
    assert r.status_code == 200 and "Kepala Sub Bagian" in r.get_data(as_text=True)
    assert admin_client.post("/admin/keamanan", data={"requires_2fa": ["kasubag"]}).status_code == 302
    assert db.session.scalar(select(RolePolicy).where(RolePolicy.requires_2fa.is_(True))).role.value == "kasubag"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role_policy.update"))
    assert event.actor_id == admin.id and event.after == {"role": "kasubag", "requires_2fa": True}

    c = app.test_client()
    r = login(c, kasubag)
    assert r.status_code == 302  # logged in...
    r = c.get("/beranda")
    assert r.status_code == 302 and r.headers["Location"].endswith("/akun/2fa")  # ...but sent to enrol first
    assert c.get("/bulan").headers["Location"].endswith("/akun/2fa")
    assert c.get("/akun/2fa").status_code == 200
    c.post("/akun/2fa/mulai")
    secret = fresh(db, kasubag).totp_secret
    assert c.post("/akun/2fa/konfirmasi", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert c.get("/beranda").status_code == 200

    other = app.test_client()
    login(other, asn)
    assert other.get("/beranda").status_code == 200  # the ASN role does not require it

    assert admin_client.post("/admin/keamanan", data={}).status_code == 302
    assert not two_factor.role_requires_2fa(fresh(db, kasubag))


def test_security_page_is_for_admins_only(client, make_asn):
    login(client, make_asn())
    assert client.get("/admin/keamanan").status_code == 403
    assert client.post("/admin/keamanan", data={"requires_2fa": ["asn"]}).status_code == 403


def test_unknown_role_in_the_policy_is_refused(db, make_user):
    admin = make_user("SEK", "admin", nip=None, username="admin")
    with pytest.raises(two_factor.ValidationFailed):
        two_factor.set_role_policies({"raja"}, actor=admin)


# ---------------------------------------------------------------- API

def test_api_token_needs_otp_when_two_factor_is_on(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    body = {"username": asn.nip, "password": PASSWORD}
    r = client.post("/api/v1/auth/token", json=body)
    assert r.status_code == 401 and r.json["error"]["code"] == "otp_required"
    assert "verifikasi dua langkah" in r.json["error"]["message"] and "token" not in r.json
    right = code_of(asn)
    r = client.post("/api/v1/auth/token", json={**body, "otp": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert r.status_code == 401 and r.json["error"]["code"] == "otp_required"
    assert "salah" in r.json["error"]["message"]
    r = client.post("/api/v1/auth/token", json={**body, "otp": right})
    assert r.status_code == 200 and r.json["token"].startswith("slb_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"}).status_code == 200
    r = client.post("/api/v1/auth/token", json={**body, "otp": right})  # replay
    assert r.status_code == 401 and r.json["error"]["code"] == "otp_required"
    r = client.post("/api/v1/auth/token", json={"username": asn.nip, "password": "salah", "otp": code_of(asn)})
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_credentials"


def test_api_wrong_otps_lock_out(client, db, make_asn, clock):
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    body = {"username": asn.nip, "password": PASSWORD}
    wrong = f"{(int(code_of(asn)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={**body, "otp": wrong}).status_code == 401
    r = client.post("/api/v1/auth/token", json={**body, "otp": code_of(asn)})
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"


def test_api_token_without_two_factor_needs_no_otp(client, make_asn, api_token):
    assert client.get("/api/v1/me", headers=api_token(make_asn())).status_code == 200


def test_api_token_refused_until_a_required_role_enrols(client, db, make_kasubag, make_user, clock):
    kasubag = make_kasubag()
    two_factor.set_role_policies({"kasubag"}, actor=make_user("SEK", "admin", nip=None, username="admin"))
    db.session.commit()
    r = client.post("/api/v1/auth/token", json={"username": kasubag.nip, "password": PASSWORD})
    assert r.status_code == 403 and r.json["error"]["code"] == "otp_enrolment_required"
    enrol(db, fresh(db, kasubag))
    clock.shift(60)
    r = client.post("/api/v1/auth/token", json={"username": kasubag.nip, "password": PASSWORD,
                                                "otp": code_of(fresh(db, kasubag))})
    assert r.status_code == 200


def test_openapi_documents_the_otp_field(client, db):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/auth/token"]["post"]
    assert "otp" in op["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "otp_required" in op["responses"]["401"]["description"]


# ---------------------------------------------------------------- admin reset

def test_admin_resets_a_lost_phone_and_it_is_audited(app, db, make_user, make_asn, clock):
    admin = make_user("SEK", "admin", nip=None, username="admin")
    asn = make_asn()
    enrol(db, asn)
    clock.shift(60)
    c = app.test_client()
    login(c, admin)
    r = c.get(f"/admin/pengguna/{asn.id}")
    assert r.status_code == 200 and "Atur ulang verifikasi dua langkah" in r.get_data(as_text=True)
    r = c.post(f"/admin/pengguna/{asn.id}/2fa/atur-ulang")
    assert r.status_code == 302
    asn = fresh(db, asn)
    assert not asn.has_two_factor and asn.totp_secret is None and two_factor.recovery_codes_left(asn) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.2fa_reset"))
    assert event.actor_id == admin.id and event.object_id == asn.id
    own = app.test_client()
    assert login(own, asn).headers["Location"].endswith("/beranda")  # password alone again


def test_only_admins_reset_two_factor_and_not_their_own(app, db, make_user, make_asn, clock):
    admin = make_user("SEK", "admin", nip=None, username="admin")
    asn, other = make_asn(), make_asn()
    enrol(db, asn)
    c = app.test_client()
    login(c, other)
    assert c.post(f"/admin/pengguna/{asn.id}/2fa/atur-ulang").status_code == 403
    assert fresh(db, asn).has_two_factor
    enrol(db, admin)
    with pytest.raises(two_factor.Conflict):
        two_factor.reset_by_admin(fresh(db, admin), actor=fresh(db, admin))
