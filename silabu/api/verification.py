"""API: month-end verification (queue, verify, return, verify-all, close, reopen, exports, oversight, Plh/Plt)."""
from __future__ import annotations

import re

from flask import request
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts import delegation
from silabu.accounts.models import Unit, User
from silabu.accounts.org import today_for
from silabu.api import api_bp, commit_or_current_state, json_body, ok, path_param, query_param, spec
from silabu.api.serializers import entry_json, iso
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.core.parsing import date_or_none, int_or_none, parse_month
from silabu.entries.models import Entry, EntryStatus
from silabu.entries.services import get_entry_for
from silabu.extensions import db
from silabu.verification import exports, services
from silabu.web import download


def _entry(entry: Entry) -> dict:
    data = entry_json(entry)
    data["version"] = entry.version
    data["verified_by"] = entry.verified_by.name if entry.verified_by_id and entry.verified_by else None
    return data


def _expected_version(data: dict) -> int | None:
    """The version the caller saw: body field "version", else the If-Match header ("3", W/"3")."""
    raw = data.get("version")
    if raw is None:
        header = request.headers.get("If-Match", "")
        match = re.search(r"\d+", header)
        raw = match.group(0) if match else None
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed({"version": "version harus bilangan bulat."}) from None


def _month(value: str | None) -> str:
    if not value:
        return services.default_period(today_for(current_user))
    return parse_month(value)


def _act(entry: Entry, action):
    commit_or_current_state(entry, action, _entry)
    resp, status = ok(_entry(entry))
    resp.headers["ETag"] = f'W/"{entry.version}"'
    return resp, status


def _group_json(g: services.AsnGroup, status: str) -> dict:
    entries = [e for e in g.entries or [] if e.status != EntryStatus.DRAFT]  # a draft is its owner's own
    if status != "all":
        entries = [e for e in entries if e.status == EntryStatus.SUBMITTED]
    return {"user": {"id": g.owner.id, "nip": g.owner.nip, "name": g.owner.name, "jabatan": g.owner.jabatan},
            "unit": g.unit.code, "can_verify": g.can_verify, "counts": g.counts,
            "working_days": g.working_days, "filled_days": g.filled_days, "compliance": g.compliance,
            "empty_days": [d.isoformat() for d in g.empty_days], "entries": [_entry(e) for e in entries]}


def _unit_month_json(unit: Unit, period: str) -> dict:
    um = services.get_unit_month(unit.id, period)
    opens, closes = services.verification_window(period)
    report = services.close_report(unit, period) if um is not None and um.is_closed else None
    data = {"unit": unit.code, "unit_name": unit.name, "month": period, "closed": bool(um and um.is_closed),
            "closed_at": iso(um.closed_at) if um else None,
            "closed_by": um.closed_by.name if um and um.closed_by else None,
            "closed_on_behalf_of": um.closed_on_behalf_of if um else None,
            "reopened_at": iso(um.reopened_at) if um else None, "reopen_reason": um.reopen_reason if um else None,
            "window": {"opens": opens.isoformat(), "closes": closes.isoformat()},
            "counts": services.unit_counts(unit.id, period)}
    if report is not None:
        data["unsubmitted"] = [{"user_id": u.id, "name": u.name, "drafts": n} for u, n in report.unsubmitted]
        data["returned"] = [{"user_id": u.id, "name": u.name, "returned": n} for u, n in report.returned]
    return data


@api_bp.route("/verification/queue")
@login_required
def verification_queue():
    unit_id = None
    if request.args.get("unit"):
        unit_id = services.unit_for_viewer(current_user, request.args["unit"]).id
    if unit_id is None and not services.scope_for(current_user).opens_queue:
        raise Forbidden("Antrean verifikasi hanya untuk Kepala Sub Bagian, Plh/Plt, atau Sekretaris.")
    period = _month(request.args.get("month"))
    status = request.args.get("status", "submitted")
    if status not in ("submitted", "all"):
        raise ValidationFailed({"status": "status harus 'submitted' atau 'all'."})
    q = services.queue(current_user, period, unit_id=unit_id)
    groups = [g for g in q.groups if g.can_verify]
    return ok({"month": period, "window": {"opens": q.window[0].isoformat(), "closes": q.window[1].isoformat()},
               "units": [{"code": u.code, "name": u.name, "closed": q.is_closed(u.id), "counts": q.unit_counts[u.id]}
                         for u in q.units],
               "totals": q.totals, "groups": [_group_json(g, status) for g in groups]})


@api_bp.route("/entries/<int:entry_id>/verify", methods=["POST"])
@login_required
def verify_entry(entry_id: int):
    entry = get_entry_for(current_user, entry_id)
    services.assert_may_verify(entry, current_user)
    version = _expected_version(json_body())
    return _act(entry, lambda: services.verify_entry(entry, current_user, expected_version=version))


@api_bp.route("/entries/<int:entry_id>/return", methods=["POST"])
@login_required
def return_entry(entry_id: int):
    entry = get_entry_for(current_user, entry_id)
    services.assert_may_verify(entry, current_user)
    data = json_body()
    version = _expected_version(data)
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise ValidationFailed({"note": "Catatan harus berupa teks."})
    return _act(entry, lambda: services.return_entry(entry, current_user, note or "", expected_version=version))


@api_bp.route("/verification/<int:user_id>/<month>/verify-all", methods=["POST"])
@login_required
def verify_all(user_id: int, month: str):
    owner = db.session.get(User, user_id)
    if owner is None:
        raise NotFound("Pegawai tidak ditemukan.")
    period = month  # services.verify_all refuses first, then checks the month
    try:
        count = services.verify_all(owner, period, current_user)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("Sebagian entri baru saja diubah oleh pengguna lain. Muat ulang lalu coba lagi.",
                       code="version_conflict") from None
    q = services.queue(current_user, period, owner_id=owner.id)
    group = next((g for g in q.groups if g.owner.id == owner.id), None)
    following = q.next_waiting(owner.id)
    return ok({"user_id": owner.id, "month": period, "verified": count,
               "counts": group.counts if group else None,
               "items": [_entry(e) for e in (group.entries or [])] if group else [],
               "next_user_id": following.owner.id if following else None})


@api_bp.route("/verification/<unit_code>/<month>", methods=["GET"])
@login_required
def unit_month(unit_code: str, month: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    period = parse_month(month)
    return ok(_unit_month_json(unit, period))


@api_bp.route("/verification/<unit_code>/<month>/close", methods=["POST"])
@login_required
def close_month(unit_code: str, month: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    period = month  # services.close_month refuses first, then checks the month
    services.close_month(unit, period, current_user)
    db.session.commit()
    return ok(_unit_month_json(unit, period))


@api_bp.route("/verification/<unit_code>/<month>/reopen", methods=["POST"])
@login_required
def reopen_month(unit_code: str, month: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    services.assert_may_reopen(current_user, unit)
    period = parse_month(month)
    reason = json_body().get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed({"reason": "Alasan harus berupa teks."})
    services.reopen_month(unit, period, current_user, reason or "")
    db.session.commit()
    return ok(_unit_month_json(unit, period))


@api_bp.route("/verification/<unit_code>/<month>/export.xlsx")
@login_required
def export_xlsx(unit_code: str, month: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    report = services.month_report(unit, month, current_user)  # refuses first, then checks the month
    return download(exports.month_xlsx(report), exports.XLSX_TYPE, exports.filename(report, "xlsx"))


@api_bp.route("/verification/<unit_code>/<month>/export.pdf")
@login_required
def export_pdf(unit_code: str, month: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    report = services.month_report(unit, month, current_user)  # refuses first, then checks the month
    return download(exports.month_pdf(report), exports.PDF_TYPE, exports.filename(report, "pdf"))


@api_bp.route("/verification/oversight")
@login_required
def oversight():
    services.assert_may_oversee(current_user)
    today = today_for(current_user)
    period = _month(request.args.get("month"))
    rows = services.oversight(period, today)
    opens, closes = services.verification_window(period)
    return ok({"month": period, "today": today.isoformat(), "window": {"opens": opens.isoformat(),
                                                                      "closes": closes.isoformat()},
               "units": [{"code": r.unit.code, "name": r.unit.name, "state": r.state, "closed": r.is_closed,
                          "overdue": r.overdue, "waiting": r.waiting, "counts": r.counts, "progress": r.progress,
                          "closed_at": iso(r.unit_month.closed_at) if r.unit_month else None,
                          "verifiers": r.verifiers} for r in rows],
               "overdue_elsewhere": [{"unit": o.unit.code, "month": o.period, "closes": o.closes.isoformat(),
                                      "waiting": o.waiting} for o in services.overdue_unit_months(today)
                                     if o.period != period]})


def _delegation_json(d) -> dict:
    return {"id": d.id, "unit": d.unit.code, "delegate": {"id": d.delegate.id, "name": d.delegate.name,
                                                          "nip": d.delegate.nip},
            "kind": d.kind, "start_date": d.start_date.isoformat(), "end_date": d.end_date.isoformat(),
            "reason": d.reason, "created_by": d.created_by.name if d.created_by else None,
            "revoked_at": iso(d.revoked_at)}


@api_bp.route("/delegations")
@login_required
def list_delegations():
    delegation.assert_may_delegate(current_user)
    include = request.args.get("include_revoked") in ("1", "true", "ya")
    return ok({"items": [_delegation_json(d) for d in delegation.listing(include_revoked=include)]})


@api_bp.route("/delegations", methods=["POST"])
@login_required
def create_delegation():
    delegation.assert_may_delegate(current_user)
    data = json_body()
    code = str(data.get("unit") or "").strip().upper()
    unit = db.session.scalar(db.select(Unit).where(Unit.code == code)) if code else None
    person_id = int_or_none(data.get("delegate_id"), minimum=1)
    person = db.session.get(User, person_id) if person_id else None
    fields = {}
    if unit is None:
        fields["unit"] = "Unit dengan kode tersebut tidak ditemukan." if code else "Kode unit wajib diisi."
    if person is None:
        fields["delegate_id"] = "Pegawai yang ditunjuk tidak ditemukan."
    if fields:
        raise ValidationFailed(fields)
    row = delegation.delegate(unit, person, date_or_none(data.get("start_date")), date_or_none(data.get("end_date")),
                              current_user, kind=str(data.get("kind") or "Plh"), reason=str(data.get("reason") or ""))
    db.session.commit()
    return ok(_delegation_json(row), 201)


@api_bp.route("/delegations/<int:delegation_id>/revoke", methods=["POST"])
@login_required
def revoke_delegation(delegation_id: int):
    delegation.assert_may_delegate(current_user)
    row = delegation.revoke(delegation.get(delegation_id), current_user)
    db.session.commit()
    return ok(_delegation_json(row))


MONTH = path_param("month", "string")
UNIT = path_param("unit_code", "string")
VERSION = {"version": {"type": "integer", "description": "versi entri yang dilihat (atau header If-Match)"}}
spec("/api/v1/verification/queue", "get", "Antrean verifikasi sebulan, dikelompokkan per ASN", tags=["verification"],
     params=[query_param("month", description="TTTT-BB; bawaan: bulan yang sedang diverifikasi"),
             query_param("unit", description="kode unit (opsional)"),
             query_param("status", description="'submitted' (bawaan) atau 'all'")],
     responses={"200": "month, window, units (counts), totals, groups[] {user, counts, empty_days, entries[]}",
                "403": "Bukan verifikator", "422": "Format bulan salah"})
spec("/api/v1/entries/{entry_id}/verify", "post", "Verifikasi satu entri yang diajukan", tags=["verification"],
     params=[path_param("entry_id"), {"name": "If-Match", "in": "header", "required": False,
                                      "schema": {"type": "string"}}],
     body={"type": "object", "properties": VERSION},
     responses={"200": "Entri (status verified, version)", "403": "Bukan verifikator entri ini (mis. entri sendiri)",
                "409": "Bukan status diajukan, bulan ditutup, atau versi sudah berubah (error.entry = keadaan kini)"})
spec("/api/v1/entries/{entry_id}/return", "post", "Kembalikan entri ke ASN dengan catatan (wajib)",
     tags=["verification"], params=[path_param("entry_id")],
     body={"type": "object", "required": ["note"],
           "properties": {"note": {"type": "string", "maxLength": 2000}, **VERSION}},
     responses={"200": "Entri (status returned)", "422": "Catatan kosong/terlalu panjang",
                "409": "Bukan status diajukan, bulan ditutup, atau versi sudah berubah"})
spec("/api/v1/verification/{user_id}/{month}/verify-all", "post", "Verifikasi semua entri diajukan seorang ASN "
     "dalam sebulan", tags=["verification"], params=[path_param("user_id"), MONTH],
     responses={"200": "verified (jumlah), counts, items, next_user_id", "409": "Bulan ditutup"})
spec("/api/v1/verification/{unit_code}/{month}", "get", "Status bulan unit: ditutup/dibuka, masa verifikasi, jumlah",
     tags=["verification"], params=[UNIT, MONTH])
spec("/api/v1/verification/{unit_code}/{month}/close", "post", "Tutup bulan unit: semua entri dikunci",
     tags=["verification"], params=[UNIT, MONTH],
     responses={"200": "Status bulan (closed, unsubmitted, returned)",
                "409": "Masih ada entri diajukan (error.submitted), sudah ditutup, atau sebelum hari kerja terakhir",
                "403": "Bukan Kepala Sub Bagian/Plh"})
spec("/api/v1/verification/{unit_code}/{month}/reopen", "post", "Buka kembali bulan unit (alasan wajib)",
     tags=["verification"], params=[UNIT, MONTH],
     body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 1000}}},
     responses={"200": "Status bulan", "422": "Alasan kosong", "409": "Bulan belum ditutup"})
spec("/api/v1/verification/{unit_code}/{month}/export.xlsx", "get", "Data kinerja ASN hasil verifikasi (XLSX)",
     tags=["verification"], params=[UNIT, MONTH], responses={"200": "Berkas XLSX"})
spec("/api/v1/verification/{unit_code}/{month}/export.pdf", "get", "Data kinerja ASN hasil verifikasi (PDF, kop "
     "surat, tanda tangan Kasubag)", tags=["verification"], params=[UNIT, MONTH], responses={"200": "Berkas PDF"})
spec("/api/v1/verification/oversight", "get", "Kemajuan verifikasi semua unit (Sekretaris)",
     tags=["verification"], params=[query_param("month", description="TTTT-BB")],
     responses={"200": "units[] {state, overdue, waiting, counts, progress}", "403": "Bukan Sekretaris"})
spec("/api/v1/delegations", "get", "Penunjukan Plh/Plt verifikator", tags=["verification"],
     params=[query_param("include_revoked", description="1 untuk menyertakan yang dicabut")])
spec("/api/v1/delegations", "post", "Tunjuk Plh/Plt verifikator unit (admin/Sekretaris)", tags=["verification"],
     body={"type": "object", "required": ["unit", "delegate_id", "start_date", "end_date"],
           "properties": {"unit": {"type": "string"}, "delegate_id": {"type": "integer"},
                          "kind": {"type": "string", "enum": ["Plh", "Plt"]},
                          "start_date": {"type": "string", "format": "date"},
                          "end_date": {"type": "string", "format": "date"}, "reason": {"type": "string"}}},
     responses={"201": "Penunjukan", "403": "Bukan admin/Sekretaris", "422": "Data tidak valid"})
spec("/api/v1/delegations/{delegation_id}/revoke", "post", "Cabut penunjukan Plh/Plt", tags=["verification"],
     params=[path_param("delegation_id")], responses={"200": "Penunjukan (revoked_at)", "409": "Sudah dicabut"})
