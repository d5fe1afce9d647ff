"""Login (with the two-factor code step), logout, password, two-factor enrolment."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from silabu.accounts import services, sessions, two_factor
from silabu.accounts.login import LoginLocked
from silabu.accounts.models import User
from silabu.core.clock import utcnow
from silabu.core.errors import ValidationFailed
from silabu.extensions import db
from silabu.web import page_action, safe_next, shown_once

auth_bp = Blueprint("auth", __name__)

PENDING_2FA = "pending_2fa"


@auth_bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("entries.home"))
    error = None
    login_value = ""
    if request.method == "POST":
        login_value = request.form.get("login", "").strip()
        try:
            user = two_factor.password_step(login_value, request.form.get("password", ""),
                                            request.remote_addr or "-", **_lockout())
        except LoginLocked as exc:
            return render_template("auth/login.html", error=str(exc), login_value=login_value), 429
        if user is None:
            error = "NIP/nama pengguna atau kata sandi salah, atau akun tidak aktif."
        elif two_factor.is_enabled(user):
            session.clear()
            # Only who and since when: the password is right, the code is still to come.
            session[PENDING_2FA] = {"user_id": user.id, "version": user.session_version,
                                    "login": two_factor.login_key(login_value), "at": utcnow().timestamp(),
                                    "next": safe_next(request.args.get("next"))}
            db.session.commit()
            return redirect(url_for("auth.login_code"))
        else:
            return _finish_login(user, safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, login_value=login_value), 200 if error is None else 401


def _lockout() -> dict[str, int]:
    return {"max_attempts": current_app.config["LOGIN_MAX_ATTEMPTS"],
            "lock_minutes": current_app.config["LOGIN_LOCK_MINUTES"]}


def _begin_session(user: User) -> None:
    """A fresh server-side session for ``user`` in a fresh cookie (no fixation: nothing of the old one is kept)."""
    session.clear()
    session.permanent = True
    session[sessions.COOKIE_KEY] = sessions.start(user)
    login_user(user)


def _finish_login(user, next_url: str | None):
    _begin_session(user)
    db.session.commit()
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(next_url or url_for("entries.home"))


def _pending_login():
    """The user waiting for the second login step, or None when there is none or it expired."""
    data = session.get(PENDING_2FA)
    if not isinstance(data, dict):
        return None, None
    user = db.session.get(User, data.get("user_id") or 0)
    if (two_factor.pending_expired(float(data.get("at") or 0)) or user is None
            or user.session_version != data.get("version") or not user.is_active_account
            or not two_factor.is_enabled(user)):
        session.pop(PENDING_2FA, None)
        return None, None
    return user, data


@auth_bp.route("/masuk/kode", methods=["GET", "POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("entries.home"))
    user, data = _pending_login()
    if user is None:
        flash("Waktu memasukkan kode habis atau sesi masuk tidak ditemukan. Masukkan kata sandi lagi.", "info")
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        try:
            ok = two_factor.code_step(user, data["login"], request.form.get("code", ""), request.remote_addr or "-",
                                      **_lockout())
        except LoginLocked as exc:
            session.pop(PENDING_2FA, None)
            return render_template("auth/login.html", error=str(exc), login_value=""), 429
        if ok:
            return _finish_login(user, data.get("next"))
        error = two_factor.CODE_WRONG
    return render_template("auth/login_code.html", error=error), 200 if error is None else 401


@auth_bp.route("/keluar", methods=["POST"])
def logout():
    sessions.end(session.get(sessions.COOKIE_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/akun/kata-sandi", methods=["GET", "POST"])
@login_required
def change_password():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.change_password(current_user, request.form.get("current_password", ""),
                                     request.form.get("new_password", ""), request.form.get("confirm_password", ""))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            _begin_session(current_user._get_current_object())  # every other session of the account has ended
            db.session.commit()
            flash("Kata sandi berhasil diganti.", "success")
            return redirect(url_for("entries.home"))
    return render_template("auth/change_password.html", errors=errors), 422 if errors else 200


def _two_factor_page(errors: dict | None = None, status: int = 200):
    user = current_user
    pending = bool(user.totp_secret) and not two_factor.is_enabled(user)
    context = {"errors": errors or {}, "enabled": two_factor.is_enabled(user), "pending": pending,
               "required": two_factor.role_requires_2fa(user), "codes_left": two_factor.recovery_codes_left(user)}
    if pending:
        uri = two_factor.provisioning_uri(user)
        context.update(secret=user.totp_secret, qr=two_factor.qr_data_uri(uri), uri=uri)
    html = render_template("auth/two_factor.html", **context)
    return shown_once(html, status) if pending else (html, status)


@auth_bp.route("/akun/2fa")
@login_required
def two_factor_page():
    return _two_factor_page()


@auth_bp.route("/akun/2fa/mulai", methods=["POST"])
@login_required
@page_action(back=lambda: url_for("auth.two_factor_page"))
def two_factor_start():
    two_factor.start_enrolment(current_user)
    return redirect(url_for("auth.two_factor_page"))


@auth_bp.route("/akun/2fa/konfirmasi", methods=["POST"])
@login_required
@page_action(back=lambda: url_for("auth.two_factor_page"))
def two_factor_confirm():
    try:
        codes = two_factor.confirm_enrolment(current_user, request.form.get("code", ""))
    except ValidationFailed as exc:
        return _two_factor_page(exc.fields, 422)
    _begin_session(current_user._get_current_object())  # every other session of the account has ended
    flash("Verifikasi dua langkah aktif. Mulai sekarang, masuk memerlukan kode dari ponsel Anda.", "success")
    return shown_once(render_template("auth/recovery_codes.html", codes=codes))


@auth_bp.route("/akun/2fa/nonaktifkan", methods=["POST"])
@login_required
@page_action(back=lambda: url_for("auth.two_factor_page"))
def two_factor_disable():
    try:
        two_factor.disable(current_user, request.form.get("password", ""), request.form.get("code", ""))
    except ValidationFailed as exc:
        return _two_factor_page({f"disable_{k}": v for k, v in exc.fields.items()}, 422)
    flash("Verifikasi dua langkah dinonaktifkan.", "success")
    return redirect(url_for("auth.two_factor_page"))


@auth_bp.route("/akun/2fa/kode-pemulihan", methods=["POST"])
@login_required
@page_action(back=lambda: url_for("auth.two_factor_page"))
def two_factor_recovery_codes():
    try:
        codes = two_factor.regenerate_recovery_codes(current_user, request.form.get("password", ""),
                                                     request.form.get("code", ""))
    except ValidationFailed as exc:
        return _two_factor_page({f"recovery_{k}": v for k, v in exc.fields.items()}, 422)
    flash("Kode pemulihan baru dibuat; kode lama tidak berlaku lagi.", "success")
    return shown_once(render_template("auth/recovery_codes.html", codes=codes))


@auth_bp.route("/")
def root():
    return redirect(url_for("entries.home") if current_user.is_authenticated else url_for("auth.login"))

