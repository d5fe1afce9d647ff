"""LKj pages: indicators and targets, manual realisasi, the Tabel Capaian with its sources, the narrative,
compiling, the review steps, downloads, and the public verification page."""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from silabu.accounts.access import role_required
from silabu.accounts.org import today_for
from silabu.core.errors import FileRejected, NotFound, ValidationFailed
from silabu.core.formatting import MONTHS, angka, plain_number
from silabu.core.links import base_url_problem
from silabu.extensions import db
from silabu.lkj import forms, services
from silabu.lkj.capaian import describe_band
from silabu.lkj.document import narrative_html
from silabu.lkj.models import LKJ_STATUS_LABELS, LkjStatus
from silabu.lkj.services import budget as budget_service
from silabu.ops import tasks
from silabu.ops.models import TaskStatus
from silabu.web import page_action

bp = Blueprint("lkj", __name__, url_prefix="/lkj")
VIEW = services.LKJ_VIEW_ROLES
MANAGE = services.LKJ_MANAGE_ROLES
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STEPS = [LkjStatus.DRAFT, LkjStatus.KOREKSI, LkjStatus.PLENO, LkjStatus.REVISI, LkjStatus.PARAF,
         LkjStatus.TANDA_TANGAN, LkjStatus.DITANDATANGANI, LkjStatus.DIKIRIM, LkjStatus.ARSIP]


@bp.app_template_filter("lkj_narasi")
def _narasi(text: str | None):
    return narrative_html(text)


@bp.app_template_filter("lkj_kode")
def _kode(code: str | None) -> str:
    return services.format_code(code or "")


def _year(value: int) -> int:
    if not 2000 <= value <= 2100:
        abort(404)
    return value


def _code(report_code: str) -> str:
    code = services.normalise_report_code(report_code)
    return code


def _report_or_404(year: int, report_code: str):
    """The report a page acts on (the annual one, or the semester of ``?semester=``); 404 when not compiled yet."""
    report_ = services.get_report(_year(year), _code(report_code), _semester())
    if report_ is None:
        abort(404)
    return report_


def _semester() -> int | None:
    """The semester report a page is about (``?semester=1|2``, also in a form); none: the annual report."""
    try:
        return services.semester_of(services.normalise_period(request.values.get("semester")))
    except ValidationFailed:
        abort(404)


def _period_title(year: int, semester: int | None) -> str:
    """What a page heading says after the report's title: "2026" or "Semester I Tahun 2026"."""
    return f"Semester {services.ROMAN[semester - 1]} Tahun {year}" if semester else str(year)


def _can_manage() -> bool:
    return services.can_manage(current_user)


@bp.route("/")
@role_required(*VIEW)
def index():
    today = today_for(current_user)
    years = services.iter_years_for_index(today)
    year = request.args.get("tahun", type=int) or (today.year - 1 if today.month <= 3 and today.year - 1 in years
                                                   else today.year)
    return render_template("lkj/index.html", years=years, year=_year(year), reports=services.status_summary(year),
                           can_manage=_can_manage())


@bp.route("/<int:year>/<report_code>/")
@role_required(*VIEW)
def report(year: int, report_code: str, errors: dict | None = None, form: dict | None = None, status: int = 200):
    code = _code(report_code)
    spec = services.report_spec(code)
    sem = _semester()
    report_ = services.get_report(_year(year), code, sem)
    today = today_for(current_user)
    actions = services.allowed_actions(report_, current_user, today) if report_ else []
    can_compile = _can_manage() and (report_ is None or services.can_compile(report_, current_user))
    return render_template("lkj/report.html", year=year, code=code, spec=spec, report=report_, steps=STEPS,
                           sem=sem, period_title=_period_title(year, sem),
                           labels=LKJ_STATUS_LABELS, actions=actions, can_compile=can_compile,
                           history=services.history(report_) if report_ else [],
                           documents=list(reversed(report_.documents)) if report_ else [],
                           indicator_count=len(services.indicators_for(year, code)), errors=errors or {},
                           form=form or {}, today=today, default_recipient=services.default_recipient(),
                           step_label=services.step_label,
                           issued=services.report_files(report_) if report_ else [],
                           file_labels=services.FILE_LABELS,
                           can_upload_copy=bool(report_) and services.may_upload_signed_copy(report_, current_user),
                           default_subject=services.default_letter_subject(report_) if report_ else "",
                           blockers=services.version_blockers(services.current_document(report_))
                           if report_ and report_.status in (LkjStatus.REVISI, LkjStatus.PARAF) else [],
                           active_task=tasks.active_for("lkj.compile",
                                                        tasks.lkj_key(year, code, services.normalise_period(sem)),
                                                        current_user)), status


def _back_to_report(year: int, report_code: str, **_: object) -> str:
    return url_for("lkj.report", year=year, report_code=_code(report_code), semester=_semester())


def _back_to_indicators(year: int, report_code: str, **_: object) -> str:
    return url_for("lkj.indicators", year=year, report_code=_code(report_code))


def _back_to_indicator(indicator_id: int, **_: object) -> str:
    return url_for("lkj.edit_indicator", indicator_id=indicator_id)


@bp.route("/<int:year>/<report_code>/kompilasi", methods=["POST"])
@role_required(*MANAGE)
@page_action(back=_back_to_report)
def compile_(year: int, report_code: str):
    code = _code(report_code)
    sem = _semester()
    period = services.normalise_period(sem)
    # The compile runs as a background task; its page follows it (inline mode: it is done already).
    task = tasks.submit("lkj.compile", tasks.lkj_key(_year(year), code, period),
                        {"year": year, "report_code": code, "period": period}, current_user)
    problem = base_url_problem()
    if task.status != TaskStatus.DONE:
        if problem:
            flash(problem, "warning")
        return redirect(url_for("tasks.show", task_id=task.id))
    flash(task.message, "success")
    if problem:
        flash(problem, "warning")
    return redirect(url_for("lkj.report", year=year, report_code=code, semester=sem))


@bp.route("/<int:year>/<report_code>/langkah", methods=["POST"])
@role_required(*VIEW)
@page_action(back=_back_to_report)
def step(year: int, report_code: str):
    code = _code(report_code)
    report_ = _report_or_404(year, code)
    final_file = forms.uploaded(request.files, "final_file", "lkj-final.pdf")
    action = request.form.get("action", "")
    try:
        step_ = services.perform(report_, action, current_user, today=today_for(current_user),
                                 note=request.form.get("note"), pleno_date=request.form.get("pleno_date"),
                                 sent_date=request.form.get("sent_date"),
                                 letter_number=request.form.get("letter_number"),
                                 sent_to=request.form.get("sent_to"), final_file=final_file,
                                 letter_subject=request.form.get("letter_subject"),
                                 attachment=request.form.get("attachment"),
                                 hardcopy_location=request.form.get("hardcopy_location"))
    except (ValidationFailed, FileRejected) as exc:
        fields = exc.fields or {"final_file": exc.message}
        return report(year, code, errors=fields, form={**request.form.to_dict(), "action": action}, status=422)
    flash(f"{services.step_label(step_)}: tercatat. Status sekarang {report_.status_label.lower()}.", "success")
    return redirect(url_for("lkj.report", year=year, report_code=code, semester=report_.semester))


@bp.route("/<int:year>/<report_code>/versi/<int:version>/<kind>")
@role_required(*VIEW)
def download(year: int, report_code: str, version: int, kind: str):
    code = _code(report_code)
    report_ = services.get_report(_year(year), code, _semester())
    if report_ is None or kind not in ("docx", "pdf", "final"):
        abort(404)
    doc = services.get_document(report_, version)
    if kind == "final":
        if not doc.final_key:
            abort(404)
        key, mimetype, name = doc.final_key, doc.final_content_type or "application/octet-stream", doc.final_name
    else:
        key = doc.docx_key if kind == "docx" else doc.pdf_key
        mimetype = DOCX if kind == "docx" else "application/pdf"
        name = f"LKj-{year}-{code}{f'-S{report_.semester}' if report_.semester else ''}-v{version}.{kind}"
    with services.open_blob(key) as fh:
        data = fh.read()
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/<int:year>/<report_code>/berkas/<kind>")
@role_required(*VIEW)
def issued_file(year: int, report_code: str, kind: str):
    """A file the review issued: the cover letter (DOCX, PDF) or the soft-copy archive (ZIP)."""
    code = _code(report_code)
    report_ = _report_or_404(year, code)
    row = services.get_file(report_, kind)
    with services.open_blob(row.key) as fh:
        data = fh.read()
    return send_file(io.BytesIO(data), mimetype=row.content_type, as_attachment=True, download_name=row.name)


@bp.route("/<int:year>/<report_code>/salinan-bertanda-tangan", methods=["POST"])
@role_required(*VIEW)
@page_action(back=_back_to_report)
def signed_copy(year: int, report_code: str):
    """Upload the copy signed outside SILABU (scan or electronically signed PDF)."""
    code = _code(report_code)
    report_ = _report_or_404(year, code)
    upload = forms.uploaded(request.files, "file", "salinan.pdf")
    try:
        row = services.upload_signed_copy(report_, current_user, upload[0] if upload else None,
                                          upload[1] if upload else None)
    except (ValidationFailed, FileRejected) as exc:
        fields = exc.fields or {"file": exc.message}
        return report(year, code, errors=fields, form={"action": "unggah_salinan"}, status=exc.status)
    flash(f"Salinan bertanda tangan disimpan (sha256 {row.details['final_sha256']}).", "success")
    return redirect(url_for("lkj.report", year=year, report_code=code, semester=report_.semester))


@bp.route("/<int:year>/<report_code>/pratinjau.<kind>")
@role_required(*VIEW)
def preview(year: int, report_code: str, kind: str):
    if kind not in ("docx", "pdf"):
        abort(404)
    code = _code(report_code)
    sem = _semester()
    data = services.render_preview(_year(year), code, kind, sem)
    return send_file(io.BytesIO(data), mimetype=DOCX if kind == "docx" else "application/pdf", as_attachment=True,
                     download_name=f"LKj-{year}-{code}{f'-S{sem}' if sem else ''}-pratinjau.{kind}")


@bp.route("/<int:year>/<report_code>/capaian")
@role_required(*VIEW)
def capaian(year: int, report_code: str):
    code = _code(report_code)
    try:
        table = services.tabel_capaian(_year(year), code, request.args.get("periode"))
    except ValidationFailed as exc:
        flash(exc.fields.get("period", exc.message), "error")
        return redirect(url_for("lkj.capaian", year=year, report_code=code))
    return render_template("lkj/capaian.html", year=year, code=code, spec=services.report_spec(code), table=table,
                           choices=services.period_choices(year), months=[m[:3] for m in MONTHS],
                           describe_band=describe_band, report=services.get_report(year, code),
                           measure_labels={m.value: label for m, label in services.MEASURE_LABELS.items()})


@bp.route("/indikator/<int:indicator_id>/jejak")
@role_required(*VIEW)
def trace(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    try:
        trace_ = services.trace(indicator, request.args.get("periode"))
    except ValidationFailed:
        abort(404)
    return render_template("lkj/trace.html", indicator=indicator, trace=trace_, year=indicator.year,
                           code=indicator.report_code, spec=services.report_spec(indicator.report_code),
                           choices=services.period_choices(indicator.year), can_manage=_can_manage(),
                           sees_entries=services.sees_entries(current_user))


@bp.route("/<int:year>/<report_code>/indikator")
@role_required(*VIEW)
def indicators(year: int, report_code: str, import_errors: dict | None = None, status: int = 200):
    code = _code(report_code)
    items = services.indicators_for(_year(year), code)
    data = services.indicator_data(items, year)
    return render_template("lkj/indicators.html", year=year, code=code, spec=services.report_spec(code),
                           items=items, data=data, can_manage=_can_manage(), import_errors=import_errors or {},
                           report=services.get_report(year, code)), status


@bp.route("/<int:year>/<report_code>/indikator/impor", methods=["POST"])
@role_required(*MANAGE)
@page_action(back=_back_to_indicators)
def import_indicators(year: int, report_code: str):
    code = _code(report_code)
    upload = request.files.get("file")
    try:
        result = services.import_indicators_file(upload.filename if upload else "", upload.read() if upload else b"",
                                                 _year(year), current_user)
    except ValidationFailed as exc:
        return indicators(year, code, import_errors=exc.fields, status=422)
    flash(f"Impor selesai: {result.created} indikator baru, {result.updated} diperbarui, "
          f"{len(result.errors)} baris ditolak.", "success" if not result.errors else "warning")
    for line, message in result.errors[:10]:
        flash(f"Baris {line}: {message}", "warning")
    return redirect(url_for("lkj.indicators", year=year, report_code=code))


@bp.route("/<int:year>/<report_code>/indikator/baru", methods=["GET", "POST"])
@role_required(*MANAGE)
@page_action(back=_back_to_indicators)
def new_indicator(year: int, report_code: str):
    code = _code(report_code)
    errors: dict = {}
    form = forms.indicator_values()
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            indicator = services.save_indicator(_year(year), code, form, current_user)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(f"Indikator {indicator.code} ditambahkan.", "success")
            return redirect(url_for("lkj.edit_indicator", indicator_id=indicator.id))
    return render_template("lkj/indicator_form.html", year=year, code=code, spec=services.report_spec(code),
                           indicator=None, form=form, errors=errors, targets={}, target_errors={},
                           measure_choices=_measure_choices()), 422 if errors else 200


@bp.route("/indikator/<int:indicator_id>/ubah", methods=["GET", "POST"])
@role_required(*MANAGE)
@page_action(back=_back_to_indicator)
def edit_indicator(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    errors: dict = {}
    form = forms.indicator_values(indicator)
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            services.save_indicator(indicator.year, indicator.report_code, form, current_user, indicator=indicator)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(f"Indikator {indicator.code} disimpan.", "success")
            return redirect(url_for("lkj.edit_indicator", indicator_id=indicator.id))
    return _indicator_page(indicator, form, errors, {}, 422 if errors else 200)


def _indicator_page(indicator, form: dict, errors: dict, target_errors: dict, status: int,
                    targets: dict | None = None):
    if targets is None:
        targets = {f"{k[0]}_{k[1]}": plain_number(v) for k, v in services.targets_of(indicator).items()}
    return render_template("lkj/indicator_form.html", year=indicator.year, code=indicator.report_code,
                           spec=services.report_spec(indicator.report_code), indicator=indicator, form=form,
                           errors=errors, targets=targets, target_errors=target_errors,
                           month_names=MONTHS, measure_choices=_measure_choices()), status


def _measure_choices() -> list[tuple[str, str]]:
    return [(m.value, label) for m, label in services.MEASURE_LABELS.items()]


@bp.route("/indikator/<int:indicator_id>/target", methods=["POST"])
@role_required(*MANAGE)
@page_action(back=_back_to_indicator)
def targets(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    kind = request.form.get("kind", "")
    values = forms.target_values(request.form, kind)
    try:
        warnings = services.set_targets(indicator, kind, values, current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        current = {f"{k[0]}_{k[1]}": plain_number(v) for k, v in services.targets_of(indicator).items()}
        current.update({f"{kind}_{i}": v for i, v in values.items()})
        return _indicator_page(indicator, forms.indicator_values(indicator), {}, exc.fields, 422, targets=current)
    flash("Target Rencana Aksi disimpan.", "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("lkj.edit_indicator", indicator_id=indicator.id))


@bp.route("/indikator/<int:indicator_id>/hapus", methods=["POST"])
@role_required(*MANAGE)
@page_action(back=_back_to_indicator)
def delete_indicator(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    year, code, name = indicator.year, indicator.report_code, indicator.code
    services.delete_indicator(indicator, current_user)
    flash(f"Indikator {name} dihapus.", "success")
    return redirect(url_for("lkj.indicators", year=year, report_code=code))


@bp.route("/indikator/<int:indicator_id>/realisasi", methods=["GET", "POST"])
@role_required(*VIEW)
@page_action(back=lambda indicator_id: url_for("lkj.manual", indicator_id=indicator_id))
def manual(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    errors: dict = {}
    form = {"period": request.args.get("bulan", "")}
    if form["period"]:
        existing = next((r for r in services.manual_rows(indicator) if r.period == form["period"]), None)
        if existing is not None:
            form.update(value=plain_number(existing.value), note=existing.note)
    if request.method == "POST":
        if not _can_manage():
            abort(403)
        form = request.form.to_dict()
        upload = request.files.get("evidence")
        try:
            row = services.save_manual_realisasi(
                indicator, form.get("period", ""), form.get("value"), form.get("note", ""), current_user,
                today=today_for(current_user), filename=upload.filename if upload else None,
                data=upload.read() if upload and upload.filename else None)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        except FileRejected as exc:
            db.session.rollback()
            errors = {"evidence": exc.message}
        else:
            flash(f"Realisasi {row.period} disimpan.", "success")
            return redirect(url_for("lkj.manual", indicator_id=indicator.id))
    data = services.indicator_data([indicator], indicator.year)[indicator.id]
    return render_template("lkj/manual.html", indicator=indicator, rows=services.manual_rows(indicator), form=form,
                           errors=errors, year=indicator.year, code=indicator.report_code,
                           spec=services.report_spec(indicator.report_code), source=data.source,
                           periods=services.month_periods(indicator.year), can_manage=_can_manage(),
                           max_period=f"{today_for(current_user):%Y-%m}"), 422 if errors else 200


@bp.route("/realisasi/<int:manual_id>/hapus", methods=["POST"])
@role_required(*MANAGE)
@page_action(back=lambda manual_id: url_for("lkj.index"))
def delete_manual(manual_id: int):
    row = services.get_manual(manual_id)
    indicator_id, period = row.indicator_id, row.period
    services.delete_manual_realisasi(row, current_user)
    flash(f"Realisasi {period} dihapus.", "success")
    return redirect(url_for("lkj.manual", indicator_id=indicator_id))


@bp.route("/realisasi/<int:manual_id>/bukti")
@role_required(*VIEW)
def manual_evidence(manual_id: int):
    row = services.get_manual(manual_id)
    if not row.evidence_key:
        abort(404)
    with services.open_blob(row.evidence_key) as fh:
        data = fh.read()
    inline = (row.evidence_content_type or "").startswith("image/")
    return send_file(io.BytesIO(data), mimetype=row.evidence_content_type or "application/octet-stream",
                     as_attachment=not inline, download_name=row.evidence_name or "bukti")


@bp.route("/<int:year>/<report_code>/narasi")
@role_required(*VIEW)
def narrative(year: int, report_code: str):
    code = _code(report_code)
    sem = _semester()
    report_ = services.get_report(_year(year), code, sem) or _unsaved_report(year, code, sem)
    return render_template("lkj/narrative.html", year=year, code=code, spec=services.report_spec(code),
                           sem=sem, period_title=_period_title(year, sem),
                           report=report_, sections=services.sections_for(report_),
                           texts=report_.narrative or {}, can_manage=_can_manage())


def _unsaved_report(year: int, code: str, semester: int | None = None):
    from silabu.lkj.models import LkjReport

    return LkjReport(year=year, report_code=code, period=services.normalise_period(semester), status=LkjStatus.DRAFT,
                     narrative={}, current_version=0)


@bp.route("/<int:year>/<report_code>/narasi/<path:key>", methods=["GET", "POST"])
@role_required(*MANAGE)
@page_action(back=lambda year, report_code, key: url_for("lkj.narrative", year=year, report_code=report_code,
                                                         semester=_semester()))
def edit_section(year: int, report_code: str, key: str):
    code = _code(report_code)
    sem = _semester()
    report_ = services.get_report(_year(year), code, sem) or _unsaved_report(year, code, sem)
    section = next((s for s in services.sections_for(report_) if s.key == key), None)
    if section is None:
        abort(404)
    errors: dict = {}
    text = (report_.narrative or {}).get(key, "")
    if request.method == "POST":
        text = request.form.get("text", "")
        try:
            saved = services.ensure_report(year, code, sem)
            services.save_section(saved, key, text, current_user)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(f"{section.title} disimpan. Kompilasi ulang agar masuk ke dokumen.", "success")
            return redirect(url_for("lkj.narrative", year=year, report_code=code, semester=sem)
                            + f"#s-{section.key}")
    return render_template("lkj/section_form.html", year=year, code=code, spec=services.report_spec(code),
                           sem=sem, period_title=_period_title(year, sem),
                           section=section, text=text, errors=errors,
                           max_length=services.SECTION_MAX), 422 if errors else 200


@bp.route("/kategori", methods=["GET", "POST"])
@role_required(*services.BAND_ROLES)
@page_action(back=lambda: url_for("lkj.bands"))
def bands():
    errors: dict = {}
    rows = [(b.minimum, b.label) for b in services.current_bands()]
    if request.method == "POST":
        rows = [(request.form.get(f"min_{i}", ""), request.form.get(f"label_{i}", "")) for i in range(8)]
        try:
            services.save_bands(rows, current_user)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash("Kategori capaian disimpan.", "success")
            return redirect(url_for("lkj.bands"))
    while len(rows) < 8:
        rows.append(("", ""))
    return render_template("lkj/bands.html", rows=rows, errors=errors), 422 if errors else 200


@bp.route("/verifikasi", methods=["GET"])
def verify_form():
    code = request.args.get("kode", "").strip()
    if code:
        return redirect(url_for("lkj.verify", code="".join(ch for ch in code.upper() if ch.isalnum())))
    return render_template("lkj/verify.html", doc=None, code="", result=None)


@bp.route("/verifikasi/<code>", methods=["GET", "POST"])
def verify(code: str):
    """Anyone holding a printed or digital LKj can confirm it: version, status and the files' sha256."""
    try:
        doc = services.document_by_code(code)
    except NotFound:
        return render_template("lkj/verify.html", doc=None, code=code, result=None), 404
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload and upload.filename else b""
        result = services.match_file(doc, data) if data else "empty"
    spec = services.report_spec(doc.report.report_code)
    return render_template("lkj/verify.html", doc=doc, code=code, result=result, spec=spec,
                           subject=services.subject_name(spec),
                           signed=services.signed_document(doc.report) if doc.report.signed_version else None)


@bp.route("/anggaran/<int:year>", methods=["GET", "POST"])
@role_required(*budget_service.BUDGET_ROLES)
@page_action(back=lambda year, **_: url_for("lkj.budget", year=year))
def budget(year: int):
    """Bab III B: the year's pagu and realisasi per output code, uploaded as finance exports them."""
    errors: dict = {}
    rows: list = []
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            result = budget_service.import_budget_file(upload.filename if upload else "",
                                                        upload.read() if upload else b"", _year(year), current_user)
        except ValidationFailed as exc:
            errors, rows = exc.fields, exc.details.get("rows") or []
        else:
            flash(f"Anggaran {year} diimpor: {result.lines} kode output, pagu Rp{angka(result.pagu)}, "
                  f"realisasi Rp{angka(result.realisasi)}"
                  + (f"; {result.replaced} baris lama diganti." if result.replaced else "."), "success")
            return redirect(url_for("lkj.budget", year=year))
    lines = budget_service.budget_lines(_year(year))
    return render_template("lkj/budget.html", year=year, lines=lines, errors=errors, rows=rows,
                           absorption=budget_service.absorption), 422 if errors else 200
