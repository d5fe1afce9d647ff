"""Admin pages for the working calendar: national holidays, cuti bersama, office closures, extra working days."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from silabu.accounts.access import role_required
from silabu.accounts.models import Role
from silabu.accounts.org import today_for
from silabu.admin import bp
from silabu.catalog import calendar as cal
from silabu.catalog.models import ClosureKind
from silabu.core.errors import ValidationFailed
from silabu.core.formatting import tanggal
from silabu.core.parsing import date_or_none, parse_year
from silabu.web import page_action


def _calendar_page(year: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    return render_template("admin/calendar.html", year=year, holidays=sorted(cal.national_holidays(year).items()),
                           days=cal.office_days(year), suggested=cal.suggested_days(year), kinds=cal.KIND_LABELS,
                           ClosureKind=ClosureKind, errors=errors or {},
                           values=values or {"kind": ClosureKind.CUTI_BERSAMA.value}), status


def _year_or(value: object, default: int) -> int:
    try:
        return parse_year(value, default) or default
    except ValidationFailed:
        return default


@bp.route("/kalender")
@role_required(Role.ADMIN)
def calendar():
    this_year = today_for(current_user).year
    try:
        year = parse_year(request.args.get("tahun"), this_year)
    except ValidationFailed:
        return redirect(url_for("admin.calendar"))
    return _calendar_page(year)


@bp.route("/kalender/tambah", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda: url_for("admin.calendar"))
def office_day_add():
    year = _year_or(request.form.get("tahun"), today_for(current_user).year)
    values = {k: request.form.get(k, "") for k in ("day", "kind", "name")}
    try:
        row = cal.add_office_day(values["day"], values["kind"], values["name"], actor=current_user)
    except ValidationFailed as exc:
        return _calendar_page(year, exc.fields, values, 422)
    flash(f"{cal.KIND_LABELS[row.kind]} {tanggal(row.day)} disimpan.", "success")
    return redirect(url_for("admin.calendar", tahun=row.day.year))


@bp.route("/kalender/<day>/hapus", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda day: url_for("admin.calendar"))
def office_day_remove(day: str):
    when = date_or_none(day)
    if when is None:
        abort(404)
    cal.remove_office_day(when, actor=current_user)
    flash(f"Tanggal {tanggal(when)} dihapus dari kalender kerja.", "success")
    return redirect(url_for("admin.calendar", tahun=when.year))


@bp.route("/kalender/<int:year>/cuti-bersama", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda year: url_for("admin.calendar"))
def cuti_bersama_adopt(year: int):
    try:
        year = parse_year(year)
    except ValidationFailed:
        abort(404)
    added = cal.adopt_cuti_bersama(year, actor=current_user)
    if added:
        flash(f"{len(added)} hari cuti bersama pemerintah {year} diterapkan.", "success")
    else:
        flash(f"Semua cuti bersama pemerintah {year} sudah ada di kalender.", "info")
    return redirect(url_for("admin.calendar", tahun=year))
