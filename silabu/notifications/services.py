"""Notify people in the app (the bell) and, when SMTP is configured, by e-mail through an outbox."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from silabu.accounts.models import User
from silabu.core.clock import utcnow
from silabu.core.errors import NotFound
from silabu.extensions import db
from silabu.notifications.models import Notification

log = logging.getLogger("silabu.notifications")


def notify(user: User, kind: str, title: str, body: str = "", link: str = "", key: str | None = None) -> Notification | None:
    """Add a notification; with a ``key`` the same notice reaches a person only once."""
    if key is not None:
        existing = db.session.scalar(select(Notification).where(Notification.user_id == user.id, Notification.key == key))
        if existing is not None:
            return None
    row = Notification(user_id=user.id, kind=kind, key=key, title=title[:200], body=body, link=link[:300])
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # a second scheduler process got there first
        return None
    return row


def recent_for(user: User, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(user: User, notification_id: int) -> Notification:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("Pemberitahuan tidak ditemukan.")
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))


def deliver_pending_emails(limit: int = 200) -> int:
    """Send e-mail copies of notifications not yet e-mailed. Does nothing when SMTP is not configured."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return 0
    rows = db.session.execute(select(Notification, User).join(User, User.id == Notification.user_id)
                              .where(Notification.emailed_at.is_(None), User.email != "")
                              .order_by(Notification.id).limit(limit)).all()
    if not rows:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("SMTP_USER"):
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            for note, user in rows:
                smtp.send_message(_message(note, user))
                note.emailed_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("e-mail delivery stopped after %d messages: %s", sent, exc)
    return sent


def _message(note: Notification, user: User) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    msg["Subject"] = f"[SILABU] {note.title}"
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = user.email
    link = cfg["BASE_URL"].rstrip("/") + note.link if note.link.startswith("/") else note.link
    msg.set_content(f"Yth. {user.name},\n\n{note.body or note.title}\n\n{('Buka: ' + link) if link else ''}\n\n"
                    "Pesan ini dikirim otomatis oleh SILABU. Mohon tidak membalas e-mail ini.\n")
    return msg
