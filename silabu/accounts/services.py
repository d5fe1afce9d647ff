"""Account rules: creating and importing users, passwords, login with lockout, API tokens."""
from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from silabu.accounts.models import ApiToken, Employment, LoginAttempt, Role, Unit, User, UserRole
from silabu.accounts.nip import nip_problem
from silabu.core import audit
from silabu.core.clock import as_utc, utcnow
from silabu.core.errors import Conflict, NotFound, ValidationFailed
from silabu.extensions import db

PASSWORD_MIN = 8
LOCK_MESSAGE = "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit."


def hash_password(password: str) -> str:
    from flask import current_app, has_app_context

    # scrypt (werkzeug's default cost); tests may configure a cheaper method to stay fast.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


def password_problem(password: str, user: User | None = None) -> str | None:
    if not password or len(password) < PASSWORD_MIN:
        return f"Kata sandi minimal {PASSWORD_MIN} karakter."
    if len(password) > 200:
        return "Kata sandi terlalu panjang (maksimal 200 karakter)."
    if user is not None and password in {user.nip, user.username}:
        return "Kata sandi tidak boleh sama dengan NIP atau nama pengguna."
    if password.isdigit():
        return "Kata sandi tidak boleh hanya angka."
    return None


def parse_roles(value: str | Iterable[str]) -> set[Role]:
    raw = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    roles: set[Role] = set()
    for item in raw:
        item = item.strip().lower()
        if not item:
            continue
        try:
            roles.add(Role(item))
        except ValueError:
            raise ValidationFailed({"roles": f"Peran tidak dikenal: {item}. Pilihan: "
                                             + ", ".join(r.value for r in Role)}) from None
    if not roles:
        raise ValidationFailed({"roles": "Setidaknya satu peran wajib dipilih."})
    return roles


def unit_by_code(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == (code or "").strip().upper()))
    if unit is None:
        raise ValidationFailed({"unit": f"Unit dengan kode '{code}' tidak ditemukan."})
    return unit


@dataclass
class UserData:
    name: str
    unit_code: str
    roles: str | Iterable[str]
    nip: str | None = None
    username: str | None = None
    jabatan: str = ""
    golongan: str = ""
    employment: str | None = None
    email: str = ""
    password: str | None = None


def _validate_user_data(data: UserData, existing: User | None = None) -> tuple[dict[str, Any], set[Role]]:
    errors: dict[str, str] = {}
    nip = (data.nip or "").strip() or None
    username = (data.username or "").strip().lower() or None
    if not nip and not username:
        errors["nip"] = "NIP wajib diisi (atau nama pengguna untuk akun tanpa NIP)."
    if nip:
        problem = nip_problem(nip)
        if problem:
            errors["nip"] = problem
        else:
            other = db.session.scalar(select(User).where(User.nip == nip))
            if other is not None and other is not existing:
                errors["nip"] = "NIP sudah terdaftar."
    if username:
        if not username.replace(".", "").replace("_", "").replace("-", "").isalnum() or len(username) > 60:
            errors["username"] = "Nama pengguna hanya huruf, angka, titik, garis bawah atau tanda hubung."
        else:
            other = db.session.scalar(select(User).where(User.username == username))
            if other is not None and other is not existing:
                errors["username"] = "Nama pengguna sudah dipakai."
    name = (data.name or "").strip()
    if not name:
        errors["name"] = "Nama wajib diisi."
    elif len(name) > 150:
        errors["name"] = "Nama maksimal 150 karakter."
    employment = None
    if data.employment:
        try:
            employment = Employment(data.employment.strip().upper())
        except ValueError:
            errors["employment"] = "Status kepegawaian harus PNS atau PPPK."
    unit = None
    try:
        unit = unit_by_code(data.unit_code)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    roles: set[Role] = set()
    try:
        roles = parse_roles(data.roles)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if data.password is not None:
        problem = password_problem(data.password, existing)
        if problem:
            errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    values = dict(nip=nip, username=username, name=name, jabatan=(data.jabatan or "").strip()[:150],
                  golongan=(data.golongan or "").strip()[:10], employment=employment,
                  email=(data.email or "").strip()[:200], unit_id=unit.id)
    return values, roles


def create_user(data: UserData, *, actor: User | None = None, must_change_password: bool | None = None) -> tuple[User, str]:
    """Create a user; returns the user and the password (generated when none was given)."""
    values, roles = _validate_user_data(data)
    password = data.password or generate_initial_password()
    user = User(**values, password_hash=hash_password(password),
                must_change_password=(data.password is None) if must_change_password is None else must_change_password)
    user.role_rows = [UserRole(role=r) for r in sorted(roles, key=lambda r: r.value)]
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, actor=actor, after=_user_snapshot(user))
    return user, password


def update_user(user: User, data: UserData, *, actor: User | None = None) -> User:
    before = _user_snapshot(user)
    data.password = None
    values, roles = _validate_user_data(data, existing=user)
    for key, value in values.items():
        setattr(user, key, value)
    current = {r.role for r in user.role_rows}
    if current != roles:
        user.role_rows = [r for r in user.role_rows if r.role in roles] + [UserRole(role=r) for r in roles - current]
    db.session.flush()
    audit.record("user.update", user, actor=actor, before=before, after=_user_snapshot(user))
    return user


def set_active(user: User, active: bool, *, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise Conflict("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    before = {"is_active": user.is_active_account}
    user.is_active_account = active
    user.session_version += 1
    if not active:
        revoke_tokens(user)
    audit.record("user.activate" if active else "user.deactivate", user, actor=actor, before=before,
                 after={"is_active": active})


def reset_password(user: User, *, actor: User | None = None, password: str | None = None) -> str:
    """Set a new temporary password that must be changed at next login; returns it for the admin to hand over."""
    new = password or generate_initial_password()
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.session_version += 1
    revoke_tokens(user)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.login == user.login_name))
    audit.record("user.reset_password", user, actor=actor)
    return new


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = "Kata sandi saat ini salah."
    problem = password_problem(new, user)
    if problem:
        errors["new_password"] = problem
    elif new != confirm:
        errors["confirm_password"] = "Konfirmasi kata sandi tidak sama."
    elif check_password_hash(user.password_hash, new):
        errors["new_password"] = "Kata sandi baru harus berbeda dari yang lama."
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    user.session_version += 1
    audit.record("user.change_password", user, actor=user)


def generate_initial_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def find_login(login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    if login.isdigit():
        return db.session.scalar(select(User).where(User.nip == login))
    return db.session.scalar(select(User).where(User.username == login.lower()))


class LoginLocked(Exception):
    def __init__(self, minutes: int) -> None:
        super().__init__(LOCK_MESSAGE.format(minutes=minutes))
        self.minutes = minutes


def login_locked(login_key: str, address: str, *, max_attempts: int, lock_minutes: int) -> bool:
    """Whether recent failures lock this account (``max_attempts``) or this address (4× that)."""
    since = utcnow() - timedelta(minutes=lock_minutes)
    by_login = db.session.scalar(select(func.count()).select_from(LoginAttempt)
                                 .where(LoginAttempt.login == login_key, LoginAttempt.attempted_at >= since))
    by_address = db.session.scalar(select(func.count()).select_from(LoginAttempt)
                                   .where(LoginAttempt.address == address, LoginAttempt.attempted_at >= since))
    return by_login >= max_attempts or by_address >= max_attempts * 4


def record_failed_login(login_key: str, address: str) -> None:
    """Count a failure; committed at once because the caller rolls back what a failed login touched."""
    db.session.add(LoginAttempt(login=login_key, address=address))
    db.session.commit()


def complete_login(user: User, login_key: str) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.login == login_key))
    user.last_login_at = utcnow()


def authenticate(login: str, password: str, address: str, *, max_attempts: int = 5, lock_minutes: int = 15) -> User | None:
    """Check a login; failed tries are counted per account and per address across all workers.

    For a user with two-factor authentication the login is complete only after the code step, so the
    failures stay counted (a right password must not reset code guesses) and last_login_at waits.
    """
    login_key = (login or "").strip().lower()[:60]
    address = (address or "-")[:64]
    if login_locked(login_key, address, max_attempts=max_attempts, lock_minutes=lock_minutes):
        raise LoginLocked(lock_minutes)
    user = find_login(login)
    # Hash even when the user is unknown so response time does not reveal which NIPs exist.
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not ok or user is None or not user.is_active_account:
        record_failed_login(login_key, address)
        return None
    if not user.has_two_factor:
        complete_login(user, login_key)
    return user


_DUMMY_HASH = generate_password_hash("silabu-dummy-password", method="scrypt")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int, name: str = "api") -> tuple[str, ApiToken]:
    token = "slb_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=token_hash(token), name=name[:100],
                   expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= utcnow():
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active_account:
        return None
    return user


def revoke_token(token_row: ApiToken, *, actor: User | None = None) -> None:
    token_row.revoked_at = utcnow()
    audit.record("token.revoke", token_row, actor=actor)


def revoke_tokens(user: User) -> None:
    for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = utcnow()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan.")
    return user


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (comma or semicolon, UTF-8 with or without BOM) or the first sheet of an XLSX."""
    import csv

    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file, not our bug
            raise ValidationFailed({"file": "Berkas XLSX tidak dapat dibaca."}) from exc
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip().lower() for h in rows[0]]
        if "nip" in header:
            col = header.index("nip")
            bad = [n for n, row in enumerate(rows[1:], start=2) if row is not None and col < len(row)
                   and isinstance(row[col], (int, float)) and not isinstance(row[col], bool)
                   and abs(row[col]) >= 10 ** 15]
            if bad:
                # A spreadsheet keeps ~15 digits of a number: an 18-digit NIP typed as a number is another NIP.
                raise ValidationFailed({"file": "Kolom NIP berisi angka, bukan teks (baris "
                                                + ", ".join(map(str, bad[:10])) + "). Format kolom NIP sebagai "
                                                "Teks, ketik ulang NIP-nya, lalu unggah lagi."})
        out = []
        for row in rows[1:]:
            if row is None or all(v in (None, "") for v in row):
                continue
            out.append({header[i]: _cell(v) for i, v in enumerate(row) if i < len(header) and header[i]})
        return out
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, restkey="_extra")
    out = []
    for row in reader:
        extra = row.pop("_extra", None)
        if extra and any((v or "").strip() for v in extra):
            raise ValidationFailed({"file": f"Baris {reader.line_num} berisi lebih banyak kolom daripada baris judul."})
        if any((v or "").strip() for v in row.values()):
            out.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_users(rows: list[dict[str, str]], *, actor: User | None = None) -> ImportReport:
    """Create or update users from rows shaped like ``users.csv``; a bad row is reported, the rest go in."""
    report = ImportReport()
    for number, row in enumerate(rows, start=2):
        nip = row.get("nip", "").strip()
        username = row.get("username", "").strip()
        if not nip and not username:
            # The admin row of the demo file has no NIP: derive a username from the roles/e-mail.
            email = row.get("email", "")
            username = email.split("@")[0] if email else ""
        data = UserData(name=row.get("name", ""), unit_code=row.get("unit_code", row.get("unit", "")),
                        roles=row.get("roles", "asn") or "asn", nip=nip or None, username=username or None,
                        jabatan=row.get("jabatan", ""), golongan=row.get("golongan", ""),
                        employment=row.get("employment") or None, email=row.get("email", ""))
        existing = find_login(nip or username)
        try:
            with db.session.begin_nested():
                if existing:
                    update_user(existing, data, actor=actor)
                    report.updated.append(existing.login_name)
                else:
                    user, password = create_user(data, actor=actor)
                    report.created.append(user.login_name)
                    report.passwords[user.login_name] = password
        except ValidationFailed as exc:
            report.errors.append((number, "; ".join(f"{k}: {v}" for k, v in exc.fields.items())))
    return report


def _user_snapshot(user: User) -> dict[str, Any]:
    return {"nip": user.nip, "username": user.username, "name": user.name, "jabatan": user.jabatan,
            "golongan": user.golongan, "employment": user.employment.value if user.employment else None,
            "unit_id": user.unit_id, "email": user.email, "roles": sorted(user.roles),
            "is_active": user.is_active_account}


def users_with_role(role: Role, unit_id: int | None = None) -> list[User]:
    q = select(User).join(UserRole).where(UserRole.role == role, User.is_active_account.is_(True))
    if unit_id is not None:
        q = q.where(User.unit_id == unit_id)
    return list(db.session.scalars(q.order_by(User.name)))
