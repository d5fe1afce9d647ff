"""Tokens and the caller."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user, login_required

from silabu.accounts import tokens, two_factor
from silabu.accounts.login import LoginLocked
from silabu.accounts.models import User
from silabu.api import api_bp, json_body, ok, spec
from silabu.core.errors import ServiceError
from silabu.extensions import db
from silabu.web import owed_step


def user_json(user: User) -> dict:
    return {"id": user.id, "nip": user.nip, "username": user.username, "name": user.name, "jabatan": user.jabatan,
            "golongan": user.golongan, "employment": user.employment.value if user.employment else None,
            "unit": {"id": user.unit.id, "code": user.unit.code, "name": user.unit.name},
            "roles": sorted(user.roles), "must_change_password": user.must_change_password,
            "owed_step": owed_step(user)}


class Unauthorized(ServiceError):
    status = 401
    code = "invalid_credentials"


class OtpRequired(ServiceError):
    status = 401
    code = "otp_required"


class OtpEnrolmentRequired(ServiceError):
    status = 403
    code = "otp_enrolment_required"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


@api_bp.route("/auth/token", methods=["POST"])
def issue_token():
    data = json_body()
    login = str(data.get("username") or "")
    lockout = {"max_attempts": current_app.config["LOGIN_MAX_ATTEMPTS"],
               "lock_minutes": current_app.config["LOGIN_LOCK_MINUTES"]}
    try:
        user = two_factor.password_step(login, str(data.get("password") or ""), request.remote_addr or "-", **lockout)
        if user is not None and two_factor.is_enabled(user):
            otp = str(data.get("otp") or "").strip()
            if not otp:
                raise OtpRequired("Akun ini memakai verifikasi dua langkah: kirim juga \"otp\", kode 6 digit "
                                  "dari aplikasi autentikator (atau kode pemulihan).")
            if not two_factor.code_step(user, two_factor.login_key(login), otp, request.remote_addr or "-", **lockout):
                raise OtpRequired("Kode verifikasi (otp) salah, kedaluwarsa, atau sudah dipakai.")
    except LoginLocked as exc:
        raise RateLimited(str(exc)) from None
    if user is None:
        raise Unauthorized("NIP/nama pengguna atau kata sandi salah, atau akun tidak aktif.")
    if two_factor.needs_enrolment(user):
        raise OtpEnrolmentRequired("Peran Anda mewajibkan verifikasi dua langkah. Aktifkan dulu melalui halaman "
                                   "Akun › Verifikasi dua langkah di SILABU, lalu minta token lagi.")
    token, row = tokens.issue_token(user, current_app.config["API_TOKEN_HOURS"],
                                      name=str(data.get("name") or request.headers.get("User-Agent", "api"))[:100])
    db.session.commit()
    return ok({"token": token, "token_type": "Bearer", "expires_at": row.expires_at.isoformat(), "user": user_json(user)})


@api_bp.route("/auth/token", methods=["DELETE"])
@login_required
def revoke_current_token():
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        from sqlalchemy import select

        from silabu.accounts.models import ApiToken

        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(header[7:].strip())))
        if row is not None:
            tokens.revoke_token(row, actor=current_user)
            db.session.commit()
    return ok({"revoked": True})


@api_bp.route("/me")
@login_required
def me():
    return ok(user_json(current_user))


spec("/api/v1/auth/token", "post", "Tukar NIP/nama pengguna dan kata sandi (dan kode verifikasi) dengan token Bearer",
     tags=["auth"],
     body={"type": "object", "required": ["username", "password"],
           "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                          "otp": {"type": "string", "description": "Wajib bila verifikasi dua langkah akun aktif: "
                                  "kode 6 digit dari aplikasi autentikator (berlaku sekali), atau kode pemulihan"},
                          "name": {"type": "string", "description": "Nama perangkat/aplikasi untuk token ini"}}},
     responses={"200": "Token, kedaluwarsa, dan pengguna",
                "401": "Kredensial salah (invalid_credentials), atau otp wajib/salah/sudah dipakai (otp_required)",
                "403": "Peran mewajibkan verifikasi dua langkah yang belum diaktifkan (otp_enrolment_required)",
                "429": "Terlalu banyak percobaan (kata sandi dan kode salah dihitung bersama)"})
spec("/api/v1/auth/token", "delete", "Cabut token yang sedang dipakai", tags=["auth"])
spec("/api/v1/me", "get", "Pengguna yang memanggil: id, nip, nama, unit, peran", tags=["auth"])
