"""Monthly pleno packets: build, read, present, finalize, download (Rendatin, Sekretaris; the Ketua reads)."""
from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from silabu.accounts.org import today_for
from silabu.api import api_bp, json_body, ok, path_param, query_param, spec
from silabu.api.serializers import packet_json
from silabu.api.tasks import accepted, task_outcome
from silabu.core.errors import Forbidden, ValidationFailed
from silabu.core.parsing import parse_int, parse_month, parse_year
from silabu.evidence.storage import send_packet_file
from silabu.extensions import db
from silabu.ops import tasks
from silabu.ops.models import TaskStatus
from silabu.pleno import services
from silabu.pleno.models import Packet


def _version(raw: object) -> int | None:
    return parse_int(raw, "version", "Versi", minimum=1, maximum=1_000_000, required=False)


def _version_arg() -> int | None:
    return _version(request.args.get("version"))


def _body_version(data: dict) -> int | None:
    return _version(data.get("version", request.args.get("version")))


@api_bp.route("/packets")
@login_required
def list_packets():
    services.assert_may_view(current_user)
    year = parse_year(request.args.get("year"), today_for(current_user).year)
    rows = services.year_overview(year)
    return ok({"year": year, "items": [
        {"month": r["month"], "status": r["status"], "status_label": r["status_label"],
         "version": r["packet"].version if r["packet"] else None, "versions": r["versions"],
         "units_closed": r["units_closed"], "units_total": r["units_total"]} for r in rows],
        "final_months": services.final_periods(year)})


@api_bp.route("/packets/<month>/build", methods=["POST"])
@login_required
def build_packet(month: str):
    # Who may not build is refused (403) before the body means anything; the service checks again in the task.
    if not services.can_manage(current_user):
        raise Forbidden("Hanya Rendatin atau Sekretaris yang dapat mengelola paket pleno.")
    data = json_body()
    parse_month(month)
    task = tasks.submit("pleno.build", month, {"correction_reason": data.get("correction_reason")}, current_user)
    task = task_outcome(task)
    if task.status != TaskStatus.DONE:
        return accepted(task)
    return ok(packet_json(db.session.get(Packet, task.result["packet_id"])), 201)


@api_bp.route("/packets/<month>")
@login_required
def get_packet(month: str):
    services.assert_may_view(current_user)
    return ok(packet_json(services.get_packet_for(current_user, month, _version_arg())))


@api_bp.route("/packets/<month>/versions")
@login_required
def packet_versions(month: str):
    services.assert_may_view(current_user)
    parse_month(month)
    return ok({"month": month, "items": [packet_json(p) for p in services.packet_versions(month)]})


@api_bp.route("/packets/<month>/present", methods=["POST"])
@login_required
def present_packet(month: str):
    services.assert_may_manage(current_user)
    data = json_body()
    packet = services.get_packet_for(current_user, month, _body_version(data))
    services.mark_presented(packet, current_user)
    db.session.commit()
    return ok(packet_json(packet))


@api_bp.route("/packets/<month>/finalize", methods=["POST"])
@login_required
def finalize_packet(month: str):
    services.assert_may_manage(current_user)
    data = json_body()
    packet = services.get_packet_for(current_user, month, _body_version(data))
    acknowledge = data.get("acknowledge_incomplete", False)
    if not isinstance(acknowledge, bool):
        raise ValidationFailed({"acknowledge_incomplete": "Isi dengan true atau false."})
    services.finalize(packet, current_user, data.get("berita_acara_number"), data.get("pleno_date"),
                      data.get("notes"), acknowledge_incomplete=acknowledge, reason=data.get("reason"))
    db.session.commit()
    return ok(packet_json(packet))


@api_bp.route("/packets/<month>/versions/<int:version>/files/<name>")
@login_required
def packet_file(month: str, version: int, name: str):
    return send_packet_file(services.packet_file_for(current_user, month, version, name))

MONTH = path_param("month", "string")
FINALIZE_SCHEMA = {"type": "object", "required": ["berita_acara_number", "pleno_date"],
                   "properties": {"berita_acara_number": {"type": "string", "maxLength": 120},
                                  "pleno_date": {"type": "string", "format": "date"},
                                  "notes": {"type": "string", "maxLength": 5000},
                                  "acknowledge_incomplete": {"type": "boolean", "description":
                                                             "pleno menyetujui finalisasi walau bulan belum lengkap"},
                                  "reason": {"type": "string", "maxLength": 2000,
                                             "description": "wajib bila acknowledge_incomplete; dicatat di Berita Acara"},
                                  "version": {"type": "integer", "description": "bawaan: versi terbaru"}}}
spec("/api/v1/packets", "get", "Bulan-bulan setahun dengan status paket pleno dan bulan unit yang ditutup",
     tags=["pleno"], params=[query_param("year", "integer", "tahun, bawaan: tahun ini")])
spec("/api/v1/packets/{month}/build", "post", "Susun (atau susun ulang sebagai versi baru) paket pleno bulan ini",
     tags=["pleno"], params=[MONTH],
     body={"type": "object", "properties": {"correction_reason": {
         "type": "string", "maxLength": 2000,
         "description": "pleno koreksi atas paket final: versi baru yang, setelah final dengan Berita Acara "
                        "sendiri, menggantikan versi final lama (tetap disimpan)"}}},
     responses={"201": "Paket tersusun beserta berkasnya (tugas latar selesai dalam waktu tunggu)",
                "202": "Penyusunan masih berjalan sebagai tugas latar: Task, dengan Location "
                       "/api/v1/tasks/{id}; header Prefer: respond-async menjawab 202 tanpa menunggu",
                "403": "Bukan Rendatin/Sekretaris",
                "409": "Paket sudah final (tanpa correction_reason), atau sedang disusun proses lain",
                "422": "Format bulan atau alasan koreksi salah"})
spec("/api/v1/packets/{month}", "get",
     "Paket bulan ini: {month, version, status, built_at, summary, files[{name, content_type, size, sha256, url}]}; "
     "summary.pk_indicators: tiap indikator PK dengan target dan realisasi bulan ini dan s.d. bulan ini",
     tags=["pleno"], params=[MONTH, query_param("version", "integer", "bawaan: versi terbaru")],
     responses={"200": "Paket", "404": "Belum ada paket, atau tidak berwenang"})
spec("/api/v1/packets/{month}/versions", "get", "Semua versi paket bulan ini, terbaru dahulu", tags=["pleno"],
     params=[MONTH])
spec("/api/v1/packets/{month}/present", "post", "Tandai paket (versi terbaru) sudah dipaparkan di rapat pleno",
     tags=["pleno"], params=[MONTH],
     body={"type": "object", "properties": {"version": {"type": "integer"}}},
     responses={"200": "Paket", "403": "Tidak berwenang", "409": "Sudah final atau bukan versi terbaru"})
spec("/api/v1/packets/{month}/finalize", "post", "Catat hasil pleno (nomor dan tanggal Berita Acara) dan finalkan",
     tags=["pleno"], params=[MONTH], body=FINALIZE_SCHEMA,
     responses={"200": "Paket final", "403": "Tidak berwenang",
                "409": "Belum dipaparkan (packet_not_presented), sudah final atau bukan versi terbaru, atau bulan "
                       "belum lengkap (incomplete_month: units[{code, name, is_closed, entries, "
                       "verified_not_in_packet}], entries_missing) tanpa acknowledge_incomplete",
                "422": "Nomor Berita Acara/tanggal pleno/alasan tidak valid"})
spec("/api/v1/packets/{month}/versions/{version}/files/{name}", "get", "Unduh satu berkas paket (lampiran)",
     tags=["pleno"], params=[MONTH, path_param("version"), path_param("name", "string")],
     responses={"200": "Berkas", "404": "Tidak ada, atau tidak berwenang"})


@api_bp.route("/province/<month>")
@login_required
def province_month(month: str):
    """A province's (or KPU RI's) children for the month, and its roll-up of their final packets."""
    from flask import url_for

    from silabu.accounts.access import roles_reason
    from silabu.accounts.tenancy import OVERSEER_ROLES, current_satker
    from silabu.pleno import province

    if not current_user.has_role(*OVERSEER_ROLES):
        raise Forbidden(roles_reason(OVERSEER_ROLES))
    satker = province.assert_province(current_satker())
    period = parse_month(month)
    children = []
    for c in province.children_progress(satker, period):
        packet = c.final or c.latest
        children.append({
            "code": c.satker.code, "name": c.satker.name, "units_total": c.units_total,
            "units_closed": c.units_closed, "entries": dict(c.counts), "verification_progress": c.progress,
            "asn_count": c.asn_count, "asn_filling": c.asn_filling, "compliance_avg": c.compliance_avg,
            "packet": None if packet is None else {
                "version": packet.version, "status": packet.status.value,
                "berita_acara_number": packet.berita_acara_number,
                "pleno_date": packet.pleno_date.isoformat() if packet.pleno_date else None,
                "data_sha256": packet.data_sha256}})
    versions = province.province_packet_versions(period)
    rollup = None
    if versions:
        p = versions[0]
        rollup = {"version": p.version, "status": p.status.value, "built_at": p.built_at.isoformat(),
                  "berita_acara_number": p.berita_acara_number, "summary": {
                      k: v for k, v in (p.summary or {}).items() if k != "children"},
                  "files": [{"name": f.name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256,
                             "url": url_for("pleno.province_file", month=period, version=p.version, name=f.name)}
                            for f in p.files]}
    return ok({"satker": {"code": satker.code, "name": satker.name}, "month": period, "children": children,
               "rollup": rollup})


spec("/api/v1/province/{month}", "GET", "Satker di bawah provinsi: kemajuan bulan ini per satker, paket pleno "
     "mereka, dan rekap provinsi dari paket final mereka (Sekretaris, Rendatin, Inspektorat provinsi)",
     tags=["pleno"], params=[MONTH])
