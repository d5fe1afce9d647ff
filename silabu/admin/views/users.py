"""Admin pages for accounts: list, create, edit, (de)activate, reset password or two-factor login, tokens, import."""
from __future__ import annotations

import base64
import csv
import io

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from silabu.accounts import services as accounts
from silabu.accounts import tokens, two_factor
from silabu.accounts.access import role_required
from silabu.accounts.models import ROLE_LABELS, Employment, Role, User
from silabu.accounts.org import today_for, units
from silabu.admin import bp, forms
from silabu.admin.helpers import PER_PAGE, page_number, uploaded_file
from silabu.core.errors import ValidationFailed
from silabu.core.parsing import int_or_none
from silabu.core.sheets import csv_row
from silabu.core.tables import read_table, require_columns
from silabu.extensions import db
from silabu.web import page_action, shown_once

ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]
USER_COLUMNS = [("name",), ("unit_code", "unit"), ("nip", "username", "email")]


def _role_labels() -> dict[str, str]:
    return {r.value: ROLE_LABELS[r] for r in Role}


def _back_to_user(user_id: int, **_: object) -> str:
    return url_for("admin.user_detail", user_id=user_id)


def _user_form(user: User | None, values: dict, errors: dict, status: int = 200):
    return render_template("admin/user_form.html", user=user, values=values, errors=errors, units=units(False),
                           role_choices=ROLE_CHOICES, employments=[e.value for e in Employment]), status


@bp.route("/pengguna")
@role_required(Role.ADMIN)
def users():
    errors = {}
    role = request.args.get("role", "")
    if role and role not in {r.value for r in Role}:
        errors["role"] = "Peran tidak dikenal."
        role = ""
    active = request.args.get("active", "")
    if active not in ("", "0", "1"):
        active = ""
    f = accounts.UserFilter(q=request.args.get("q", "").strip()[:100],
                            unit_id=int_or_none(request.args.get("unit"), minimum=1), role=role, active=active)
    page = page_number()
    rows, total = accounts.search_users(f, page=page, per_page=PER_PAGE)
    return render_template("admin/users.html", rows=rows, total=total, page=page, per_page=PER_PAGE, f=f,
                           units=units(False), role_choices=ROLE_CHOICES, role_labels=_role_labels(),
                           errors=errors), 422 if errors else 200


@bp.route("/pengguna/baru", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda: url_for("admin.users"))
def user_new():
    if request.method == "GET":
        return _user_form(None, {"roles": ["asn"]}, {})
    data = forms.user_data(request.form)
    data.password = None  # a generated initial password, changed at first login
    try:
        user, password = accounts.create_user(data, actor=current_user, must_change_password=True)
    except ValidationFailed as exc:
        return _user_form(None, forms.values_from_form(request.form), exc.fields, 422)
    return shown_once(render_template("admin/password_once.html", user=user, password=password, created=True))


@bp.route("/pengguna/<int:user_id>")
@role_required(Role.ADMIN)
def user_detail(user_id: int):
    user = accounts.get_user(user_id)
    return render_template("admin/user_detail.html", user=user, tokens=tokens.user_tokens(user),
                           role_labels=_role_labels(), token_state=tokens.token_state,
                           two_factor_required=two_factor.role_requires_2fa(user),
                           recovery_codes_left=two_factor.recovery_codes_left(user))


@bp.route("/pengguna/<int:user_id>/ubah", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def user_edit(user_id: int):
    user = accounts.get_user(user_id)
    if request.method == "GET":
        return _user_form(user, forms.values_of(user), {})
    try:
        accounts.update_user(user, forms.user_data(request.form), actor=current_user)
    except ValidationFailed as exc:
        return _user_form(user, forms.values_from_form(request.form), exc.fields, 422)
    flash(f"Data {user.name} disimpan.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/pengguna/<int:user_id>/nonaktifkan", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def user_deactivate(user_id: int):
    user = accounts.get_user(user_id)
    accounts.set_active(user, False, actor=current_user)
    flash(f"Akun {user.name} dinonaktifkan; sesi dan token API-nya berakhir.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/pengguna/<int:user_id>/aktifkan", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def user_activate(user_id: int):
    user = accounts.get_user(user_id)
    accounts.set_active(user, True, actor=current_user)
    flash(f"Akun {user.name} diaktifkan kembali.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/pengguna/<int:user_id>/atur-ulang-sandi", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def user_reset_password(user_id: int):
    user = accounts.get_user(user_id)
    password = accounts.reset_password(user, actor=current_user)
    return shown_once(render_template("admin/password_once.html", user=user, password=password, created=False))


@bp.route("/pengguna/<int:user_id>/token/<int:token_id>/cabut", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def token_revoke(user_id: int, token_id: int):
    user = accounts.get_user(user_id)
    tokens.revoke_user_token(user, token_id, actor=current_user)
    flash("Token dicabut; aplikasi yang memakainya harus masuk ulang.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/pengguna/<int:user_id>/token/cabut-semua", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def tokens_revoke_all(user_id: int):
    user = accounts.get_user(user_id)
    n = tokens.revoke_all_user_tokens(user, actor=current_user)
    flash(f"{n} token dicabut." if n else "Tidak ada token aktif.", "success" if n else "info")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/pengguna/<int:user_id>/2fa/atur-ulang", methods=["POST"])
@role_required(Role.ADMIN)
@page_action(back=_back_to_user)
def user_reset_two_factor(user_id: int):
    user = accounts.get_user(user_id)
    two_factor.reset_by_admin(user, actor=current_user)
    flash(f"Verifikasi dua langkah {user.name} diatur ulang; ia dapat mendaftarkan ponsel baru.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _passwords_csv(rows: list[tuple[str, str, str, str]]) -> str:
    """The one-time password sheet (login, nama, unit, kata sandi awal) for the admin to download."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["login", "nama", "unit", "kata_sandi_awal"])
    writer.writerows(csv_row(r) for r in rows)
    return buf.getvalue()


@bp.route("/pengguna/impor", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users_import():
    """Rows that fail are reported (422) while the rows that pass go in: this page commits what it imported."""
    if request.method == "GET":
        return render_template("admin/users_import.html", errors={}, report=None)
    try:
        table = read_table(*uploaded_file())
        require_columns(table, USER_COLUMNS)
    except ValidationFailed as exc:
        return render_template("admin/users_import.html", errors=exc.fields, report=None), 422
    report = accounts.import_users(table.rows, actor=current_user)
    db.session.commit()
    report.errors = table.relabel(report.errors)
    people = {login: accounts.find_login(login) for login in report.passwords}
    sheet = [(login, people[login].name if people[login] else "", people[login].unit.code if people[login] else "",
              password) for login, password in report.passwords.items()]
    data_uri = ("data:text/csv;charset=utf-8;base64,"
                + base64.b64encode(("\ufeff" + _passwords_csv(sheet)).encode()).decode())
    html = render_template("admin/users_import.html", errors={}, report=report, sheet=sheet, data_uri=data_uri,
                           stamp=today_for(current_user).isoformat())
    status = 200 if report.ok else 422
    return shown_once(html, status) if sheet else (html, status)
