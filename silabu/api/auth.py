"""Tokens and the caller."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user, login_required

from silabu.accounts import services
from silabu.accounts.models import User
from silabu.api import api_bp, json_body, ok, spec
from silabu.core.errors import ServiceError
from silabu.extensions import db


def user_json(user: User) -> dict:
    return {"id": user.id, "nip": user.nip, "username": user.username, "name": user.name, "jabatan": user.jabatan,
            "golongan": user.golongan, "employment": user.employment.value if user.employment else None,
            "unit": {"id": user.unit.id, "code": user.unit.code, "name": user.unit.name},
            "roles": sorted(user.roles), "must_change_password": user.must_change_password}


class Unauthorized(ServiceError):
    status = 401
    code = "invalid_credentials"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


@api_bp.route("/auth/token", methods=["POST"])
def issue_token():
    data = json_body()
    try:
        user = services.authenticate(str(data.get("username") or ""), str(data.get("password") or ""),
                                     request.remote_addr or "-", max_attempts=current_app.config["LOGIN_MAX_ATTEMPTS"],
                                     lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    except services.LoginLocked as exc:
        raise RateLimited(str(exc)) from None
    if user is None:
        raise Unauthorized("NIP/nama pengguna atau kata sandi salah, atau akun tidak aktif.")
    token, row = services.issue_token(user, current_app.config["API_TOKEN_HOURS"],
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

        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == services.token_hash(header[7:].strip())))
        if row is not None:
            services.revoke_token(row, actor=current_user)
            db.session.commit()
    return ok({"revoked": True})


@api_bp.route("/me")
@login_required
def me():
    return ok(user_json(current_user))


spec("/api/v1/auth/token", "post", "Tukar NIP/nama pengguna dan kata sandi dengan token Bearer", tags=["auth"],
     body={"type": "object", "required": ["username", "password"],
           "properties": {"username": {"type": "string"}, "password": {"type": "string"}}},
     responses={"200": "Token, kedaluwarsa, dan pengguna", "401": "Kredensial salah", "429": "Terlalu banyak percobaan"})
spec("/api/v1/auth/token", "delete", "Cabut token yang sedang dipakai", tags=["auth"])
spec("/api/v1/me", "get", "Pengguna yang memanggil: id, nip, nama, unit, peran", tags=["auth"])
