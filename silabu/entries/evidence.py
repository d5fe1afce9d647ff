"""The rules for an entry's evidence (bukti dukung). Pages, the API and jobs all come through here.

- Evidence may be added or removed only by the entry's owner, while the entry itself may change.
- What is stored is decided by ``evidence.processing``: clean photos, unchanged documents; the rest is refused.
- Blobs are content-addressed and may be shared, so one is deleted only when nothing refers to it
  (``evidence.blobs``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from silabu.accounts.models import User
from silabu.core import audit
from silabu.core.errors import NotFound, ValidationFailed
from silabu.entries.models import Entry, Evidence, EvidenceKind
from silabu.entries.services import assert_editable, assert_owner, get_entry_for, touch
from silabu.evidence import blobs
from silabu.evidence.processing import process_with_limits, sanitize_filename
from silabu.evidence.storage import get_storage, key_for
from silabu.extensions import db

MAX_EVIDENCE_PER_ENTRY = 20
THUMBNAIL_SUFFIX = ".thumb.jpg"


def add_evidence(entry: Entry, actor: User, filename: str, data: bytes) -> Evidence:
    """Check, convert and store one uploaded file as evidence of ``entry``; refusals leave nothing behind."""
    assert_owner(entry, actor)
    assert_editable(entry)
    if _count_for(entry) >= MAX_EVIDENCE_PER_ENTRY:
        message = (f"Satu entri paling banyak memuat {MAX_EVIDENCE_PER_ENTRY} berkas bukti dukung. "
                   "Hapus berkas yang tidak diperlukan terlebih dahulu.")
        raise ValidationFailed({"file": message}, message, code="too_many_evidence")

    processed = process_with_limits(data, filename)
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
        # The lock check and the write are one step: the entry's row is written first (a month closed meanwhile
        # bumped its version, so this write fails with a version conflict), then the blobs' lock is held until
        # commit, so a deletion of the same bytes by another entry cannot remove the file this row will name.
        touch(entry)
        blobs.hold([storage_key, thumbnail_key])
        for key, blob in ((storage_key, processed.data), (thumbnail_key, processed.thumbnail)):
            if key is not None and blob is not None and not storage.exists(key):
                storage.store(key, blob)
                created.append(key)
        ev = Evidence(entry=entry, kind=EvidenceKind(processed.kind), content_type=processed.content_type,
                      size=processed.size, sha256=processed.sha256, storage_key=storage_key,
                      thumbnail_key=thumbnail_key, original_sha256=processed.original_sha256,
                      original_name=sanitize_filename(filename, processed.extension), width=processed.width,
                      height=processed.height, taken_at=processed.taken_at, gps_lat=processed.gps_lat,
                      gps_lon=processed.gps_lon, uploaded_by_id=actor.id)
        db.session.add(ev)
        db.session.flush()
        audit.record("evidence.add", ev, actor=actor, after=_snapshot(ev))
    except BaseException:
        # Only what this call wrote: an existing blob may belong to another entry's evidence.
        for key in created:
            blobs.delete_quietly(storage, key)
        raise
    return ev


def _count_for(entry: Entry) -> int:
    if entry.id is None:
        return 0
    return db.session.scalar(select(func.count(Evidence.id)).where(Evidence.entry_id == entry.id)) or 0


def delete_evidence(ev: Evidence, actor: User) -> None:
    """Remove one piece of evidence from a still-editable entry; its blobs go when nothing else uses them."""
    assert_owner(ev.entry, actor)
    assert_editable(ev.entry)
    touch(ev.entry)
    audit.record("evidence.delete", ev, actor=actor, before=_snapshot(ev))
    keys = [k for k in (ev.storage_key, ev.thumbnail_key) if k]
    db.session.delete(ev)
    db.session.flush()
    blobs.delete_after_commit(keys)


def remove_chosen_evidence(entry: Entry, actor: User, evidence_ids: list[int]) -> list[str]:
    """Remove the evidence the owner marked on the edit form (ids of other entries are ignored); their names."""
    chosen = set(evidence_ids)
    removed = []
    for ev in [ev for ev in entry.evidence if ev.id in chosen]:
        removed.append(ev.original_name)
        delete_evidence(ev, actor)
    if removed:
        db.session.expire(entry, ["evidence"])
    return removed


def delete_all_evidence(entry: Entry, actor: User) -> None:
    """Remove every piece of evidence of an entry that is being deleted."""
    for ev in list(entry.evidence):
        delete_evidence(ev, actor)
    # The collection still holds the rows just deleted: forget it, so the delete cascade (which reloads it,
    # now empty) does not delete them a second time.
    db.session.expire(entry, ["evidence"])


def get_evidence_for(user: User, evidence_id: int | str) -> Evidence:
    """The evidence if ``user`` may see its entry; 404 otherwise (never reveal that it exists)."""
    from silabu.core.parsing import int_or_none

    number = int_or_none(evidence_id, minimum=1)
    ev = db.session.get(Evidence, number) if number is not None else None
    if ev is None:
        raise NotFound("Bukti dukung tidak ditemukan.")
    try:
        get_entry_for(user, ev.entry_id)
    except NotFound:
        raise NotFound("Bukti dukung tidak ditemukan.") from None
    return ev


def taken_at_warnings(entry: Entry) -> list[str]:
    """Photos whose EXIF time is not on the entry's date: shown as a warning, never blocking."""
    out = []
    for ev in entry.evidence:
        if ev.taken_on_other_day:
            out.append(f"Foto '{ev.original_name}' diambil pada {ev.taken_at:%d/%m/%Y}, bukan pada tanggal entri.")
    return out


def _snapshot(ev: Evidence) -> dict[str, Any]:
    return {"entry_id": ev.entry_id, "kind": ev.kind, "content_type": ev.content_type, "size": ev.size,
            "sha256": ev.sha256, "original_sha256": ev.original_sha256, "original_name": ev.original_name,
            "taken_at": ev.taken_at}

