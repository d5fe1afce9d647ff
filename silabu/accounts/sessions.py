"""Browser sessions kept on the server, so they can be ended there: at logout, when the password changes or two-factor
login is switched on, when the admin resets or deactivates the account. The cookie carries only a random secret;
the database keeps its sha256, when it ends, and from where it was opened."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from silabu.accounts.models import Unit, User, UserSession
from silabu.core.clock import utcnow
from silabu.extensions import db

COOKIE_KEY = "sid"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user: User) -> str:
    """Open a session for ``user`` (after the login is complete); returns the secret the cookie carries."""
    secret = secrets.token_urlsafe(32)
    lifetime: timedelta = current_app.config["PERMANENT_SESSION_LIFETIME"]
    db.session.add(UserSession(user_id=user.id, secret_hash=_hash(secret), expires_at=utcnow() + lifetime,
                               address=(request.remote_addr or "")[:64] if request else "",
                               user_agent=(request.headers.get("User-Agent") or "")[:200] if request else ""))
    db.session.flush()
    return secret


def user_for(user_id: int, secret: str | None) -> User | None:
    """The user of a live session (not ended, not expired, account active), with unit and satker, in one query."""
    if not secret:
        return None
    return db.session.scalar(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, UserSession.secret_hash == _hash(secret), UserSession.ended_at.is_(None),
               UserSession.expires_at > utcnow(), User.is_active_account.is_(True))
        .options(joinedload(User.unit).joinedload(Unit.satker)))


def end(secret: str | None) -> None:
    """End one session (logout): the cookie, copied anywhere, no longer opens a page."""
    if secret:
        db.session.execute(update(UserSession).where(UserSession.secret_hash == _hash(secret),
                                                     UserSession.ended_at.is_(None)).values(ended_at=utcnow()))


def end_all(user: User) -> None:
    """End every session of ``user`` (password changed, two-factor login switched on, reset, deactivated)."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
