"""Two-factor login (TOTP): enrolment, codes at login, recovery codes, and the admin's policy per role."""
from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash

from silabu.accounts import login as signin
from silabu.accounts import services as accounts
from silabu.accounts.models import (
    ROLE_LABELS,
    RecoveryCode,
    Role,
    RolePolicy,
    User,
    UserRole,
)
from silabu.accounts.sessions import end_all as end_sessions
from silabu.accounts.tokens import revoke_tokens
from silabu.core import audit
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, ValidationFailed
from silabu.extensions import db

ISSUER = "SILABU"
# Codes of the previous and the next 30-second step are accepted too: phone clocks drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
# How long the second login step waits for the code after a correct password.
PENDING_SECONDS = 5 * 60

CODE_REQUIRED = "Masukkan kode 6 digit dari aplikasi autentikator."
CODE_WRONG = "Kode verifikasi salah, kedaluwarsa, atau sudah dipakai."


def is_enabled(user: User) -> bool:
    return user.has_two_factor


def role_requires_2fa(user: User) -> bool:
    """Whether one of the user's roles must use two-factor login (the admin's policy)."""
    roles = [r.role for r in user.role_rows]
    read = getattr(user, "role_policy_read", None)
    if read is not None and read[0] == frozenset(roles):  # read with the user (an API token's check), same roles
        return read[1]
    if not roles:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(RolePolicy).where(
        RolePolicy.role.in_(roles), RolePolicy.requires_2fa.is_(True))))


def needs_enrolment(user: User) -> bool:
    """A role requires two-factor login and the user has not turned it on yet."""
    return not is_enabled(user) and role_requires_2fa(user)


def role_policies() -> dict[Role, bool]:
    rows = {p.role: p.requires_2fa for p in db.session.scalars(select(RolePolicy))}
    return {role: rows.get(role, False) for role in Role}


def set_role_policies(required: set[str], *, actor: User) -> list[Role]:
    """Require two-factor login for exactly the roles in ``required``; returns the roles that changed."""
    wanted: set[Role] = set()
    for value in required:
        try:
            wanted.add(Role(value))
        except ValueError:
            raise ValidationFailed({"roles": f"Peran tidak dikenal: {value}."}) from None
    existing = {p.role: p for p in db.session.scalars(select(RolePolicy))}
    changed = []
    for role in Role:
        on = role in wanted
        row = existing.get(role)
        before = row.requires_2fa if row is not None else False
        if before == on:
            continue
        if row is None:
            row = RolePolicy(role=role, requires_2fa=on)
            db.session.add(row)
        row.requires_2fa = on
        row.updated_at = utcnow()
        db.session.flush()
        audit.record("role_policy.update", row, actor=actor, before={"role": role.value, "requires_2fa": before},
                     after={"role": role.value, "requires_2fa": on})
        changed.append(role)
    return changed


@dataclass
class RoleEnrolment:
    role: Role
    label: str
    requires_2fa: bool
    users: int
    enrolled: int


def enrolment_by_role() -> list[RoleEnrolment]:
    """Per role: whether it requires two-factor login, its active users, and how many have enrolled."""
    policies = role_policies()
    counts = dict(db.session.execute(
        select(UserRole.role, func.count()).join(User, User.id == UserRole.user_id)
        .where(User.is_active_account.is_(True)).group_by(UserRole.role)).all())
    enrolled = dict(db.session.execute(
        select(UserRole.role, func.count()).join(User, User.id == UserRole.user_id)
        .where(User.is_active_account.is_(True), User.totp_enabled_at.is_not(None)).group_by(UserRole.role)).all())
    return [RoleEnrolment(role, ROLE_LABELS[role], policies[role], counts.get(role, 0), enrolled.get(role, 0))
            for role in Role]


def start_enrolment(user: User) -> str:
    """A new secret, shown to the user until a code confirms it; returns the secret."""
    if is_enabled(user):
        raise Conflict("Verifikasi dua langkah sudah aktif. Nonaktifkan dulu untuk mendaftarkan ponsel baru.")
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.totp_last_step = None
    audit.record("user.2fa_enrol_start", user, actor=user)
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.login_name, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images, not inline scripts or styles)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(img.to_string()).decode()


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor login on once a code from the new secret checks; returns fresh recovery codes."""
    if is_enabled(user):
        raise Conflict("Verifikasi dua langkah sudah aktif.")
    if not user.totp_secret:
        raise Conflict("Mulai pendaftaran terlebih dahulu.")
    if not verify_totp(user, code):
        raise ValidationFailed({"code": CODE_WRONG if _clean(code) else CODE_REQUIRED})
    user.totp_enabled_at = utcnow()
    # Sessions and API tokens obtained before this point did not pass a code: they end.
    user.session_version += 1
    end_sessions(user)
    revoke_tokens(user)
    codes = _new_recovery_codes(user)
    audit.record("user.2fa_enable", user, actor=user, after={"recovery_codes": len(codes)})
    return codes


def disable(user: User, password: str, code: str) -> None:
    """The user turns two-factor login off: needs the password and a code (or a recovery code)."""
    if not is_enabled(user):
        raise Conflict("Verifikasi dua langkah belum aktif.")
    _check_password_and_code(user, password, code)
    _clear(user)
    audit.record("user.2fa_disable", user, actor=user)


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    """New recovery codes replace every earlier one (used or not)."""
    if not is_enabled(user):
        raise Conflict("Verifikasi dua langkah belum aktif.")
    _check_password_and_code(user, password, code)
    codes = _new_recovery_codes(user)
    audit.record("user.2fa_recovery_regenerate", user, actor=user, after={"recovery_codes": len(codes)})
    return codes


def reset_by_admin(user: User, *, actor: User) -> None:
    """An admin turns someone's two-factor login off (lost phone); they enrol again when they can."""
    if actor.id == user.id:
        raise Conflict("Untuk akun Anda sendiri, gunakan halaman Verifikasi dua langkah.")
    if not user.totp_secret and not is_enabled(user):
        raise Conflict("Pengguna ini belum memakai verifikasi dua langkah.")
    before = {"enabled": is_enabled(user)}
    _clear(user)
    audit.record("user.2fa_reset", user, actor=actor, before=before, after={"enabled": False})


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _check_password_and_code(user: User, password: str, code: str) -> None:
    errors = {}
    if not check_password_hash(user.password_hash, password or ""):
        errors["password"] = "Kata sandi salah."
    # The code is checked (and spent) only with the right password, so a wrong password burns nothing.
    elif not check_code(user, code):
        errors["code"] = CODE_WRONG if _clean(code) else CODE_REQUIRED
    if errors:
        raise ValidationFailed(errors)


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=accounts.hash_password(raw)))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.flush()
    return codes


def _clean(code: str | None) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def verify_totp(user: User, code: str, *, at: datetime | None = None) -> bool:
    """A 6-digit code of the step before, at or after ``at``, newer than the last one accepted."""
    code = _clean(code)
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int((at or utcnow()).timestamp()) // totp.interval
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; each works once."""
    code = _clean(code)
    if len(code) != RECOVERY_LENGTH:
        return False
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                             RecoveryCode.used_at.is_(None))):
        if check_password_hash(row.code_hash, code):
            row.used_at = utcnow()
            db.session.flush()
            audit.record("user.2fa_recovery_used", user, actor=user,
                         after={"recovery_codes_left": recovery_codes_left(user)})
            return True
    return False


def check_code(user: User, code: str) -> bool:
    """A TOTP code (6 digits) or, for a lost phone, a recovery code."""
    cleaned = _clean(code)
    if len(cleaned) == 6 and cleaned.isdigit():
        return verify_totp(user, cleaned)
    return use_recovery_code(user, cleaned)


def login_key(login: str) -> str:
    """The account key failed attempts are counted under (as ``login.authenticate`` does)."""
    return signin.client_key(login)


def password_step(login: str, password: str, address: str, *, max_attempts: int, lock_minutes: int) -> User | None:
    """The password check; for a two-factor user ``login.authenticate`` leaves the login incomplete."""
    return signin.authenticate(login, password, address, max_attempts=max_attempts, lock_minutes=lock_minutes)


def code_step(user: User, key: str, code: str, address: str, *, max_attempts: int, lock_minutes: int) -> bool:
    """The second login step; a wrong code counts in the same lockout as a wrong password."""
    address = (address or "-")[:64]
    signin.reserve_attempt(key, address, max_attempts=max_attempts, lock_minutes=lock_minutes)
    if not user.is_active_account or not check_code(user, code):
        return False  # the reserved attempt stays: it was a failure
    signin.complete_login(user, key)
    return True


def pending_expired(started_at: float) -> bool:
    now = utcnow().timestamp()
    return not (started_at <= now <= started_at + PENDING_SECONDS)
