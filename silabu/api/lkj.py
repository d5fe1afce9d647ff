"""The annual Laporan Kinerja: the Tabel Capaian, its sources, the document and its compiled versions."""
from __future__ import annotations

import io

from flask import request, send_file
from flask_login import current_user, login_required

from silabu.accounts.org import today_for
from silabu.api import SPEC_SCHEMAS, api_bp, json_body, ok, path_param, query_param, spec
from silabu.api.serializers import capaian_row_json, number
from silabu.api.tasks import accepted, task_outcome
from silabu.core.clock import as_utc
from silabu.core.errors import Forbidden, NotFound
from silabu.extensions import db
from silabu.lkj import services
from silabu.lkj.models import LkjDocument, LkjReport, LkjStatus
from silabu.ops import tasks
from silabu.ops.models import TaskStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _iso(value):
    return as_utc(value).isoformat() if value is not None else None


def _document_json(doc: LkjDocument) -> dict:
    return {"kind": "lkj", "version": doc.version, "compiled_at": _iso(doc.compiled_at),
            "verification_code": services.format_code(doc.verification_code),
            "verification_url": services.verification_url(doc.verification_code),
            "docx_sha256": doc.docx_sha256, "pdf_sha256": doc.pdf_sha256, "data_sha256": doc.data_sha256,
            "is_signed": doc.is_signed, "signed_at": _iso(doc.signed_at), "final_sha256": doc.final_sha256,
            "final_name": doc.final_name}


def _period() -> str:
    """The report the call is about: ``?semester=1|2`` (or ``"semester"`` in a JSON body) for a semester report,
    none for the annual one; anything else is a 422."""
    raw = request.args.get("semester")
    if raw is None and request.method == "POST" and request.is_json:
        body = request.get_json(silent=True)
        raw = body.get("semester") if isinstance(body, dict) else None
    return services.normalise_period(raw)


def _query(period: str) -> str:
    semester = services.semester_of(period)
    return f"?semester={semester}" if semester else ""


def _file_json(year: int, code: str, row, period: str = "tahun") -> dict:
    """A file the review issued (cover letter, archive), as listed beside the versions in ``documents``."""
    return {"kind": row.kind.value, "label": services.FILE_LABELS[row.kind],
            "version": row.document.version if row.document else None, "name": row.name,
            "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
            "created_at": _iso(row.created_at),
            "url": f"/api/v1/lkj/{year}/{code}/files/{row.kind.value}{_query(period)}"}


@api_bp.route("/lkj/<int:year>/<report_code>/capaian")
@login_required
def lkj_capaian(year: int, report_code: str):
    services.assert_can_view(current_user)
    table = services.tabel_capaian(year, report_code, request.args.get("period"))
    if not table.rows and table.report_code not in services.REPORTS:
        raise NotFound(f"Laporan {table.report_code} tahun {year} tidak ditemukan.")
    return ok({"year": year, "report_code": table.report_code, "period": table.period.key,
               "period_label": table.period.label, "final_periods": table.final_periods,
               "previous_year": table.previous_year, "items": [capaian_row_json(r) for r in table.rows]})


@api_bp.route("/lkj/<int:year>/<report_code>/indicators/<indicator_code>/trace")
@login_required
def lkj_trace(year: int, report_code: str, indicator_code: str):
    services.assert_can_view(current_user)
    indicator = next((i for i in services.indicators_for(year, report_code) if i.code == indicator_code), None)
    if indicator is None:
        raise NotFound("Indikator tidak ditemukan.")
    trace = services.trace(indicator, request.args.get("period"))
    sees_entries = services.sees_entries(current_user)
    months = []
    for m in trace.months:
        item = {"period": m.period, "value": number(m.value), "is_final": m.is_final,
                "packet": None if m.packet is None else {
                    "version": m.packet.version, "status": m.packet.status.value,
                    "berita_acara_number": m.packet.berita_acara_number,
                    "pleno_date": m.packet.pleno_date.isoformat() if m.packet.pleno_date else None,
                    "data_sha256": m.packet.data_sha256},
                "pending_entries": m.pending_entries, "entry_count": len(m.entries),
                "entries": None if not sees_entries else [{"id": e.id, "entry_date": e.entry_date.isoformat(), "user": e.user.name,
                             "unit": e.unit.code, "output_code": e.output_code.code, "activity": e.activity,
                             "output": e.output, "quantity": number(e.quantity),
                             "unit_of_measure": e.unit_of_measure, "evidence_count": len(e.evidence)}
                            for e in m.entries]}
        if m.manual is not None:
            item["manual"] = {"value": number(m.manual.value), "note": m.manual.note,
                              "evidence_name": m.manual.evidence_name, "evidence_sha256": m.manual.evidence_sha256,
                              "entered_at": _iso(m.manual.entered_at)}
        months.append(item)
    return ok({"year": year, "report_code": indicator.report_code, "indicator_code": indicator.code,
               "period": trace.period.key, "source": trace.source, "output_codes": [c.code for c in trace.codes],
               "row": capaian_row_json(trace.row), "months": months})


def _report_json(year: int, code: str, period: str = "tahun") -> dict:
    """Where an LKj stands, its versions, its history, and what the caller may do next (the pages' rules)."""
    report = services.get_report(year, code, period)
    spec_ = services.report_spec(code)
    data = {"year": year, "report_code": code, "title": spec_.title, "period": period,
            "semester": services.semester_of(period),
            "period_label": LkjReport(year=year, period=period).period_label,
            "status": "draft", "current_version": 0,
            "documents": [], "steps": [], "allowed_actions": [], "paraf_blockers": []}
    if report is not None:
        today = today_for(current_user)
        current = services.current_document(report)
        data.update(status=report.status.value, status_label=report.status_label,
                    current_version=report.current_version, signed_version=report.signed_version,
                    pleno_rounds=report.pleno_rounds,
                    sent_date=report.sent_date.isoformat() if report.sent_date else None,
                    letter_number=report.letter_number, sent_to=report.sent_to,
                    letter_subject=report.letter_subject, hardcopy_location=report.hardcopy_location,
                    archived_at=_iso(report.archived_at),
                    can_upload_signed_copy=services.may_upload_signed_copy(report, current_user),
                    documents=[_document_json(d) for d in report.documents]
                    + [_file_json(year, code, f, period) for f in services.report_files(report)],
                    steps=[{"step": s.step, "action": s.action, "to_status": s.to_status,
                            "actor": s.actor.name if s.actor else None, "on_behalf_of": s.on_behalf_of,
                            "at": _iso(s.at), "note": s.note, "pleno_round": s.pleno_round,
                            "version": s.document.version if s.document else None, "details": s.details}
                           for s in services.history(report)],
                    allowed_actions=[{"action": a.key, "label": a.label}
                                     for a in services.allowed_actions(report, current_user, today)],
                    paraf_blockers=services.version_blockers(current)
                    if report.status in (LkjStatus.REVISI, LkjStatus.PARAF) else [])
    return data


@api_bp.route("/lkj/<int:year>/<report_code>")
@login_required
def lkj_report(year: int, report_code: str):
    services.assert_can_view(current_user)
    return ok(_report_json(year, services.normalise_report_code(report_code), _period()))


@api_bp.route("/lkj/<int:year>/<report_code>/review", methods=["POST"])
@login_required
def lkj_review(year: int, report_code: str):
    """One review step, through the same service as the report page."""
    services.assert_can_view(current_user)
    code = services.normalise_report_code(report_code)
    period = _period()
    report = services.get_report(year, code, period)
    if report is None:
        raise NotFound("LKj ini belum dikompilasi.")
    body = json_body()

    def text(key: str) -> str | None:
        value = body.get(key)
        return None if value is None else str(value)

    services.perform(report, str(body.get("action") or ""), current_user, today=today_for(current_user),
                     note=text("note"), pleno_date=text("pleno_date"), sent_date=text("sent_date"),
                     letter_number=text("letter_number"), sent_to=text("sent_to"),
                     letter_subject=text("letter_subject"), attachment=text("attachment"),
                     hardcopy_location=text("hardcopy_location"))
    db.session.commit()
    return ok(_report_json(year, code, period))


def _existing_report(year: int, report_code: str):
    services.assert_can_view(current_user)
    code = services.normalise_report_code(report_code)
    report = services.get_report(year, code, _period())
    if report is None:
        raise NotFound("LKj ini belum dikompilasi.")
    return report


@api_bp.route("/lkj/<int:year>/<report_code>/signed-copy", methods=["POST"])
@login_required
def lkj_signed_copy(year: int, report_code: str):
    """The copy signed outside SILABU (multipart field ``file``, PDF), through the same service as the page."""
    report = _existing_report(year, report_code)
    upload = request.files.get("file")
    services.upload_signed_copy(report, current_user, upload.filename if upload else None,
                                upload.read() if upload and upload.filename else None)
    db.session.commit()
    return ok(_report_json(year, report.report_code, report.period), 201)


@api_bp.route("/lkj/<int:year>/<report_code>/files/<kind>")
@login_required
def lkj_file(year: int, report_code: str, kind: str):
    report = _existing_report(year, report_code)
    row = services.get_file(report, kind)
    with services.open_blob(row.key) as fh:
        return _send(fh.read(), row.content_type, row.name)


@api_bp.route("/lkj/<int:year>/<report_code>/compile", methods=["POST"])
@login_required
def lkj_compile(year: int, report_code: str):
    if not current_user.has_role(*services.LKJ_MANAGE_ROLES):
        raise Forbidden("Kompilasi LKj dilakukan oleh Rendatin.")
    code, period = services.normalise_report_code(report_code), _period()
    task = tasks.submit("lkj.compile", tasks.lkj_key(year, code, period),
                        {"year": year, "report_code": code, "period": period}, current_user)
    task = task_outcome(task)
    if task.status != TaskStatus.DONE:
        return accepted(task)
    doc = db.session.get(LkjDocument, task.result["document_id"])
    return ok({**_document_json(doc), "period": doc.report.period, "period_label": doc.report.period_label}, 201)


def _send(data: bytes, mimetype: str, name: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def _document_bytes(year: int, report_code: str, fmt: str) -> tuple[bytes, str]:
    """A stored version (?version=N, or the signed one once signed), else the draft from the current data."""
    services.assert_can_view(current_user)
    code = services.normalise_report_code(report_code)
    period = _period()
    report = services.get_report(year, code, period)
    stem = f"LKj-{year}-{code}" + (f"-S{services.semester_of(period)}" if period != "tahun" else "")
    version = request.args.get("version")
    doc = None
    if version:
        if report is None:
            raise NotFound("Versi dokumen tidak ditemukan.")
        doc = services.get_document(report, version)
    elif report is not None and report.is_signed:
        doc = services.signed_document(report)
    if doc is not None:
        with services.open_blob(doc.docx_key if fmt == "docx" else doc.pdf_key) as fh:
            return fh.read(), f"{stem}-v{doc.version}.{fmt}"
    return services.render_preview(year, code, fmt, period), f"{stem}-draf.{fmt}"


@api_bp.route("/lkj/<int:year>/<report_code>/document.docx")
@login_required
def lkj_document_docx(year: int, report_code: str):
    data, name = _document_bytes(year, report_code, "docx")
    return _send(data, DOCX, name)


@api_bp.route("/lkj/<int:year>/<report_code>/document.pdf")
@login_required
def lkj_document_pdf(year: int, report_code: str):
    data, name = _document_bytes(year, report_code, "pdf")
    return _send(data, "application/pdf", name)


ROW_SCHEMA = {"type": "object", "properties": {
    "sasaran": {"type": "string"}, "sasaran_code": {"type": "string"}, "indicator_code": {"type": "string"},
    "indicator": {"type": "string"}, "unit": {"type": "string"}, "target": {"type": "number", "nullable": True},
    "realisasi": {"type": "number", "nullable": True},
    "capaian": {"type": "number", "nullable": True, "description": "persen, 2 desimal (pembulatan setengah ke atas)"},
    "kategori": {"type": "string", "nullable": True},
    "reason": {"type": "string", "nullable": True, "description": "alasan bila capaian null"},
    "polarity": {"type": "string", "enum": ["+", "-"]},
    "consolidation": {"type": "string", "enum": ["sum", "last", "avg"]},
    "source": {"type": "string", "enum": ["entries", "packets", "manual"]},
    "measure": {"type": "string", "enum": ["sum_quantity", "count_entries", "count_final_packets", "manual"],
                "description": "cara realisasi diukur"},
    "warnings": {"type": "array", "description": "kosong bila tidak ada yang perlu diperiksa", "items": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["unit_mismatch", "implausible", "months_missing"]},
            "message": {"type": "string"},
            "count": {"type": "integer", "description": "unit_mismatch: entri yang tidak dihitung; "
                                                        "months_missing: bulan yang belum final"}}}},
    "output_codes": {"type": "array", "items": {"type": "string"}},
    "months_counted": {"type": "integer"}, "months_in_period": {"type": "integer"},
    "previous": {"type": "object", "nullable": True}}}
SPEC_SCHEMAS["LkjCapaianRow"] = ROW_SCHEMA
SPEC_SCHEMAS["LkjCapaian"] = {"type": "object", "properties": {
    "year": {"type": "integer"}, "report_code": {"type": "string"}, "period": {"type": "string"},
    "period_label": {"type": "string"}, "final_periods": {"type": "array", "items": {"type": "string"}},
    "previous_year": {"type": "integer", "nullable": True},
    "items": {"type": "array", "items": {"$ref": "#/components/schemas/LkjCapaianRow"}}}}
_YEAR = path_param("year")
_REPORT = path_param("report_code", "string")
_PERIOD = query_param("period", description="tahun (bawaan), s1, s2, tw1-tw4, atau bulan TTTT-BB",
                      pattern="^(tahun|s[12]|tw[1-4]|\\d{4}-(0[1-9]|1[0-2]))$")
_SEMESTER = query_param("semester", "integer", description="1 atau 2: LKj Semester I / II (Mentawai); tanpa "
                                                           "parameter: LKj tahunan", enum=[1, 2])
spec("/api/v1/lkj/{year}/{report_code}/capaian", "get",
     "Tabel Capaian Kinerja (realisasi dari paket pleno final dan realisasi manual)", tags=["lkj"],
     params=[_YEAR, _REPORT, _PERIOD],
     responses={"200": "{year, report_code, period, final_periods, items: [baris]}", "403": "Bukan peran LKj",
                "422": "Periode tidak dikenal"})
spec("/api/v1/lkj/{year}/{report_code}/indicators/{indicator_code}/trace", "get",
     "Jejak realisasi satu indikator: paket pleno dan entri per bulan", tags=["lkj"],
     params=[_YEAR, _REPORT, path_param("indicator_code", "string"), _PERIOD],
     responses={"200": "months[] {period, value, packet, entry_count, entries}; entries null bila pemanggil "
                       "bukan pembaca paket pleno (Rendatin, Sekretaris, Ketua)"})
SPEC_SCHEMAS["LkjReport"] = {"type": "object", "properties": {
    "year": {"type": "integer"}, "report_code": {"type": "string"}, "title": {"type": "string"},
    "period": {"type": "string", "enum": ["tahun", "s1", "s2"]},
    "semester": {"type": "integer", "nullable": True, "description": "1 atau 2 untuk LKj semester"},
    "period_label": {"type": "string", "description": "Tahun 2026, Semester I Tahun 2026"},
    "status": {"type": "string", "enum": [s.value for s in LkjStatus]}, "status_label": {"type": "string"},
    "current_version": {"type": "integer"}, "signed_version": {"type": "integer", "nullable": True},
    "documents": {"type": "array", "items": {"type": "object", "description": "kind 'lkj': satu versi (version, "
                  "compiled_at, verification_code, verification_url, pdf_sha256, docx_sha256, is_signed, signed_at, "
                  "final_sha256 = salinan bertanda tangan yang diunggah); kind 'surat_pengantar_docx', "
                  "'surat_pengantar_pdf', 'arsip': berkas terbit (name, content_type, size, sha256, url)",
                  "properties": {"kind": {"type": "string", "enum": ["lkj", "surat_pengantar_docx",
                                                                     "surat_pengantar_pdf", "arsip"]}}}},
    "letter_subject": {"type": "string", "nullable": True}, "hardcopy_location": {"type": "string", "nullable": True},
    "can_upload_signed_copy": {"type": "boolean"},
    "steps": {"type": "array", "items": {"type": "object"}},
    "allowed_actions": {"type": "array", "description": "langkah yang boleh dilakukan pemanggil sekarang",
                        "items": {"type": "object", "properties": {"action": {"type": "string"},
                                                                   "label": {"type": "string"}}}},
    "paraf_blockers": {"type": "array", "items": {"type": "string"},
                       "description": "yang masih kurang sebelum versi ini dapat diparaf"}}}
spec("/api/v1/lkj/{year}/{report_code}", "get",
     "Status LKj, versi terkompilasi (documents), riwayat langkah reviu dan allowed_actions bagi pemanggil",
     tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER], responses={"200": "LkjReport", "403": "Bukan peran LKj",
                                                                  "422": "Semester tidak dikenal"})
spec("/api/v1/lkj/{year}/{report_code}/review", "post",
     "Satu langkah reviu LKj (aturan sama dengan halaman): ajukan_koreksi, setujui_koreksi, catat_pleno, "
     "ajukan_pleno, ajukan_paraf, paraf, tandatangani, kirim, arsipkan, kembalikan",
     tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER],
     body={"type": "object", "required": ["action"], "properties": {
         "action": {"type": "string", "enum": list(services.ACTIONS)},
         "semester": {"type": "integer", "enum": [1, 2], "description": "LKj semester (sama dengan ?semester)"},
         "note": {"type": "string", "description": "wajib untuk kembalikan dan catat_pleno"},
         "pleno_date": {"type": "string", "format": "date", "description": "catat_pleno"},
         "sent_date": {"type": "string", "format": "date", "description": "kirim"},
         "letter_number": {"type": "string", "description": "kirim"},
         "sent_to": {"type": "string", "description": "kirim (bawaan: Sekretaris KPU Provinsi; provinsi: Biro "
                                                      "Perencanaan dan Inspektorat KPU RI); beberapa dipisah ;"},
         "letter_subject": {"type": "string", "description": "kirim: perihal surat pengantar (ada bawaannya)"},
         "attachment": {"type": "string", "description": "kirim: lampiran (bawaan '1 (satu) berkas')"},
         "hardcopy_location": {"type": "string", "description": "arsipkan (wajib): tempat penyimpanan hardcopy"}}},
     responses={"200": "LkjReport sesudah langkah", "403": "Bukan giliran/peran pemanggil, atau pemaraf yang "
                "sama hendak menandatangani", "404": "LKj belum dikompilasi",
                "409": "Status tidak sesuai, versi belum siap diparaf, atau diubah orang lain",
                "422": "Langkah tidak dikenal atau isian tidak lengkap"})
spec("/api/v1/lkj/{year}/{report_code}/compile", "post",
     "Kompilasi versi baru (DOCX + PDF dengan kode verifikasi); ?semester=1|2 (atau body {\"semester\": 1}): "
     "LKj Semester I / II dari bulan semester itu saja",
     tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER],
     body={"type": "object", "properties": {"semester": {"type": "integer", "enum": [1, 2]}}},
     responses={"201": "Versi baru (tugas latar selesai dalam waktu tunggu)",
                "202": "Kompilasi masih berjalan sebagai tugas latar: Task, dengan Location /api/v1/tasks/{id}; "
                       "header Prefer: respond-async menjawab 202 tanpa menunggu",
                "403": "Hanya Rendatin", "409": "Sudah ditandatangani",
                "422": "Belum ada indikator"})
spec("/api/v1/lkj/{year}/{report_code}/document.docx", "get",
     "Dokumen LKj (DOCX). Tanpa ?version: draf dari data terkini, atau versi yang ditandatangani bila sudah "
     "ditandatangani", tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER, query_param("version", "integer")],
     responses={"200": "Berkas DOCX"})
spec("/api/v1/lkj/{year}/{report_code}/document.pdf", "get", "Dokumen LKj (PDF), aturan versi sama dengan DOCX",
     tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER, query_param("version", "integer")],
     responses={"200": "Berkas PDF"})
spec("/api/v1/lkj/{year}/{report_code}/signed-copy", "post",
     "Unggah salinan bertanda tangan di luar SILABU (pindaian atau PDF bertanda tangan elektronik; field multipart "
     "'file'); menjadi salinan arsip dengan sha256 sendiri", tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER],
     multipart=True,
     body={"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
     responses={"201": "LkjReport sesudah unggah", "403": "Hanya Rendatin atau penandatangan",
                "404": "LKj belum dikompilasi", "409": "Belum ditandatangani, sudah diarsipkan, atau diubah orang lain",
                "413": "Terlalu besar", "415": "Jenis berkas tidak didukung",
                "422": "Bukan PDF, PDF rusak/terenkripsi, atau berkas kosong"})
spec("/api/v1/lkj/{year}/{report_code}/files/{kind}", "get",
     "Berkas terbit: surat pengantar (surat_pengantar_docx, surat_pengantar_pdf) atau arsip softcopy (arsip, ZIP)",
     tags=["lkj"], params=[_YEAR, _REPORT, _SEMESTER, path_param("kind", "string")],
     responses={"200": "Berkas", "404": "Belum diterbitkan"})
