"""Admin pages: users, units, output codes, the working calendar, indicators import, security, the audit log."""
from __future__ import annotations

import base64
from datetime import date

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from silabu.accounts import admin_services as admin
from silabu.accounts import services as accounts
from silabu.accounts import two_factor
from silabu.accounts.access import role_required
from silabu.accounts.models import ROLE_LABELS, Employment, Role, User
from silabu.accounts.org import default_satker, satker_timezone, today_for, units
from silabu.accounts.views import admin_bp
from silabu.catalog.calendar import national_holidays
from silabu.catalog.models import ClosureKind
from silabu.catalog.services import import_indicators, import_output_codes, remove_office_day
from silabu.core import audit
from silabu.core.errors import Conflict, ValidationFailed
from silabu.extensions import db

PER_PAGE = 50
ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _once(html: str, status: int = 200):  # noqa: ANN202
    """A page that shows a password: never cached, never stored."""
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _upload() -> tuple[str, bytes]:
    f = request.files.get("file")
    if f is None or not f.filename:
        return "", b""
    return f.filename, f.read()


# ---------------------------------------------------------------- dashboard

@admin_bp.route("/")
@role_required("admin")
def index():
    year = today_for(current_user).year
    return render_template("admin/index.html", d=admin.dashboard(year))


# ---------------------------------------------------------------- users

def _user_form_data() -> accounts.UserData:
    form = request.form
    # NIPs are often written grouped ("19860324 201403 1 003"); the digits are what count.
    nip = "".join((form.get("nip") or "").split()) or None
    return accounts.UserData(name=form.get("name", ""), unit_code=form.get("unit", ""),
                             roles=form.getlist("roles"), nip=nip,
                             username=form.get("username") or None, jabatan=form.get("jabatan", ""),
                             golongan=form.get("golongan", ""), employment=form.get("employment") or None,
                             email=form.get("email", ""))


def _user_form(user: User | None, values: dict, errors: dict, status: int = 200):  # noqa: ANN202
    return render_template("admin/user_form.html", user=user, values=values, errors=errors, units=units(False),
                           role_choices=ROLE_CHOICES, employments=[e.value for e in Employment]), status


def _values_of(user: User) -> dict:
    return {"nip": user.nip or "", "username": user.username or "", "name": user.name, "jabatan": user.jabatan,
            "golongan": user.golongan, "employment": user.employment.value if user.employment else "",
            "unit": user.unit.code, "roles": sorted(user.roles), "email": user.email}


def _values_from_form() -> dict:
    values = {k: request.form.get(k, "") for k in ("nip", "username", "name", "jabatan", "golongan", "employment",
                                                   "unit", "email")}
    values["roles"] = request.form.getlist("roles")
    return values


@admin_bp.route("/pengguna")
@role_required("admin")
def users():
    errors = {}
    role = request.args.get("role", "")
    if role and role not in {r.value for r in Role}:
        errors["role"] = "Peran tidak dikenal."
        role = ""
    active = request.args.get("active", "")
    if active not in ("", "0", "1"):
        active = ""
    f = admin.UserFilter(q=request.args.get("q", "").strip()[:100], unit_id=_int_or_none(request.args.get("unit")),
                         role=role, active=active)
    page = _page()
    rows, total = admin.search_users(f, page=page, per_page=PER_PAGE)
    return render_template("admin/users.html", rows=rows, total=total, page=page, per_page=PER_PAGE, f=f,
                           units=units(False), role_choices=ROLE_CHOICES, role_labels=_role_labels(),
                           errors=errors), 422 if errors else 200


def _role_labels() -> dict[str, str]:
    return {r.value: ROLE_LABELS[r] for r in Role}


@admin_bp.route("/pengguna/baru", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    if request.method == "GET":
        return _user_form(None, {"roles": ["asn"]}, {})
    try:
        user, password = admin.create_user_by_admin(_user_form_data(), actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _user_form(None, _values_from_form(), exc.fields, 422)
    db.session.commit()
    return _once(render_template("admin/password_once.html", user=user, password=password, created=True))


@admin_bp.route("/pengguna/<int:user_id>")
@role_required("admin")
def user_detail(user_id: int):
    user = accounts.get_user(user_id)
    tokens = admin.user_tokens(user)
    return render_template("admin/user_detail.html", user=user, tokens=tokens, role_labels=_role_labels(),
                           token_state=admin.token_state, two_factor_required=two_factor.role_requires_2fa(user),
                           recovery_codes_left=two_factor.recovery_codes_left(user))


@admin_bp.route("/pengguna/<int:user_id>/ubah", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int):
    user = accounts.get_user(user_id)
    if request.method == "GET":
        return _user_form(user, _values_of(user), {})
    try:
        admin.update_user_by_admin(user, _user_form_data(), actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _user_form(user, _values_from_form(), exc.fields, 422)
    db.session.commit()
    flash(f"Data {user.name} disimpan.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@admin_bp.route("/pengguna/<int:user_id>/nonaktifkan", methods=["POST"])
@role_required("admin")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@admin_bp.route("/pengguna/<int:user_id>/aktifkan", methods=["POST"])
@role_required("admin")
def user_activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):  # noqa: ANN202
    user = accounts.get_user(user_id)
    try:
        accounts.set_active(user, active, actor=current_user)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    if active:
        flash(f"Akun {user.name} diaktifkan kembali.", "success")
    else:
        flash(f"Akun {user.name} dinonaktifkan; sesi dan token API-nya berakhir.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@admin_bp.route("/pengguna/<int:user_id>/atur-ulang-sandi", methods=["POST"])
@role_required("admin")
def user_reset_password(user_id: int):
    user = accounts.get_user(user_id)
    try:
        password = admin.reset_password_by_admin(user, actor=current_user)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    return _once(render_template("admin/password_once.html", user=user, password=password, created=False))


@admin_bp.route("/pengguna/<int:user_id>/token/<int:token_id>/cabut", methods=["POST"])
@role_required("admin")
def token_revoke(user_id: int, token_id: int):
    user = accounts.get_user(user_id)
    try:
        admin.revoke_user_token(user, token_id, actor=current_user)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash("Token dicabut; aplikasi yang memakainya harus masuk ulang.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@admin_bp.route("/pengguna/<int:user_id>/token/cabut-semua", methods=["POST"])
@role_required("admin")
def tokens_revoke_all(user_id: int):
    user = accounts.get_user(user_id)
    n = admin.revoke_all_user_tokens(user, actor=current_user)
    db.session.commit()
    flash(f"{n} token dicabut." if n else "Tidak ada token aktif.", "success" if n else "info")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@admin_bp.route("/pengguna/impor", methods=["GET", "POST"])
@role_required("admin")
def users_import():
    if request.method == "GET":
        return render_template("admin/users_import.html", errors={}, report=None)
    try:
        table = admin.read_upload(*_upload())
        admin.require_columns(table, admin.USER_COLUMNS)
    except ValidationFailed as exc:
        return render_template("admin/users_import.html", errors=exc.fields, report=None), 422
    report = accounts.import_users(table.rows, actor=current_user)
    db.session.commit()
    report.errors = table.relabel(report.errors)
    people = admin.users_for_logins(report.passwords)
    sheet = [(login, people[login].name if login in people else "", people[login].unit.code if login in people else "",
              password) for login, password in report.passwords.items()]
    csv_text = admin.passwords_csv(sheet)
    data_uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(("\ufeff" + csv_text).encode()).decode()
    html = render_template("admin/users_import.html", errors={}, report=report, sheet=sheet, data_uri=data_uri,
                           stamp=today_for(current_user).isoformat())
    return _once(html, 200 if report.ok else 422) if sheet else (html, 200 if report.ok else 422)


@admin_bp.route("/pengguna/<int:user_id>/2fa/atur-ulang", methods=["POST"])
@role_required("admin")
def user_reset_two_factor(user_id: int):
    user = accounts.get_user(user_id)
    try:
        two_factor.reset_by_admin(user, actor=current_user)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(f"Verifikasi dua langkah {user.name} diatur ulang; ia dapat mendaftarkan ponsel baru.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


# ---------------------------------------------------------------- security settings

@admin_bp.route("/keamanan", methods=["GET", "POST"])
@role_required("admin")
def security():
    if request.method == "POST":
        try:
            changed = two_factor.set_role_policies(set(request.form.getlist("requires_2fa")), actor=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            return render_template("admin/security.html", rows=two_factor.enrolment_by_role(), errors=exc.fields), 422
        db.session.commit()
        flash("Pengaturan keamanan disimpan." if changed else "Tidak ada perubahan.", "success" if changed else "info")
        return redirect(url_for("admin.security"))
    return render_template("admin/security.html", rows=two_factor.enrolment_by_role(), errors={})


# ---------------------------------------------------------------- units

def _unit_form(unit, values: dict, errors: dict, status: int = 200):  # noqa: ANN001, ANN202
    candidates = [u for u in units(False) if unit is None or u.id != unit.id]
    people = list(db.session.scalars(db.select(User).where(User.is_active_account.is_(True)).order_by(User.name)))
    return render_template("admin/unit_form.html", unit=unit, values=values, errors=errors, parents=candidates,
                           people=people), status


def _unit_values_from_form() -> dict:
    form = request.form
    return {"code": form.get("code", ""), "name": form.get("name", ""), "parent_id": _int_or_none(form.get("parent_id")),
            "requires_evidence": form.get("requires_evidence") == "1",
            "head_verifier_id": _int_or_none(form.get("head_verifier_id"))}


@admin_bp.route("/unit")
@role_required("admin")
def units_list():
    return render_template("admin/units.html", units=units(False), counts=admin.user_counts_per_unit())


@admin_bp.route("/unit/baru", methods=["GET", "POST"])
@role_required("admin")
def unit_new():
    if request.method == "GET":
        return _unit_form(None, {"requires_evidence": False}, {})
    values = _unit_values_from_form()
    satker = default_satker()
    if satker is None:
        abort(409)
    try:
        unit = admin.create_unit(satker_id=satker.id, actor=current_user, **values)
    except ValidationFailed as exc:
        db.session.rollback()
        return _unit_form(None, values, exc.fields, 422)
    db.session.commit()
    flash(f"Unit {unit.code} ditambahkan.", "success")
    return redirect(url_for("admin.units_list"))


@admin_bp.route("/unit/<int:unit_id>/ubah", methods=["GET", "POST"])
@role_required("admin")
def unit_edit(unit_id: int):
    unit = admin.get_unit(unit_id)
    if request.method == "GET":
        return _unit_form(unit, {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id,
                                 "requires_evidence": unit.requires_evidence,
                                 "head_verifier_id": unit.head_verifier_id}, {})
    values = _unit_values_from_form()
    values.pop("code")
    try:
        admin.update_unit(unit, actor=current_user, **values)
    except ValidationFailed as exc:
        db.session.rollback()
        return _unit_form(unit, {**values, "code": unit.code}, exc.fields, 422)
    db.session.commit()
    flash(f"Unit {unit.code} disimpan.", "success")
    return redirect(url_for("admin.units_list"))


# ---------------------------------------------------------------- output codes

@admin_bp.route("/kode-output")
@role_required("admin")
def codes():
    q = request.args.get("q", "").strip()[:100]
    active = request.args.get("active", "")
    if active not in ("", "0", "1"):
        active = ""
    rows = admin.list_output_codes(q, active)
    return render_template("admin/codes.html", rows=rows, q=q, active=active, level_labels=admin.LEVEL_LABELS)


def _codes_import_page(errors: dict, report=None, status: int = 200, text: str = ""):  # noqa: ANN001, ANN202
    return render_template("admin/codes_import.html", errors=errors, report=report, text=text), status


@admin_bp.route("/kode-output/impor", methods=["GET", "POST"])
@role_required("admin")
def codes_import():
    if request.method == "GET":
        return _codes_import_page({})
    try:
        table = admin.read_upload(*_upload())
        admin.require_columns(table, admin.CODE_COLUMNS)
    except ValidationFailed as exc:
        return _codes_import_page(exc.fields, status=422)
    report = import_output_codes(table.rows, actor=current_user)
    db.session.commit()
    report.errors = table.relabel(report.errors)
    return _codes_import_page({}, report, 422 if report.errors else 200)


@admin_bp.route("/kode-output/tempel", methods=["POST"])
@role_required("admin")
def codes_paste():
    text = request.form.get("text", "")
    try:
        report = admin.import_output_code_text(text, actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _codes_import_page(exc.fields, status=422, text=text)
    db.session.commit()
    return _codes_import_page({}, report, 422 if report.errors else 200, text=text if report.errors else "")


@admin_bp.route("/kode-output/<int:code_id>/ubah", methods=["GET", "POST"])
@role_required("admin")
def code_edit(code_id: int):
    oc = admin.get_output_code(code_id)
    if request.method == "GET":
        return render_template("admin/code_form.html", oc=oc, values={"name": oc.name, "default_unit": oc.default_unit},
                               errors={})
    values = {"name": request.form.get("name", ""), "default_unit": request.form.get("default_unit", "")}
    try:
        admin.update_output_code(oc, actor=current_user, **values)
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("admin/code_form.html", oc=oc, values=values, errors=exc.fields), 422
    db.session.commit()
    flash(f"Kode {oc.code} disimpan.", "success")
    return redirect(url_for("admin.codes", q=oc.code))


@admin_bp.route("/kode-output/<int:code_id>/nonaktifkan", methods=["POST"])
@role_required("admin")
def code_deactivate(code_id: int):
    oc = admin.get_output_code(code_id)
    n = admin.set_output_code_active(oc, False, actor=current_user)
    db.session.commit()
    flash(f"Kode {oc.code} dinonaktifkan" + (f" beserta {n - 1} kode di bawahnya" if n > 1 else "")
          + ". Entri yang sudah ada tetap memakai kode ini.", "success")
    return redirect(_back_to_codes())


@admin_bp.route("/kode-output/<int:code_id>/aktifkan", methods=["POST"])
@role_required("admin")
def code_activate(code_id: int):
    oc = admin.get_output_code(code_id)
    admin.set_output_code_active(oc, True, actor=current_user)
    db.session.commit()
    flash(f"Kode {oc.code} diaktifkan.", "success")
    return redirect(_back_to_codes())


def _back_to_codes() -> str:
    return url_for("admin.codes", q=request.form.get("q") or None, active=request.form.get("active") or None)


# ---------------------------------------------------------------- working calendar

def _calendar_page(year: int, errors: dict | None = None, values: dict | None = None, status: int = 200):  # noqa: ANN202
    holidays = sorted(national_holidays(year).items())
    return render_template("admin/calendar.html", year=year, holidays=holidays, days=admin.office_days(year),
                           suggested=admin.suggested_days(year), kinds=admin.KIND_LABELS, ClosureKind=ClosureKind,
                           errors=errors or {}, values=values or {"kind": ClosureKind.CUTI_BERSAMA.value}), status


@admin_bp.route("/kalender")
@role_required("admin")
def calendar():
    this_year = today_for(current_user).year
    try:
        year = admin.parse_year(request.args.get("tahun"), this_year)
    except ValidationFailed:
        return redirect(url_for("admin.calendar"))
    return _calendar_page(year)


@admin_bp.route("/kalender/tambah", methods=["POST"])
@role_required("admin")
def office_day_add():
    this_year = today_for(current_user).year
    try:
        year = admin.parse_year(request.form.get("tahun"), this_year)
    except ValidationFailed:
        year = this_year
    values = {k: request.form.get(k, "") for k in ("day", "kind", "name")}
    try:
        row = admin.add_office_day(values["day"], values["kind"], values["name"], actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _calendar_page(year, exc.fields, values, 422)
    db.session.commit()
    flash(f"{admin.KIND_LABELS[row.kind]} {_tanggal(row.day)} disimpan.", "success")
    return redirect(url_for("admin.calendar", tahun=row.day.year))


@admin_bp.route("/kalender/<day>/hapus", methods=["POST"])
@role_required("admin")
def office_day_remove(day: str):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    remove_office_day(when, actor=current_user)
    db.session.commit()
    flash(f"Tanggal {_tanggal(when)} dihapus dari kalender kerja.", "success")
    return redirect(url_for("admin.calendar", tahun=when.year))


@admin_bp.route("/kalender/<int:year>/cuti-bersama", methods=["POST"])
@role_required("admin")
def cuti_bersama_adopt(year: int):
    try:
        year = admin.parse_year(year, year)
    except ValidationFailed:
        abort(404)
    added = admin.adopt_cuti_bersama(year, actor=current_user)
    db.session.commit()
    if added:
        flash(f"{len(added)} hari cuti bersama pemerintah {year} diterapkan.", "success")
    else:
        flash(f"Semua cuti bersama pemerintah {year} sudah ada di kalender.", "info")
    return redirect(url_for("admin.calendar", tahun=year))


def _tanggal(value: date) -> str:
    from silabu.core.formatting import tanggal

    return tanggal(value)


# ---------------------------------------------------------------- audit log

@admin_bp.route("/audit")
@role_required("admin")
def audit_log():
    f, errors = admin.parse_audit_filter(request.args)
    if errors:
        f = admin.AuditFilter(action=f.action)
    page = _page()
    rows, total = admin.audit_events(f, satker_timezone(current_user.unit), page=page, per_page=PER_PAGE)
    people = list(db.session.scalars(db.select(User).order_by(User.name)))
    return render_template("admin/audit.html", rows=[audit.event_view(ev) for ev in rows], total=total, page=page,
                           per_page=PER_PAGE, args=request.args,
                           errors=errors, people=people, actions=admin.audit_action_names()), 422 if errors else 200


# ---------------------------------------------------------------- indicators

@admin_bp.route("/indikator", methods=["GET", "POST"])
@role_required("admin")
def indicators():
    this_year = today_for(current_user).year
    if request.method == "GET":
        return render_template("admin/indicators.html", errors={}, report=None, year=this_year)
    errors: dict[str, str] = {}
    year = this_year
    try:
        year = admin.parse_year(request.form.get("year"), this_year)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    table = admin.Table([], [])
    try:
        table = admin.read_upload(*_upload())
        admin.require_columns(table, admin.INDICATOR_COLUMNS)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        return render_template("admin/indicators.html", errors=errors, report=None,
                               year=request.form.get("year", this_year)), 422
    report = import_indicators(table.rows, year, actor=current_user)
    db.session.commit()
    report.errors = table.relabel(report.errors)
    return render_template("admin/indicators.html", errors={}, report=report, year=year), 422 if report.errors else 200
