"""The rules for evidence (bukti dukung). Pages, the API and jobs all come through here.

- Evidence may be added or removed only by the entry's owner, while the entry itself may change.
- What is stored is decided by ``processing``: clean photos, unchanged documents; the rest is refused.
- Blobs are content-addressed and may be shared, so one is deleted only when nothing refers to it.
"""
from __future__ import annotations

import time
import unicodedata
from typing import TYPE_CHECKING, Any

from flask import current_app, url_for
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from silabu.core import audit
from silabu.core.errors import NotFound, ValidationFailed
from silabu.evidence.models import Evidence, EvidenceKind
from silabu.evidence.processing import ProcessedFile, process_upload
from silabu.evidence.storage import Storage, get_storage, key_for
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import User
    from silabu.entries.models import Entry

MAX_EVIDENCE_PER_ENTRY = 20
NAME_MAX = 255
THUMBNAIL_SUFFIX = ".thumb.jpg"


def add_evidence(entry: Entry, actor: User, filename: str, data: bytes) -> Evidence:
    """Check, convert and store one uploaded file as evidence of ``entry``; refusals leave nothing behind."""
    from silabu.entries.services import assert_editable, assert_owner

    assert_owner(entry, actor)
    assert_editable(entry)
    if _count_for(entry) >= MAX_EVIDENCE_PER_ENTRY:
        message = (f"Satu entri paling banyak memuat {MAX_EVIDENCE_PER_ENTRY} berkas bukti dukung. "
                   "Hapus berkas yang tidak diperlukan terlebih dahulu.")
        raise ValidationFailed({"file": message}, message, code="too_many_evidence")

    config = current_app.config
    processed = process_upload(data, filename, max_bytes=config["EVIDENCE_MAX_BYTES"],
                               max_pixels=config["IMAGE_MAX_PIXELS"], long_side=config["IMAGE_SERVE_LONG_SIDE"],
                               thumb_side=config["THUMBNAIL_LONG_SIDE"])
    # The same bytes sent twice to one entry (a double tap, a retried offline sync) stay one piece of evidence.
    existing = db.session.scalar(select(Evidence).where(Evidence.entry_id == entry.id,
                                                        Evidence.sha256 == processed.sha256).limit(1))
    if existing is not None:
        return existing

    storage = get_storage()
    storage_key = key_for(processed.sha256, processed.extension)
    thumbnail_key = key_for(processed.sha256, THUMBNAIL_SUFFIX) if processed.thumbnail is not None else None
    created: list[str] = []
    try:
        for key, blob in ((storage_key, processed.data), (thumbnail_key, processed.thumbnail)):
            if key is not None and blob is not None and not storage.exists(key):
                storage.store(key, blob)
                created.append(key)
        ev = _new_evidence(entry, actor, filename, processed, storage_key, thumbnail_key)
        db.session.add(ev)
        db.session.flush()
        audit.record("evidence.add", ev, actor=actor, after=_snapshot(ev))
    except BaseException:
        # Only what this call wrote: an existing blob may belong to another entry's evidence.
        for key in created:
            _delete_quietly(storage, key)
        raise
    return ev


def _new_evidence(entry: Entry, actor: User, filename: str, processed: ProcessedFile, storage_key: str,
                  thumbnail_key: str | None) -> Evidence:
    return Evidence(entry=entry, kind=EvidenceKind(processed.kind), content_type=processed.content_type,
                    size=processed.size, sha256=processed.sha256, storage_key=storage_key,
                    thumbnail_key=thumbnail_key, original_sha256=processed.original_sha256,
                    original_name=sanitize_filename(filename, processed.extension), width=processed.width,
                    height=processed.height, taken_at=processed.taken_at, gps_lat=processed.gps_lat,
                    gps_lon=processed.gps_lon, uploaded_by_id=actor.id)


def _count_for(entry: Entry) -> int:
    if entry.id is None:
        return 0
    return db.session.scalar(select(func.count(Evidence.id)).where(Evidence.entry_id == entry.id)) or 0


def delete_evidence(ev: Evidence, actor: User) -> None:
    """Remove one piece of evidence from a still-editable entry; its blobs go when nothing else uses them."""
    from silabu.entries.services import assert_editable, assert_owner

    assert_owner(ev.entry, actor)
    assert_editable(ev.entry)
    audit.record("evidence.delete", ev, actor=actor, before=_snapshot(ev))
    keys = [k for k in (ev.storage_key, ev.thumbnail_key) if k]
    db.session.delete(ev)
    db.session.flush()
    # The blobs go only once the deletion is committed: a failed commit brings the row back with its file.
    # If removing a file fails after that, what is left is an orphan blob, collected by the clean-up job.
    db.session.info.setdefault(_PENDING_BLOBS, set()).update(keys)


_PENDING_BLOBS = "silabu.blobs_to_delete"


@event.listens_for(Session, "after_commit")
def _delete_blobs_after_commit(session: Session) -> None:
    keys = session.info.pop(_PENDING_BLOBS, None)
    if not keys:
        return
    # The session cannot run SQL inside after_commit: check references on a connection of its own.
    with db.engine.connect() as conn:
        referenced = _referenced_keys(list(keys), conn)
    storage = get_storage()
    for key in keys:
        if key not in referenced:
            _delete_quietly(storage, key)


@event.listens_for(Session, "after_rollback")
def _forget_blobs_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_BLOBS, None)


def get_evidence_for(user: User, evidence_id: int | str) -> Evidence:
    """The evidence if ``user`` may see its entry; 404 otherwise (never reveal that it exists)."""
    try:
        ev = db.session.get(Evidence, int(evidence_id))
    except (TypeError, ValueError):
        ev = None
    if ev is None:
        raise NotFound("Bukti dukung tidak ditemukan.")
    from silabu.entries.services import get_entry_for

    try:
        get_entry_for(user, ev.entry_id)
    except NotFound:
        raise NotFound("Bukti dukung tidak ditemukan.") from None
    return ev


def orphan_keys(storage: Storage, older_than_seconds: float | None = None) -> list[str]:
    """Stored keys that no evidence or pleno packet file refers to (optionally only those older than an age)."""
    referenced = _all_referenced_keys()
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


def evidence_json(ev: Evidence) -> dict[str, Any]:
    """The API's shape of one piece of evidence; GPS is private and never included."""
    return {
        "id": ev.id,
        "kind": ev.kind.value,
        "content_type": ev.content_type,
        "size": ev.size,
        "sha256": ev.sha256,
        "taken_at": ev.taken_at.isoformat() if ev.taken_at else None,
        "original_name": ev.original_name,
        "url": url_for("evidence.download", evidence_id=ev.id),
        "thumbnail_url": url_for("evidence.thumbnail", evidence_id=ev.id) if ev.thumbnail_key else None,
        "created_at": ev.created_at.isoformat() if ev.created_at else None,
    }


def sanitize_filename(name: str | None, fallback_extension: str = "") -> str:
    """The name as the user knows it, safe to keep and show: basename only, no control characters, <= 255."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: invisible format marks such as the right-to-left override ("gpj.exe").
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = " ".join(text.split()).strip(" .")
    if not text:
        text = "bukti" + fallback_extension
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[:NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:NAME_MAX]
    return text


def _snapshot(ev: Evidence) -> dict[str, Any]:
    return {"entry_id": ev.entry_id, "kind": ev.kind, "content_type": ev.content_type, "size": ev.size,
            "sha256": ev.sha256, "original_sha256": ev.original_sha256, "original_name": ev.original_name,
            "taken_at": ev.taken_at}


def _key_columns() -> list:
    """Every column that points at a stored blob. A blob is in use while any of them names it."""
    from silabu.lkj.models import LkjDocument, ManualRealisasi
    from silabu.pleno.models import PacketFile

    return [Evidence.storage_key, Evidence.thumbnail_key, PacketFile.storage_key, ManualRealisasi.evidence_key,
            LkjDocument.docx_key, LkjDocument.pdf_key, LkjDocument.final_key]


def _referenced_keys(keys: list[str], conn=None) -> set[str]:  # noqa: ANN001
    """Which of ``keys`` some row still refers to (in this transaction's view, or on ``conn``)."""
    if not keys:
        return set()
    run = conn.scalars if conn is not None else db.session.scalars
    found: set[str] = set()
    for column in _key_columns():
        found.update(run(select(column).where(column.in_(keys))))
    return found


def _all_referenced_keys() -> set[str]:
    found: set[str] = set()
    for column in _key_columns():
        found.update(k for k in db.session.scalars(select(column).where(column.is_not(None))) if k)
    return found


def _delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # a blob left behind is collected by clean_orphans
        current_app.logger.warning("evidence: could not delete blob %s", key, exc_info=True)
