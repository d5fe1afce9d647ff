"""Admin pages for the output-code catalogue (RKA/DIPA): list, import a file or a paste, edit, (de)activate."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from silabu.accounts.access import role_required
from silabu.accounts.models import Role
from silabu.admin import bp
from silabu.admin.helpers import uploaded_file
from silabu.catalog import services as catalog
from silabu.core.errors import ValidationFailed
from silabu.core.tables import read_table, require_columns
from silabu.extensions import db
from silabu.web import page_action

CODE_COLUMNS = [("code", "kode"), ("name", "nama", "uraian")]


def _back_to_codes(**_: object) -> str:
    return url_for("admin.codes", q=request.form.get("q") or None, active=request.form.get("active") or None)


@bp.route("/kode-output")
@role_required(Role.ADMIN)
def codes():
    q = request.args.get("q", "").strip()[:100]
    active = request.args.get("active", "")
    if active not in ("", "0", "1"):
        active = ""
    return render_template("admin/codes.html", rows=catalog.list_output_codes(q, active), q=q, active=active,
                           level_labels=catalog.LEVEL_LABELS)


def _codes_import_page(errors: dict, report: catalog.CatalogImportReport | None = None, status: int = 200,
                       text: str = ""):
    return render_template("admin/codes_import.html", errors=errors, report=report, text=text), status


@bp.route("/kode-output/impor", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def codes_import():
    """Rows that fail are reported (422) while the rows that pass go in: this page commits what it imported."""
    if request.method == "GET":
        return _codes_import_page({})
    try:
        table = read_table(*uploaded_file())
        require_columns(table, CODE_COLUMNS)
    except ValidationFailed as exc:
        return _codes_import_page(exc.fields, status=422)
    report = catalog.import_output_codes(table.rows, actor=current_user)
    db.session.commit()
    report.errors = table.relabel(report.errors)
    return _codes_import_page({}, report, 422 if report.errors else 200)


@bp.route("/kode-output/tempel", methods=["POST"])
@role_required(Role.ADMIN)
def codes_paste():
    """As the file import: the lines that pass go in, the others are listed."""
    text = request.form.get("text", "")
    try:
        report = catalog.import_output_code_text(text, actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _codes_import_page(exc.fields, status=422, text=text)
    db.session.commit()
    return _codes_import_page({}, report, 422 if report.errors else 200, text=text if report.errors else "")


@bp.route("/kode-output/<int:code_id>/ubah", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda code_id: url_for("admin.codes"))
def code_edit(code_id: int):
    oc = catalog.get_output_code(code_id)
    if request.method == "GET":
        return render_template("admin/code_form.html", oc=oc, values={"name": oc.name, "default_unit": oc.default_unit},
                               errors={})
    values = {"name": request.form.get("name", ""), "default_unit": request.form.get("default_unit", "")}
    try:
        catalog.update_output_code(oc, actor=current_user, **values)
    except ValidationFailed as exc:
        return render_template("admin/code_form.html", oc=oc, values=values, errors=exc.fields), 422
    flash(f"Kode {oc.code} disimpan.", "success")
    return redirect(url_for("admin.codes", q=oc.code))


@bp.route("/kode-output/<int:code_id>/nonaktifkan", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_codes)
def code_deactivate(code_id: int):
    oc = catalog.get_output_code(code_id)
    n = catalog.set_output_code_active(oc, False, actor=current_user)
    flash(f"Kode {oc.code} dinonaktifkan" + (f" beserta {n - 1} kode di bawahnya" if n > 1 else "")
          + ". Entri yang sudah ada tetap memakai kode ini.", "success")
    return redirect(_back_to_codes())


@bp.route("/kode-output/<int:code_id>/aktifkan", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_codes)
def code_activate(code_id: int):
    oc = catalog.get_output_code(code_id)
    catalog.set_output_code_active(oc, True, actor=current_user)
    flash(f"Kode {oc.code} diaktifkan.", "success")
    return redirect(_back_to_codes())
