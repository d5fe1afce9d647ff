"""API tokens: issued at sign-in for the phone client and integrations, revocable one by one or all at once.
Only the sha256 of a token is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from silabu.accounts.models import ApiToken, RolePolicy, Unit, User, UserRole
from silabu.core import audit
from silabu.core.clock import as_utc, utcnow
from silabu.core.errors import Conflict, NotFound
from silabu.extensions import db


def remember_role_policy(user: User, requires_2fa: bool) -> None:
    """Keep, for this request's copy of ``user``, whether a role of theirs must use two-factor login (read with
    the user; ``two_factor.role_requires_2fa`` then asks the database no more)."""
    user.role_policy_read = (frozenset(r.role for r in user.role_rows), requires_2fa)  # type: ignore[attr-defined]


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
    """The active user of a live token, in one statement: with their roles, unit and satker (every request asks
    for "today" in the satker's timezone) and whether a role of theirs must use two-factor login."""
    if not token:
        return None
    requires_2fa = (select(RolePolicy.id).join(UserRole, UserRole.role == RolePolicy.role)
                    .where(UserRole.user_id == User.id, RolePolicy.requires_2fa.is_(True)).exists())
    row = db.session.execute(
        select(User, ApiToken.expires_at, requires_2fa)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None),
               User.is_active_account.is_(True))
        .options(joinedload(User.unit).joinedload(Unit.satker), joinedload(User.role_rows))).unique().first()
    if row is None or as_utc(row[1]) <= utcnow():
        return None
    user = row[0]
    remember_role_policy(user, bool(row[2]))
    return user


def revoke_token(token_row: ApiToken, *, actor: User | None = None) -> None:
    token_row.revoked_at = utcnow()
    audit.record("token.revoke", token_row, actor=actor)


def revoke_tokens(user: User) -> None:
    for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = utcnow()


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_user_token(user: User, token_id: int, *, actor: User) -> ApiToken:
    """Revoke one of ``user``'s tokens (404 when the token belongs to someone else)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("Token tidak ditemukan.")
    if row.revoked_at is not None:
        raise Conflict("Token ini sudah dicabut.")
    revoke_token(row, actor=actor)
    return row


def revoke_all_user_tokens(user: User, *, actor: User) -> int:
    """Revoke every live token of ``user``; returns how many were live."""
    live = [t for t in user_tokens(user) if t.revoked_at is None]
    revoke_tokens(user)
    if live:
        audit.record("token.revoke_all", user, actor=actor, after={"revoked": len(live)})
    return len(live)


def token_state(row: ApiToken) -> str:
    """'dicabut', 'kedaluwarsa' or 'aktif'."""
    if row.revoked_at is not None:
        return "dicabut"
    if as_utc(row.expires_at) <= utcnow():
        return "kedaluwarsa"
    return "aktif"
