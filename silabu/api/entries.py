"""Daily entries and their evidence."""
from __future__ import annotations

from flask import request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts.access import Scope
from silabu.accounts.models import User
from silabu.accounts.org import today_for
from silabu.api import api_bp, commit_or_current_state, json_body, ok, path_param, query_param, spec
from silabu.api.serializers import entry_json, evidence_json
from silabu.core.clock import period_of
from silabu.core.errors import NotFound, ValidationFailed
from silabu.core.parsing import int_or_none, parse_month
from silabu.entries import evidence as evidence_services
from silabu.entries import services
from silabu.entries.codes import find_codes
from silabu.entries.models import Entry, EntryStatus
from silabu.extensions import db

ENTRY_FIELDS = ("entry_date", "output_code", "activity", "output", "quantity", "unit", "start_time", "end_time")


@api_bp.route("/output-codes")
@login_required
def output_codes():
    raw = request.args.get("limit")
    limit = int_or_none(raw, minimum=1, maximum=1000) if raw not in (None, "") else 500
    if limit is None:
        raise ValidationFailed({"limit": "limit harus bilangan bulat 1 sampai 1000."})
    codes = find_codes(request.args.get("q"), limit=limit)
    return ok({"items": [{"code": c.code, "name": c.name, "default_unit": c.default_unit, "level": c.level}
                         for c in codes]})


@api_bp.route("/entries", methods=["POST"])
@login_required
def create_entry():
    data = json_body()
    try:
        entry, created = services.create_entry(current_user, {k: data[k] for k in ENTRY_FIELDS if k in data},
                                               client_uuid=data.get("client_uuid") or None,
                                               confirm_duplicate=data.get("confirm_duplicate") is True)
    except services.PossibleDuplicate as exc:
        exc.details = {**exc.details, "existing": entry_json(exc.existing)}
        raise
    body = entry_json(entry)  # before the commit, which would expire what was just written and read it back
    db.session.commit()
    return ok(body, 201 if created else 200)


@api_bp.route("/entries")
@login_required
def list_entries():
    raw_user = request.args.get("user_id")
    user_id = int_or_none(raw_user, minimum=1) if raw_user else current_user.id
    if user_id is None:
        raise ValidationFailed({"user_id": "user_id harus bilangan bulat positif."})
    today = today_for(current_user)
    scope = Scope(current_user, today)
    if user_id != current_user.id:
        # Unknown and not-yours answer alike: whether a user id exists is not told.
        owner = db.session.get(User, user_id)
        if owner is None or not scope.can_view_entries_of(owner):
            raise NotFound("Pengguna tidak ditemukan.")
    month = parse_month(request.args.get("month") or period_of(today))
    query = (select(Entry).where(Entry.period == month, Entry.user_id == user_id)
             .options(selectinload(Entry.evidence), selectinload(Entry.output_code), selectinload(Entry.user),
                      selectinload(Entry.unit), selectinload(Entry.unit_month)).order_by(Entry.entry_date, Entry.id))
    status = request.args.get("status")
    if status:
        try:
            query = query.where(Entry.status == EntryStatus(status))
        except ValueError:
            raise ValidationFailed({"status": "Status tidak dikenal."}) from None
    entries = [e for e in db.session.scalars(query) if scope.can_view_entry(e)]
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
    commit_or_current_state(entry, lambda: services.update_entry(entry, current_user,
                                                                 {k: data[k] for k in ENTRY_FIELDS if k in data}),
                            entry_json)
    return ok(entry_json(entry))


@api_bp.route("/entries/<int:entry_id>", methods=["DELETE"])
@login_required
def delete_entry(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    commit_or_current_state(entry, lambda: services.delete_entry(entry, current_user), entry_json)
    return "", 204


@api_bp.route("/entries/<int:entry_id>/submit", methods=["POST"])
@login_required
def submit_entry(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    commit_or_current_state(entry, lambda: services.submit_entry(entry, current_user), entry_json)
    return ok(entry_json(entry))


@api_bp.route("/entries/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw_entry(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    commit_or_current_state(entry, lambda: services.withdraw_entry(entry, current_user), entry_json)
    return ok(entry_json(entry))


@api_bp.route("/entries/<int:entry_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.assert_owner(entry, current_user)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": "Pilih berkas yang akan diunggah (field 'file')."})
    data = upload.read()
    ev = commit_or_current_state(
        entry, lambda: evidence_services.add_evidence(entry, current_user, upload.filename or "bukti", data),
        entry_json)
    return ok(evidence_json(ev), 201)


@api_bp.route("/evidence/<int:evidence_id>", methods=["GET"])
@login_required
def get_evidence(evidence_id: int):
    return ok(evidence_json(evidence_services.get_evidence_for(current_user, evidence_id)))


@api_bp.route("/evidence/<int:evidence_id>", methods=["DELETE"])
@login_required
def delete_evidence(evidence_id: int):
    ev = evidence_services.get_evidence_for(current_user, evidence_id)
    entry = ev.entry
    commit_or_current_state(entry, lambda: evidence_services.delete_evidence(ev, current_user), entry_json)
    return "", 204


ENTRY_SCHEMA = {"type": "object", "required": ["entry_date", "output_code", "activity", "output", "quantity"],
                "properties": {"entry_date": {"type": "string", "format": "date"}, "output_code": {"type": "string"},
                               "activity": {"type": "string", "maxLength": 1000},
                               "output": {"type": "string", "maxLength": 1000},
                               "quantity": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                               "unit": {"type": "string", "minLength": 1, "maxLength": 50},
                               "start_time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                               "end_time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                               "client_uuid": {"type": "string", "format": "uuid"}}}
NEW_ENTRY_SCHEMA = {**ENTRY_SCHEMA, "properties": {
    **ENTRY_SCHEMA["properties"],
    "confirm_duplicate": {"type": "boolean", "description": "simpan walau sudah ada entri dengan tanggal, kode "
                                                            "output dan uraian kegiatan yang sama"}}}
spec("/api/v1/output-codes", "get", "Kode output aktif yang dapat dipakai", tags=["entries"],
     params=[query_param("q", description="kata-kata (urutan bebas, tanpa beda huruf besar/kecil dan tanda baca) "
                                          "pada kode, nama, atau kegiatan yang pernah dicatat di bawah kode itu")])
spec("/api/v1/entries", "post", "Buat entri harian (draf); client_uuid membuatnya idempoten", tags=["entries"],
     body=NEW_ENTRY_SCHEMA,
     responses={"201": "Entri dibuat", "200": "client_uuid sudah pernah dikirim: entri yang sama",
                "422": "Data tidak valid",
                "409": "Bulan sudah ditutup, atau possible_duplicate: entri serupa sudah ada (di bawah 'existing'); "
                       "kirim ulang dengan confirm_duplicate: true untuk tetap menyimpan"})
spec("/api/v1/entries", "get", "Entri sebulan yang boleh dilihat pemanggil", tags=["entries"],
     params=[query_param("month", description="TTTT-BB"), query_param("user_id", "integer", minimum=1),
             query_param("status")])
spec("/api/v1/entries/{entry_id}", "get", "Satu entri dengan bukti dan riwayatnya", tags=["entries"],
     params=[path_param("entry_id")])
spec("/api/v1/entries/{entry_id}", "patch", "Ubah entri draf/dikembalikan", tags=["entries"],
     params=[path_param("entry_id")], body={"type": "object", "properties": ENTRY_SCHEMA["properties"]},
     responses={"200": "Entri", "409": "Entri terkunci/terverifikasi/diajukan", "422": "Data tidak valid"})
spec("/api/v1/entries/{entry_id}", "delete", "Hapus entri draf/dikembalikan", tags=["entries"],
     params=[path_param("entry_id")], responses={"204": "Dihapus", "409": "Entri tidak dapat dihapus"})
spec("/api/v1/entries/{entry_id}/submit", "post", "Ajukan entri ke verifikator", tags=["entries"],
     params=[path_param("entry_id")], responses={"200": "Entri diajukan", "409": "Status tidak mengizinkan"})
spec("/api/v1/entries/{entry_id}/withdraw", "post",
     "Tarik kembali entri yang diajukan (belum diverifikasi/dikembalikan) menjadi draf; hanya pemiliknya",
     tags=["entries"], params=[path_param("entry_id")],
     responses={"200": "Entri kembali menjadi draf",
                "409": "not_submitted: entri tidak sedang menunggu verifikasi; atau bulan sudah ditutup"})
spec("/api/v1/entries/{entry_id}/evidence", "post", "Unggah bukti dukung (field multipart 'file')", tags=["evidence"],
     params=[path_param("entry_id")], multipart=True,
     body={"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
     responses={"201": "Bukti tersimpan", "409": "Entri terkunci", "413": "Terlalu besar",
                "415": "Jenis berkas tidak didukung", "422": "Berkas rusak/tidak dapat diterima"})
spec("/api/v1/evidence/{evidence_id}", "get", "Metadata bukti", tags=["evidence"], params=[path_param("evidence_id")])
spec("/api/v1/evidence/{evidence_id}", "delete", "Hapus bukti dari entri draf/dikembalikan", tags=["evidence"],
     params=[path_param("evidence_id")], responses={"204": "Dihapus", "409": "Entri terkunci"})
SIGNED_URL_REDIRECT = ("Dengan SILABU_S3_SIGNED_URLS: dialihkan (Location) ke URL bertanda tangan di penyimpanan "
                       "objek, berlaku SILABU_S3_URL_TTL detik")
spec("/api/v1/evidence/{evidence_id}/file", "get", "Berkas bukti (foto inline, dokumen sebagai unduhan)",
     tags=["evidence"], params=[path_param("evidence_id")], responses={"200": "OK", "302": SIGNED_URL_REDIRECT})
spec("/api/v1/evidence/{evidence_id}/thumbnail", "get", "Gambar mini foto", tags=["evidence"],
     params=[path_param("evidence_id")], responses={"200": "OK", "302": SIGNED_URL_REDIRECT})
