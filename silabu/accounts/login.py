"""Signing in: the password check, and lockout after repeated failures (per account and per address, in the
database so every worker shares the count)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from silabu.accounts.models import LoginAttempt, User
from silabu.accounts.services import find_login
from silabu.core.clock import utcnow
from silabu.extensions import db

LOCK_MESSAGE = "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit."


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
