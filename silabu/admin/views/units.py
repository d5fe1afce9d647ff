"""Admin pages for units (Sub Bagian): list, add, edit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from silabu.accounts import org
from silabu.accounts.access import role_required
from silabu.accounts.models import Role, Unit, User
from silabu.accounts.tenancy import current_satker
from silabu.admin import bp, forms
from silabu.core.errors import ValidationFailed
from silabu.extensions import db
from silabu.web import page_action


def _unit_form(unit: Unit | None, values: dict, errors: dict, status: int = 200):
    candidates = [u for u in org.units(False) if unit is None or u.id != unit.id]
    people = list(db.session.scalars(select(User).where(User.is_active_account.is_(True)).order_by(User.name)))
    return render_template("admin/unit_form.html", unit=unit, values=values, errors=errors, parents=candidates,
                           people=people), status


@bp.route("/unit")
@role_required(Role.ADMIN)
def units_list():
    return render_template("admin/units.html", units=org.units(False), counts=org.user_counts_per_unit())


@bp.route("/unit/baru", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda: url_for("admin.units_list"))
def unit_new():
    if request.method == "GET":
        return _unit_form(None, {"requires_evidence": False}, {})
    values = forms.unit_values(request.form)
    satker = current_satker()
    if satker is None:
        abort(409)
    try:
        unit = org.create_unit(satker_id=satker.id, actor=current_user, **values)
    except ValidationFailed as exc:
        return _unit_form(None, values, exc.fields, 422)
    flash(f"Unit {unit.code} ditambahkan.", "success")
    return redirect(url_for("admin.units_list"))


@bp.route("/unit/<int:unit_id>/ubah", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda unit_id: url_for("admin.units_list"))
def unit_edit(unit_id: int):
    unit = org.get_unit(unit_id)
    if request.method == "GET":
        return _unit_form(unit, {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id,
                                 "requires_evidence": unit.requires_evidence,
                                 "head_verifier_id": unit.head_verifier_id}, {})
    values = forms.unit_values(request.form)
    values.pop("code")
    try:
        org.update_unit(unit, actor=current_user, **values)
    except ValidationFailed as exc:
        return _unit_form(unit, {**values, "code": unit.code}, exc.fields, 422)
    flash(f"Unit {unit.code} disimpan.", "success")
    return redirect(url_for("admin.units_list"))


@bp.route("/kop-surat", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda: url_for("admin.kop_surat"))
def kop_surat():
    """The satker's letterhead: address, city, telephone, e-mail, website and logo (every PDF prints it)."""
    satker = current_satker()
    if satker is None:
        abort(404)
    fields = ("address", "city", "phone", "email", "website")
    if request.method == "GET":
        return render_template("admin/kop_surat.html", satker=satker, errors={},
                               values={k: getattr(satker, k) or "" for k in fields})
    values = {k: str(request.form.get(k, "") or "") for k in fields}
    upload = request.files.get("logo")
    try:
        org.update_kop_surat(satker, **values, logo=upload.read() if upload and upload.filename else None,
                             remove_logo=request.form.get("remove_logo") == "1", actor=current_user)
    except ValidationFailed as exc:
        return render_template("admin/kop_surat.html", satker=satker, errors=exc.fields, values=values), 422
    flash("Kop surat disimpan; dokumen PDF berikutnya memakainya.", "success")
    return redirect(url_for("admin.kop_surat"))
