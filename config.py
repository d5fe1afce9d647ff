"""SILABU settings, read from environment variables with safe defaults.

Every setting can be overridden by the environment; tests pass their own mapping to
``create_app``. Nothing secret is a constant in code: when ``SECRET_KEY`` is unset a random key is
generated once and kept in ``instance/secret_key``.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SILABU_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ya"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        # Written with O_EXCL so two workers starting at once cannot end up with different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'silabu.db'}"
    # Hosting panels hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Values for a running installation; see README.md for the table."""

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.UPLOAD_DIR = os.environ.get("SILABU_UPLOAD_DIR", str(BASE_DIR / "uploads"))
        # Evidence and packet files on object storage instead of UPLOAD_DIR: s3://bucket/prefix plus the endpoint
        # (any S3-compatible server: SeaweedFS, MinIO, a cloud's) and its keys. Empty: the filesystem.
        self.STORAGE_URL = os.environ.get("SILABU_STORAGE_URL", "")
        self.S3_ENDPOINT_URL = os.environ.get("SILABU_S3_ENDPOINT_URL", "")
        self.S3_ACCESS_KEY = os.environ.get("SILABU_S3_ACCESS_KEY", "")
        self.S3_SECRET_KEY = os.environ.get("SILABU_S3_SECRET_KEY", "")
        self.S3_REGION = os.environ.get("SILABU_S3_REGION", "us-east-1")
        # After the access check, redirect to a signed URL of the object valid this many seconds, instead of
        # streaming it through the web server; the public address browsers use for the store, when it differs.
        self.S3_SIGNED_URLS = _bool("SILABU_S3_SIGNED_URLS", False)
        self.S3_URL_TTL = _int("SILABU_S3_URL_TTL", 300)
        self.S3_PUBLIC_URL = os.environ.get("SILABU_S3_PUBLIC_URL", "")
        # nginx serves evidence files from UPLOAD_DIR via X-Accel-Redirect under this prefix (README, "Deployment").
        self.SILABU_X_ACCEL_PREFIX = os.environ.get("SILABU_X_ACCEL_PREFIX", "")
        # Whole request limit (413 above it); evidence files have their own limit below it.
        self.MAX_CONTENT_LENGTH = _int("SILABU_MAX_UPLOAD_MB", 25) * 1024 * 1024
        self.EVIDENCE_MAX_BYTES = _int("SILABU_MAX_EVIDENCE_MB", 20) * 1024 * 1024
        # Fields and files in one form post: an entry takes at most 20 files and a dozen fields.
        self.MAX_FORM_PARTS = _int("SILABU_MAX_FORM_PARTS", 100)
        self.IMAGE_MAX_PIXELS = _int("SILABU_IMAGE_MAX_PIXELS", 60_000_000)
        # 2000 px keeps evidence legible and lets a 12 MP JPEG be decoded at half size (4x faster).
        self.IMAGE_SERVE_LONG_SIDE = _int("SILABU_IMAGE_LONG_SIDE", 2000)
        self.THUMBNAIL_LONG_SIDE = _int("SILABU_THUMBNAIL_LONG_SIDE", 320)
        self.SATKER_TIMEZONE = os.environ.get("SILABU_TIMEZONE", "Asia/Jakarta")
        self.VERIFICATION_WINDOW_DAYS = _int("SILABU_VERIFICATION_WINDOW_DAYS", 3)
        # A capaian above this (percent) is flagged for the reviewers as implausible (DOMAIN.md).
        self.LKJ_CAPAIAN_CEILING = _int("SILABU_LKJ_CAPAIAN_CEILING", 120)
        self.REMINDER_TIME = os.environ.get("SILABU_REMINDER_TIME", "15:30")
        # Several scheduler processes may run; the one holding this lease runs the jobs (silabu/ops/lease.py).
        self.SCHEDULER_LEASE_SECONDS = _int("SILABU_SCHEDULER_LEASE_SECONDS", 60)
        # Long work (packet builds, LKj compiles) runs as a background task (silabu/ops/tasks.py): "thread" (a
        # thread of the web process, started on first use), "external" (the `jobs run` / `worker run` process).
        self.TASK_WORKER = os.environ.get("SILABU_TASK_WORKER", "thread")
        # A running task whose worker has not beaten for this long is requeued once, then failed.
        self.TASK_STALE_MINUTES = _int("SILABU_TASK_STALE_MINUTES", 5)
        self.TASK_HEARTBEAT_SECONDS = _int("SILABU_TASK_HEARTBEAT_SECONDS", 15)
        self.TASK_POLL_SECONDS = _int("SILABU_TASK_POLL_SECONDS", 2)
        # The API's build/compile answers 201 when the task finishes within this wait, else 202 with the task.
        self.TASK_API_WAIT_SECONDS = _int("SILABU_TASK_API_WAIT_SECONDS", 20)
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("SILABU_SESSION_HOURS", 12))
        self.API_TOKEN_HOURS = _int("SILABU_API_TOKEN_HOURS", 24 * 30)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SILABU_SECURE_COOKIES", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone all morning must still submit
        self.SMTP_HOST = os.environ.get("SILABU_SMTP_HOST", "")
        self.SMTP_PORT = _int("SILABU_SMTP_PORT", 587)
        self.SMTP_USER = os.environ.get("SILABU_SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("SILABU_SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("SILABU_SMTP_STARTTLS", True)
        self.MAIL_FROM = os.environ.get("SILABU_MAIL_FROM", "silabu@localhost")
        self.BASE_URL = os.environ.get("SILABU_BASE_URL", "http://localhost:5000")
        self.PACKET_ZIP_MAX_MB = _int("SILABU_PACKET_ZIP_MAX_MB", 200)
        self.BACKUP_DIR = os.environ.get("SILABU_BACKUP_DIR", str(INSTANCE_DIR / "backups"))
        self.BACKUP_KEEP = _int("SILABU_BACKUP_KEEP", 14)
        self.LOGIN_MAX_ATTEMPTS = _int("SILABU_LOGIN_MAX_ATTEMPTS", 5)
        self.LOGIN_LOCK_MINUTES = _int("SILABU_LOGIN_LOCK_MINUTES", 15)
        # How many reverse proxies (nginx) stand in front: the client's address is read from their X-Forwarded-For
        # only then; 0 (the default) trusts no such header, so nobody can pick the address the lockout counts.
        self.TRUSTED_PROXIES = _int("SILABU_TRUSTED_PROXIES", 0)
        self.DEMO_DATA_DIR = os.environ.get("SILABU_DEMO_DIR", str(BASE_DIR / "silabu" / "demo" / "data"))
        self.LKJ_FIRST_DRAFT_MONTH = _int("SILABU_LKJ_FIRST_DRAFT_MONTH", 1)
        self.TESTING = False
