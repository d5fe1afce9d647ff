"""The API's JSON shapes of SILABU's objects (API.md). Services return objects; only the API turns them into JSON."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from silabu.core import audit
from silabu.core.clock import as_utc
from silabu.core.formatting import plain_number
from silabu.core.links import path_for
from silabu.entries.evidence import taken_at_warnings
from silabu.entries.models import Entry, Evidence
from silabu.lkj.services.tabel import CapaianRow
from silabu.pleno.models import PACKET_STATUS_LABELS, Packet


def iso(value: datetime | None) -> str | None:
    """A stored timestamp as ISO 8601 with its UTC offset."""
    return as_utc(value).isoformat() if value is not None else None


number = plain_number


def evidence_json(ev: Evidence) -> dict[str, Any]:
    """One piece of evidence; GPS is private and never included."""
    return {
        "id": ev.id,
        "kind": ev.kind.value,
        "content_type": ev.content_type,
        "size": ev.size,
        "sha256": ev.sha256,
        "taken_at": ev.taken_at.isoformat() if ev.taken_at else None,
        "original_name": ev.original_name,
        "url": path_for("evidence.download", evidence_id=ev.id),
        "thumbnail_url": path_for("evidence.thumbnail", evidence_id=ev.id) if ev.thumbnail_key else None,
        "created_at": iso(ev.created_at),
    }


def entry_json(entry: Entry, *, with_history: bool = False) -> dict[str, Any]:
    data = {
        "id": entry.id, "user_id": entry.user_id, "user_name": entry.user.name, "unit_code": entry.unit.code,
        "entry_date": entry.entry_date.isoformat(), "output_code": entry.output_code.code,
        "output_code_name": entry.output_code.name, "activity": entry.activity, "output": entry.output,
        "quantity": number(entry.quantity), "unit": entry.unit_of_measure,
        "start_time": entry.start_time.strftime("%H:%M") if entry.start_time else None,
        "end_time": entry.end_time.strftime("%H:%M") if entry.end_time else None,
        "status": entry.status.value, "locked": entry.is_locked, "editable": entry.is_editable,
        "version": entry.version,
        "return_note": entry.return_note, "return_count": entry.return_count, "client_uuid": entry.client_uuid,
        "created_at": iso(entry.created_at), "updated_at": iso(entry.updated_at),
        "submitted_at": iso(entry.submitted_at), "verified_at": iso(entry.verified_at),
        "evidence": [evidence_json(ev) for ev in entry.evidence],
        "warnings": list(getattr(entry, "warnings", [])) + taken_at_warnings(entry),
    }
    if with_history:
        data["history"] = [{"at": iso(ev.at), "action": ev.action, "actor": ev.actor.name if ev.actor else None,
                            "on_behalf_of": ev.on_behalf_of, "note": ev.note}
                           for ev in audit.history("entries", entry.id)]
    return data


def packet_json(packet: Packet) -> dict[str, Any]:
    """One packet version (API.md)."""
    return {
        "month": packet.period,
        "version": packet.version,
        "status": packet.status.value,
        "status_label": PACKET_STATUS_LABELS[packet.status],
        "built_at": iso(packet.built_at),
        "built_by": packet.built_by.name if packet.built_by is not None else None,
        "data_sha256": packet.data_sha256,
        "summary": packet.summary or {},
        "files": [{"name": f.name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256,
                   "url": path_for("api.packet_file", month=packet.period, version=packet.version, name=f.name)}
                  for f in packet.files],
        "presented_at": iso(packet.presented_at),
        "finalized_at": iso(packet.finalized_at),
        "berita_acara_number": packet.berita_acara_number,
        "pleno_date": packet.pleno_date.isoformat() if packet.pleno_date else None,
        "notes": packet.notes,
        "incomplete_reason": packet.incomplete_reason,
        "incomplete": packet.incomplete_detail,
        "supersedes_version": packet.supersedes_version,
        "correction_reason": packet.correction_reason,
        "superseded_at": iso(packet.superseded_at),
    }


def capaian_row_json(row: CapaianRow) -> dict[str, Any]:
    """One row of the Tabel Capaian (API.md)."""
    data = {"sasaran": row.sasaran, "sasaran_code": row.sasaran_code, "indicator_code": row.code,
            "indicator": row.name, "unit": row.unit, "target": number(row.target),
            "realisasi": number(row.realisasi), "capaian": number(row.capaian), "kategori": row.kategori,
            "reason": row.reason, "polarity": row.polarity, "consolidation": row.consolidation,
            "source": row.source, "output_codes": row.output_codes, "months_counted": row.months_counted,
            "months_in_period": row.months_in_period, "measure": row.measure,
            "warnings": [w.as_json() for w in row.warnings]}
    if row.previous is not None:
        data["previous"] = {"year": row.previous.year, "target": number(row.previous.target),
                            "realisasi": number(row.previous.realisasi), "capaian": number(row.previous.capaian),
                            "kategori": row.previous.kategori}
    return data
