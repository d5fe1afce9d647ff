"""Which stored blobs are in use, and removing the ones that are not.

Blobs are content-addressed and may be shared by several rows (the same photo attached twice, a packet file
rebuilt unchanged), so a blob goes only when no row names it any more. Every model that names blobs registers
its key columns here (``names_blobs``), so this module needs to know none of them.

A new reference and a removal of the same blob must not interleave (an upload finding the file present, a
deletion then removing it before the upload's row is committed): both hold the blob's lock (``hold``) — on
PostgreSQL an advisory lock per key, on SQLite the database's write lock — the upload until its commit, the
removal while it checks the references and removes the file.
"""
from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from silabu.evidence.storage import Storage, get_storage
from silabu.extensions import db

_KEY_COLUMNS: list[InstrumentedAttribute[Any]] = []
_PENDING = "silabu.blobs_to_delete"


def names_blobs(*columns: InstrumentedAttribute[Any]) -> None:
    """Declare columns holding storage keys: a blob is in use while any of them names it."""
    for column in columns:
        if column not in _KEY_COLUMNS:
            _KEY_COLUMNS.append(column)


def hold(keys: list[str], conn=None) -> None:
    """Take the lock of these blobs for the rest of the transaction (the session's, or ``conn``'s)."""
    run = conn.execute if conn is not None else db.session.execute
    bind = conn if conn is not None else db.session.get_bind()
    if bind.dialect.name == "postgresql":
        for key in sorted({k for k in keys if k}):
            run(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": "blob:" + key})
    else:
        # A write that changes nothing still takes SQLite's one write lock, held until the transaction ends.
        run(text("UPDATE evidence SET id = id WHERE 1 = 0"))


def referenced_keys(keys: list[str], conn=None) -> set[str]:
    """Which of ``keys`` some row still names (in this transaction's view, or on ``conn``)."""
    if not keys:
        return set()
    run = conn.scalars if conn is not None else db.session.scalars
    found: set[str] = set()
    for column in _KEY_COLUMNS:
        found.update(run(select(column).where(column.in_(keys))))
    return found


def all_referenced_keys() -> set[str]:
    found: set[str] = set()
    for column in _KEY_COLUMNS:
        found.update(k for k in db.session.scalars(select(column).where(column.is_not(None))) if k)
    return found


def delete_after_commit(keys: list[str]) -> None:
    """Remove these blobs once the session's transaction commits, unless something still names them then.

    A failed commit brings the rows back with their files; a removal that fails after the commit leaves an
    orphan, which ``clean_orphans`` collects.
    """
    db.session.info.setdefault(_PENDING, set()).update(k for k in keys if k)


@event.listens_for(Session, "after_commit")
def _delete_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction (and its write lock) is still open
    keys = session.info.pop(_PENDING, None)
    if not keys:
        return
    # The session cannot run SQL inside after_commit: check references on a connection of its own, holding the
    # blobs' lock until the files are gone, so an upload of the same bytes waits and then stores them again.
    storage = get_storage()
    with db.engine.begin() as conn:
        hold(list(keys), conn)
        referenced = referenced_keys(list(keys), conn)
        for key in keys:
            if key not in referenced:
                delete_quietly(storage, key)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def orphan_keys(storage: Storage, older_than_seconds: float | None = None) -> list[str]:
    """Stored keys that no row names (optionally only those older than an age)."""
    referenced = all_referenced_keys()
    cutoff = time.time() - older_than_seconds if older_than_seconds is not None else None
    orphans = []
    for key in storage.iter_keys():
        if key in referenced:
            continue
        if cutoff is not None:
            try:
                if storage.modified_at(key) >= cutoff:
                    continue
            except FileNotFoundError:
                continue
        orphans.append(key)
    return orphans


def clean_orphans(storage: Storage, older_than_seconds: float = 3600) -> int:
    """Delete orphan blobs and stale temp files older than the given age; returns how many files went.

    The age keeps blobs of an upload whose database row is not committed yet.
    """
    removed = 0
    for key in orphan_keys(storage, older_than_seconds):
        storage.delete(key)
        removed += 1
    return removed + storage.clean_temp(older_than_seconds)


def store_bytes(data: bytes, suffix: str) -> tuple[str, str, int]:
    """Store bytes under their content address; returns (key, sha256, size)."""
    import hashlib

    from silabu.evidence.storage import key_for

    sha = hashlib.sha256(data).hexdigest()
    key = key_for(sha, suffix)
    storage = get_storage()
    if not storage.exists(key):
        storage.store(key, data)
    return key, sha, len(data)


def delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:
        current_app.logger.warning("storage: could not delete blob %s", key, exc_info=True)
