"""Satker, units, users and their roles, API tokens and acting verifiers (Plh/Plt)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import created_at_column, str_enum
from silabu.extensions import db


class Role(enum.StrEnum):
    ASN = "asn"
    KASUBAG = "kasubag"
    RENDATIN = "rendatin"
    SEKRETARIS = "sekretaris"
    KETUA = "ketua"
    ADMIN = "admin"
    KOMISIONER = "komisioner"  # Komisioner Divisi Perencanaan: corrects and initials the LKj KPU
    INSPEKTORAT = "inspektorat"  # reads (never changes) the satker's and its children's packets, LKj and audit


ROLE_LABELS = {
    Role.ASN: "ASN",
    Role.KASUBAG: "Kepala Sub Bagian",
    Role.RENDATIN: "Rendatin",
    Role.SEKRETARIS: "Sekretaris",
    Role.KETUA: "Ketua/Komisioner",
    Role.ADMIN: "Admin",
    Role.KOMISIONER: "Komisioner Divisi Perencanaan",
    Role.INSPEKTORAT: "Inspektorat (baca saja)",
}


class DelegationKind(enum.StrEnum):
    """Pelaksana harian (a short absence) or pelaksana tugas (a vacancy)."""

    PLH = "Plh"
    PLT = "Plt"


class SatkerLevel(enum.StrEnum):
    RI = "ri"
    PROVINSI = "provinsi"
    KABKOTA = "kabkota"


SATKER_LEVEL_LABELS = {SatkerLevel.RI: "KPU RI", SatkerLevel.PROVINSI: "KPU Provinsi",
                       SatkerLevel.KABKOTA: "KPU Kabupaten/Kota"}


class Employment(enum.StrEnum):
    PNS = "PNS"
    PPPK = "PPPK"


class Satker(db.Model):
    __tablename__ = "satker"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The tree KPU RI -> provinsi -> kabupaten/kota (SatkerLevel); a parent is one level up (accounts.satker_tree).
    level: Mapped[str] = mapped_column(String(20), default="kabkota")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("satker.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    address: Mapped[str] = mapped_column(String(400), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    # The kop surat beyond name and address, as KPU letterheads carry it (set by the admin).
    phone: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(200))
    logo_key: Mapped[str | None] = mapped_column(String(200))  # storage key of the logo (PNG)

    units: Mapped[list[Unit]] = relationship(back_populates="satker")
    parent: Mapped[Satker | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Satker]] = relationship(back_populates="parent")

    @property
    def parent_code(self) -> str | None:
        return self.parent.code if self.parent is not None else None

    def logo_bytes(self) -> bytes | None:
        """The stored logo for the kop surat, or None (also when its file is gone)."""
        if not self.logo_key:
            return None
        from silabu.evidence.storage import get_storage

        try:
            with get_storage().open(self.logo_key) as fh:
                return fh.read()
        except (FileNotFoundError, ValueError):
            return None

    def __repr__(self) -> str:
        return f"<Satker {self.code} {self.name}>"


class Unit(db.Model):
    """A Sub Bagian (or the Sekretariat above them)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("satker_id", "code"),)  # a unit code is unique within its satker

    id: Mapped[int] = mapped_column(primary_key=True)
    satker_id: Mapped[int] = mapped_column(ForeignKey("satker.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    requires_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who verifies the Kasubag's own entries; when empty the Sekretaris does.
    head_verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    satker: Mapped[Satker] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")
    head_verifier: Mapped[User | None] = relationship(foreign_keys=[head_verifier_id])

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    jabatan: Mapped[str] = mapped_column(String(150), default="")
    golongan: Mapped[str] = mapped_column(String(10), default="")
    employment: Mapped[Employment | None] = mapped_column(str_enum(Employment, 10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the credentials change (password, reset, two-factor): a login waiting for its code step ends.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when enrolment starts; two-factor login is on only once a code confirmed it (totp_enabled_at).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last accepted time step: a code is refused for that step and earlier ones (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    role_rows: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                       lazy="selectin")

    @property
    def roles(self) -> set[str]:
        return {r.role.value for r in self.role_rows}

    def has_role(self, *roles: str | Role) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return bool(self.roles & wanted)

    def division_of(self, role: str | Role) -> str | None:
        """The division the user's ``role`` carries (the komisioner's), or None."""
        wanted = role.value if isinstance(role, Role) else role
        return next((r.division for r in self.role_rows if r.role.value == wanted and r.division), None)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot log in
        return self.is_active_account

    def get_id(self) -> str:
        return str(self.id)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def login_name(self) -> str:
        return self.nip or self.username or ""

    def __repr__(self) -> str:
        return f"<User {self.login_name} {self.name}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    # The division a komisioner role carries ("Divisi Perencanaan, Data dan Informasi"); None for other roles.
    division: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(back_populates="role_rows")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role.value}>"


class ApiToken(db.Model):
    """Bearer tokens for the API; only the sha256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"


class Delegation(db.Model):
    """An acting verifier (Plh/Plt) for a unit over a date range."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[DelegationKind] = mapped_column(str_enum(DelegationKind, 10), default=DelegationKind.PLH)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<Delegation {self.kind} unit={self.unit_id} to={self.delegate_id} {self.start_date}..{self.end_date}>"


class LoginAttempt(db.Model):
    """Failed logins per account and per address, shared by every worker through the database."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.login} {self.address}>"


class RecoveryCode(db.Model):
    """One-time codes for a lost phone; only a password-style hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}{' used' if self.used_at else ''}>"


class RolePolicy(db.Model):
    """Security settings per role, kept by the admin: whether the role must use two-factor login."""

    __tablename__ = "role_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), unique=True)
    requires_2fa: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<RolePolicy {self.role.value} requires_2fa={self.requires_2fa}>"


class UserSession(db.Model):
    """One signed-in browser."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}{' ended' if self.ended_at else ''}>"


def _register_blobs() -> None:
    from silabu.evidence.blobs import names_blobs

    names_blobs(Satker.logo_key)  # the kop surat's logo is a blob in use: the orphan clean-up spares it


_register_blobs()
