"""Signing in: the password check, and lockout after repeated failures (per account and per address, in the
database so every worker shares the count)."""
from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from silabu.accounts.models import LoginAttempt, User
from silabu.accounts.services import find_login, password_hash_method
from silabu.core.clock import utcnow
from silabu.extensions import db

LOCK_MESSAGE = "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit."


class LoginLocked(Exception):
    def __init__(self, minutes: int) -> None:
        super().__init__(LOCK_MESSAGE.format(minutes=minutes))
        self.minutes = minutes


# Failures per account and address lock that pair; an account attacked from many addresses is locked after this
# many times as many failures in all. No lock is per address alone: behind the office's proxy every ASN shares one.
ACCOUNT_FACTOR = 4


def _count(since, login_key: str, address: str | None = None) -> int:
    q = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.login == login_key,
                                                             LoginAttempt.attempted_at >= since)
    if address is not None:
        q = q.where(LoginAttempt.address == address)
    return db.session.scalar(q) or 0


def reserve_attempt(login_key: str, address: str, *, max_attempts: int, lock_minutes: int) -> int:
    """Count this attempt before it is checked (committed at once), then see whether it is within the limits.

    Counting first is what makes the limit hold under parallel attempts: of N simultaneous tries, only the first
    ``max_attempts`` committed see a count within the limit. Returns the attempt's id; LoginLocked when over it.
    """
    row = LoginAttempt(login=login_key, address=address)
    db.session.add(row)
    db.session.commit()
    since = utcnow() - timedelta(minutes=lock_minutes)
    if (_count(since, login_key, address) > max_attempts
            or _count(since, login_key) > max_attempts * ACCOUNT_FACTOR):
        # A try refused by the lock is not a guess: it does not prolong the lock.
        forget_attempt(row.id)
        raise LoginLocked(lock_minutes)
    return row.id


def forget_attempt(attempt_id: int) -> None:
    """Take back a reserved attempt that was not a failure (the right password of a two-factor user)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
    db.session.commit()


def complete_login(user: User, login_key: str) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.login == login_key))
    user.last_login_at = utcnow()


def client_key(login: str) -> str:
    """The account key failed attempts are counted under."""
    return (login or "").strip().lower()[:60]


def authenticate(login: str, password: str, address: str, *, max_attempts: int = 5, lock_minutes: int = 15) -> User | None:
    """Check a login; attempts are counted per account and address, and per account, across all workers.

    For a user with two-factor authentication the login is complete only after the code step, so earlier
    failures stay counted (a right password must not reset code guesses) and last_login_at waits.
    """
    login_key = client_key(login)
    address = (address or "-")[:64]
    attempt = reserve_attempt(login_key, address, max_attempts=max_attempts, lock_minutes=lock_minutes)
    user = find_login(login)
    # Hash even when the user is unknown so response time does not reveal which NIPs exist.
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if not ok or user is None or not user.is_active_account:
        return None  # the reserved attempt stays: it was a failure
    if user.has_two_factor:
        forget_attempt(attempt)
    else:
        complete_login(user, login_key)
    return user


def _dummy_hash() -> str:
    """What an unknown login is checked against: a hash made as real accounts' are (the configured method, scrypt
    unless a test configures a cheaper one), so it costs what checking a real account costs."""
    return _dummy_hash_by_method(password_hash_method())


@cache
def _dummy_hash_by_method(method: str) -> str:
    return generate_password_hash("silabu-dummy-password", method=method)
