"""Account rules: creating, importing and editing users (one validation for the form, the import and the command
line), passwords, and who holds which role. Signing in is ``login``, API tokens are ``tokens``."""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from silabu.accounts.models import (
    Employment,
    LoginAttempt,
    Role,
    Unit,
    User,
    UserRole,
)
from silabu.accounts.nip import nip_problem
from silabu.accounts.sessions import end_all as end_sessions
from silabu.accounts.tokens import revoke_tokens
from silabu.core import audit
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, NotFound, ValidationFailed
from silabu.extensions import db

PASSWORD_MIN = 8
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PNS_GOLONGAN_RE = re.compile(r"^(I|II|III)/[a-d]$|^IV/[a-e]$")
PPPK_GOLONGAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
                 "XVI", "XVII"}


def password_hash_method() -> str:
    from flask import current_app, has_app_context

    # scrypt (werkzeug's default cost); tests may configure a cheaper method to stay fast.
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method())


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
    """The current satker's unit of that code (accounts.tenancy: a unit code is unique within its satker)."""
    from silabu.accounts.tenancy import current_satker_id

    unit = db.session.scalar(select(Unit).where(Unit.code == (code or "").strip().upper(),
                                                Unit.satker_id == current_satker_id()))
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
    division: str | None = None  # the komisioner's division; None keeps what an existing account has


def normalise_golongan(value: str | None) -> str:
    """'iii.a', 'III a', 'III / a' -> 'III/a'; PPPK 'ix' -> 'IX'."""
    value = (value or "").strip()
    m = re.fullmatch(r"([IVXivx]+)\s*[/.\s-]?\s*([a-eA-E])?", value)
    if not m:
        return value
    return m.group(1).upper() + (f"/{m.group(2).lower()}" if m.group(2) else "")


def _validate_user_data(data: UserData, existing: User | None = None) -> tuple[dict[str, Any], set[Role]]:
    errors: dict[str, str] = {}
    # NIPs are often written grouped ("19860324 201403 1 003"); the digits are what count.
    nip = "".join((data.nip or "").split()) or None
    username = (data.username or "").strip().lower() or None
    if not nip and not username:
        errors["nip"] = "NIP wajib diisi (atau nama pengguna untuk akun tanpa NIP)."
    if nip:
        problem = nip_problem(nip)
        if problem:
            errors["nip"] = problem
        else:
            # A NIP is one person's across the installation (every satker), as is a login name.
            other = db.session.scalar(select(User).where(User.nip == nip).execution_options(all_satkers=True))
            if other is not None and other is not existing:
                errors["nip"] = "NIP sudah terdaftar."
    if username:
        if not username.replace(".", "").replace("_", "").replace("-", "").isalnum() or len(username) > 60:
            errors["username"] = "Nama pengguna hanya huruf, angka, titik, garis bawah atau tanda hubung."
        else:
            other = db.session.scalar(select(User).where(User.username == username)
                                      .execution_options(all_satkers=True))
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
    jabatan = (data.jabatan or "").strip()
    if len(jabatan) > 150:
        errors["jabatan"] = "Jabatan maksimal 150 karakter."
    email = (data.email or "").strip()
    if len(email) > 200:
        errors["email"] = "Alamat e-mail maksimal 200 karakter."
    elif email and not EMAIL_RE.match(email):
        errors["email"] = "Alamat e-mail tidak valid."
    golongan = normalise_golongan(data.golongan)
    if golongan:
        if employment == Employment.PNS and not PNS_GOLONGAN_RE.match(golongan):
            errors["golongan"] = "Golongan PNS ditulis seperti III/a (I/a–IV/e)."
        elif employment == Employment.PPPK and golongan not in PPPK_GOLONGAN:
            errors["golongan"] = "Golongan PPPK ditulis dengan angka Romawi I–XVII, mis. IX."
        elif len(golongan) > 10:
            errors["golongan"] = "Golongan maksimal 10 karakter."
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
    division = " ".join((data.division or "").split())
    if len(division) > 200:
        errors["division"] = "Divisi maksimal 200 karakter."
    elif division and Role.KOMISIONER not in roles:
        errors["division"] = "Divisi hanya diisi untuk peran Komisioner."
    if data.password is not None:
        problem = password_problem(data.password, existing)
        if problem:
            errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    values = dict(nip=nip, username=username, name=name, jabatan=jabatan, golongan=golongan, employment=employment,
                  email=email, unit_id=unit.id)
    return values, roles


def create_user(data: UserData, *, actor: User | None = None, must_change_password: bool | None = None,
                password_hash: str | None = None) -> tuple[User, str]:
    """Create a user; returns the user and the password (generated when none was given). ``password_hash``: an
    already hashed password to store instead (the demo gives every account one; returns "" for the password)."""
    values, roles = _validate_user_data(data)
    password = "" if password_hash else (data.password or generate_initial_password())
    user = User(**values, password_hash=password_hash or hash_password(password),
                must_change_password=(data.password is None) if must_change_password is None else must_change_password)
    user.role_rows = [UserRole(role=r) for r in sorted(roles, key=lambda r: r.value)]
    _set_division(user, data.division)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, actor=actor, after=_user_snapshot(user))
    return user, password


def update_user(user: User, data: UserData, *, actor: User | None = None) -> User:
    """Edit an account. Nobody takes the admin role from their own account."""
    before = _user_snapshot(user)
    data.password = None
    try:
        values, roles = _validate_user_data(data, existing=user)
    except ValidationFailed as exc:
        raise ValidationFailed({**exc.fields, **_own_role_problems(user, data, actor)}) from None
    own = _own_role_problems(user, data, actor)
    if own:
        raise ValidationFailed(own)
    for key, value in values.items():
        setattr(user, key, value)
    current = {r.role for r in user.role_rows}
    if current != roles:
        user.role_rows = [r for r in user.role_rows if r.role in roles] + [UserRole(role=r) for r in roles - current]
    _set_division(user, data.division)
    db.session.flush()
    audit.record("user.update", user, actor=actor, before=before, after=_user_snapshot(user))
    return user


def _set_division(user: User, division: str | None) -> None:
    """The komisioner role carries its division (who may initial the LKj KPU depends on it)."""
    if division is None:
        return
    for row in user.role_rows:
        if row.role == Role.KOMISIONER:
            row.division = " ".join(division.split()) or None


def _own_role_problems(user: User, data: UserData, actor: User | None) -> dict[str, str]:
    """Nobody changes their own roles: the admin keeps admin, and raises no role of their own (separation of duties:
    an admin who made themselves Kasubag would verify and read the work)."""
    if actor is None or actor.id != user.id:
        return {}
    try:
        roles = parse_roles(data.roles)
    except ValidationFailed:
        return {}
    current = {r.role for r in user.role_rows}
    if Role.ADMIN in current and Role.ADMIN not in roles:
        return {"roles": "Anda tidak dapat mencabut peran Admin dari akun Anda sendiri."}
    added = roles - current
    if added:
        audit.record_refusal("user.self_roles_refused", actor=actor, object_type="users", object_id=user.id,
                             after={"roles": sorted(r.value for r in added)})
        return {"roles": "Anda tidak dapat menambah peran akun Anda sendiri; mintalah admin lain atau Sekretaris."}
    return {}


def set_active(user: User, active: bool, *, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise Conflict("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    before = {"is_active": user.is_active_account}
    user.is_active_account = active
    user.session_version += 1
    if not active:
        end_sessions(user)
        revoke_tokens(user)
    audit.record("user.activate" if active else "user.deactivate", user, actor=actor, before=before,
                 after={"is_active": active})


def reset_password(user: User, *, actor: User | None = None, password: str | None = None) -> str:
    """Set a new temporary password that must be changed at next login; returns it for the admin to hand over.

    Not for one's own account: that goes through the password form, which asks for the current password."""
    if actor is not None and actor.id == user.id:
        raise Conflict("Gunakan menu Ganti kata sandi untuk akun Anda sendiri.")
    new = password or generate_initial_password()
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.session_version += 1
    end_sessions(user)
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
    end_sessions(user)
    revoke_tokens(user)
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


def import_users(rows: list[dict[str, str]], *, actor: User | None = None,
                 password_hash: str | None = None) -> ImportReport:
    """Create or update users from rows shaped like ``users.csv``; a bad row is reported, the rest go in.
    ``password_hash``: new accounts get that hashed password (the demo's) instead of a generated one."""
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
                        employment=row.get("employment") or None, email=row.get("email", ""),
                        division=row.get("division") or None)
        existing = find_login(nip or username)
        try:
            with db.session.begin_nested():
                if existing:
                    update_user(existing, data, actor=actor)
                    report.updated.append(existing.login_name)
                else:
                    user, password = create_user(data, actor=actor, password_hash=password_hash)
                    report.created.append(user.login_name)
                    if password:
                        report.passwords[user.login_name] = password
        except ValidationFailed as exc:
            report.errors.append((number, "; ".join(f"{k}: {v}" for k, v in exc.fields.items())))
    return report


def _user_snapshot(user: User) -> dict[str, Any]:
    return {"nip": user.nip, "username": user.username, "name": user.name, "jabatan": user.jabatan,
            "golongan": user.golongan, "employment": user.employment.value if user.employment else None,
            "unit_id": user.unit_id, "email": user.email, "roles": sorted(user.roles),
            "is_active": user.is_active_account, "division": user.division_of(Role.KOMISIONER)}


def role_holder_ids(*roles: Role):
    """The ids of active accounts holding any of ``roles``, as a subquery for other queries."""
    return (select(UserRole.user_id).join(User, User.id == UserRole.user_id)
            .where(UserRole.role.in_(roles), User.is_active_account.is_(True)))


def users_with_role(*roles: Role, unit_id: int | None = None, unit_code: str | None = None) -> list[User]:
    """Active accounts holding any of ``roles`` (optionally of one unit), by name."""
    q = select(User).where(User.id.in_(role_holder_ids(*roles)))
    if unit_id is not None:
        q = q.where(User.unit_id == unit_id)
    if unit_code is not None:
        q = q.join(Unit, Unit.id == User.unit_id).where(Unit.code == unit_code)
    return list(db.session.scalars(q.order_by(User.name, User.id)))


def first_holder(role: Role, *, unit_id: int | None = None, unit_code: str | None = None) -> User | None:
    """The longest-registered active holder of ``role`` (who signs when the office has not said otherwise)."""
    holders = users_with_role(role, unit_id=unit_id, unit_code=unit_code)
    return min(holders, key=lambda u: u.id) if holders else None


@dataclass
class UserFilter:
    q: str = ""
    unit_id: int | None = None
    role: str = ""
    active: str = ""  # "1" active only, "0" inactive only, "" all


def search_users(f: UserFilter, *, page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """Users matching the list filters (name/NIP/username search, unit, role, active), and the total."""
    query = select(User)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.nip.like(like),
                                func.lower(User.username).like(like)))
    if f.unit_id:
        query = query.where(User.unit_id == f.unit_id)
    if f.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role(f.role))))
    if f.active == "1":
        query = query.where(User.is_active_account.is_(True))
    elif f.active == "0":
        query = query.where(User.is_active_account.is_(False))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(User.name, User.id).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total
