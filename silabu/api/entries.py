"""Daily entries and their evidence."""
from __future__ import annotations


from flask import request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts.access import can_view_entries_of, can_view_entry
from silabu.accounts.models import User
from silabu.accounts.org import today_for
from silabu.api import api_bp, json_body, ok, path_param, query_param, spec
from silabu.catalog.services import search_codes
from silabu.core import audit
from silabu.core.clock import as_utc, parse_period, period_of
from silabu.core.errors import NotFound, ValidationFailed
from silabu.entries import services
from silabu.entries.models import Entry, EntryStatus
from silabu.evidence import services as evidence_services
from silabu.extensions import db

ENTRY_FIELDS = ("entry_date", "output_code", "activity", "output", "quantity", "unit", "start_time", "end_time")


def _iso(dt):  # noqa: ANN001, ANN202
    return as_utc(dt).isoformat() if dt is not None else None


def entry_json(entry: Entry, *, with_history: bool = False) -> dict:
    q = entry.quantity
    data = {
        "id": entry.id, "user_id": entry.user_id, "user_name": entry.user.name, "unit_code": entry.unit.code,
        "entry_date": entry.entry_date.isoformat(), "output_code": entry.output_code.code,
        "output_code_name": entry.output_code.name, "activity": entry.activity, "output": entry.output,
        "quantity": int(q) if q == q.to_integral_value() else float(q), "unit": entry.unit_of_measure,
        "start_time": entry.start_time.strftime("%H:%M") if entry.start_time else None,
        "end_time": entry.end_time.strftime("%H:%M") if entry.end_time else None,
        "status": entry.status.value, "locked": bool(entry.is_locked), "editable": entry.is_editable,
        "version": entry.version,
        "return_note": entry.return_note, "return_count": entry.return_count, "client_uuid": entry.client_uuid,
        "created_at": _iso(entry.created_at), "updated_at": _iso(entry.updated_at),
        "submitted_at": _iso(entry.submitted_at), "verified_at": _iso(entry.verified_at),
        "evidence": [evidence_services.evidence_json(ev) for ev in entry.evidence],
        "warnings": list(getattr(entry, "warnings", [])) + services.taken_at_warnings(entry),
    }
    if with_history:
        data["history"] = [{"at": _iso(ev.at), "action": ev.action, "actor": ev.actor.name if ev.actor else None,
                            "on_behalf_of": ev.on_behalf_of, "note": ev.note}
                           for ev in audit.history("entries", entry.id)]
    return data


@api_bp.route("/output-codes")
@login_required
def output_codes():
    codes = search_codes(request.args.get("q"), limit=min(int(request.args.get("limit", 500) or 500), 1000))
    return ok({"items": [{"code": c.code, "name": c.name, "default_unit": c.default_unit, "level": c.level}
                         for c in codes]})


@api_bp.route("/entries", methods=["POST"])
@login_required
def create_entry():
    data = json_body()
    entry, created = services.create_entry(current_user, {k: data[k] for k in ENTRY_FIELDS if k in data},
                                           client_uuid=data.get("client_uuid") or None)
    db.session.commit()
    return ok(entry_json(entry), 201 if created else 200)


@api_bp.route("/entries")
@login_required
def list_entries():
    user_id = request.args.get("user_id", type=int) or current_user.id
    today = today_for(current_user)
    if user_id != current_user.id:
        # Unknown and not-yours answer alike: whether a user id exists is not told.
        owner = db.session.get(User, user_id)
        if owner is None or not can_view_entries_of(current_user, owner, today):
            raise NotFound("Pengguna tidak ditemukan.")
    month = request.args.get("month") or period_of(today)
    try:
        parse_period(month)
    except ValueError:
        raise ValidationFailed({"month": "Format bulan harus TTTT-BB."}) from None
    query = (select(Entry).where(Entry.period == month, Entry.user_id == user_id)
             .options(selectinload(Entry.evidence), selectinload(Entry.output_code), selectinload(Entry.user),
                      selectinload(Entry.unit)).order_by(Entry.entry_date, Entry.id))
    status = request.args.get("status")
    if status:
        try:
            query = query.where(Entry.status == EntryStatus(status))
        except ValueError:
            raise ValidationFailed({"status": "Status tidak dikenal."}) from None
    entries = [e for e in db.session.scalars(query) if can_view_entry(current_user, e, today)]
    return ok({"month": month, "user_id": user_id, "items": [entry_json(e) for e in entries]})


@api_bp.route("/entries/<int:entry_id>")
@login_required
def get_entry(entry_id: int):
    return ok(entry_json(services.get_entry_for(current_user, entry_id), with_history=True))


@api_bp.route("/entries/<int:entry_id>", methods=["PATCH"])
@login_required
def patch_entry(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.assert_owner(entry, current_user)  # only the owner edits: refused before the body is read
    data = json_body()
    services.update_entry(entry, current_user, {k: data[k] for k in ENTRY_FIELDS if k in data})
    db.session.commit()
    return ok(entry_json(entry))


@api_bp.route("/entries/<int:entry_id>", methods=["DELETE"])
@login_required
def delete_entry(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.delete_entry(entry, current_user)
    db.session.commit()
    return "", 204


@api_bp.route("/entries/<int:entry_id>/submit", methods=["POST"])
@login_required
def submit_entry(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.submit_entry(entry, current_user)
    db.session.commit()
    return ok(entry_json(entry))


@api_bp.route("/entries/<int:entry_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.assert_owner(entry, current_user)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": "Pilih berkas yang akan diunggah (field 'file')."})
    ev = evidence_services.add_evidence(entry, current_user, upload.filename or "bukti", upload.read())
    db.session.commit()
    return ok(evidence_services.evidence_json(ev), 201)


@api_bp.route("/evidence/<int:evidence_id>", methods=["GET"])
@login_required
def get_evidence(evidence_id: int):
    return ok(evidence_services.evidence_json(evidence_services.get_evidence_for(current_user, evidence_id)))


@api_bp.route("/evidence/<int:evidence_id>", methods=["DELETE"])
@login_required
def delete_evidence(evidence_id: int):
    ev = evidence_services.get_evidence_for(current_user, evidence_id)
    evidence_services.delete_evidence(ev, current_user)
    db.session.commit()
    return "", 204


ENTRY_SCHEMA = {"type": "object", "required": ["entry_date", "output_code", "activity", "output", "quantity"],
                "properties": {"entry_date": {"type": "string", "format": "date"}, "output_code": {"type": "string"},
                               "activity": {"type": "string", "maxLength": 1000},
                               "output": {"type": "string", "maxLength": 1000},
                               "quantity": {"type": "number", "exclusiveMinimum": 0},
                               "unit": {"type": "string", "maxLength": 50},
                               "start_time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                               "end_time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                               "client_uuid": {"type": "string", "format": "uuid"}}}
spec("/api/v1/output-codes", "get", "Kode output aktif yang dapat dipakai", tags=["entries"],
     params=[query_param("q", description="cari kode atau nama")])
spec("/api/v1/entries", "post", "Buat entri harian (draf); client_uuid membuatnya idempoten", tags=["entries"],
     body=ENTRY_SCHEMA, responses={"201": "Entri dibuat", "200": "client_uuid sudah pernah dikirim: entri yang sama",
                                   "422": "Data tidak valid", "409": "Bulan sudah ditutup"})
spec("/api/v1/entries", "get", "Entri sebulan yang boleh dilihat pemanggil", tags=["entries"],
     params=[query_param("month", description="TTTT-BB"), query_param("user_id", "integer"), query_param("status")])
spec("/api/v1/entries/{entry_id}", "get", "Satu entri dengan bukti dan riwayatnya", tags=["entries"],
     params=[path_param("entry_id")])
spec("/api/v1/entries/{entry_id}", "patch", "Ubah entri draf/dikembalikan", tags=["entries"],
     params=[path_param("entry_id")], body={"type": "object", "properties": ENTRY_SCHEMA["properties"]},
     responses={"200": "Entri", "409": "Entri terkunci/terverifikasi/diajukan", "422": "Data tidak valid"})
spec("/api/v1/entries/{entry_id}", "delete", "Hapus entri draf/dikembalikan", tags=["entries"],
     params=[path_param("entry_id")], responses={"204": "Dihapus", "409": "Entri tidak dapat dihapus"})
spec("/api/v1/entries/{entry_id}/submit", "post", "Ajukan entri ke verifikator", tags=["entries"],
     params=[path_param("entry_id")], responses={"200": "Entri diajukan", "409": "Status tidak mengizinkan"})
spec("/api/v1/entries/{entry_id}/evidence", "post", "Unggah bukti dukung (field multipart 'file')", tags=["evidence"],
     params=[path_param("entry_id")], multipart=True,
     body={"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
     responses={"201": "Bukti tersimpan", "409": "Entri terkunci", "413": "Terlalu besar",
                "415": "Jenis berkas tidak didukung", "422": "Berkas rusak/tidak dapat diterima"})
spec("/api/v1/evidence/{evidence_id}", "get", "Metadata bukti", tags=["evidence"], params=[path_param("evidence_id")])
spec("/api/v1/evidence/{evidence_id}", "delete", "Hapus bukti dari entri draf/dikembalikan", tags=["evidence"],
     params=[path_param("evidence_id")], responses={"204": "Dihapus", "409": "Entri terkunci"})
spec("/api/v1/evidence/{evidence_id}/file", "get", "Berkas bukti (foto inline, dokumen sebagai unduhan)",
     tags=["evidence"], params=[path_param("evidence_id")])
spec("/api/v1/evidence/{evidence_id}/thumbnail", "get", "Gambar mini foto", tags=["evidence"],
     params=[path_param("evidence_id")])
