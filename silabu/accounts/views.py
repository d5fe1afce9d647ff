"""Login, logout, password change (auth) and the admin pages (admin)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from silabu.accounts import services
from silabu.core.errors import ValidationFailed
from silabu.extensions import db

auth_bp = Blueprint("auth", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@auth_bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("entries.home"))
    error = None
    login_value = ""
    if request.method == "POST":
        login_value = request.form.get("login", "").strip()
        try:
            user = services.authenticate(login_value, request.form.get("password", ""), request.remote_addr or "-",
                                         max_attempts=current_app.config["LOGIN_MAX_ATTEMPTS"],
                                         lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        except services.LoginLocked as exc:
            return render_template("auth/login.html", error=str(exc), login_value=login_value), 429
        if user is None:
            error = "NIP/nama pengguna atau kata sandi salah, atau akun tidak aktif."
        else:
            session.clear()
            session.permanent = True
            login_user(user)
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("entries.home"))
    return render_template("auth/login.html", error=error, login_value=login_value), 200 if error is None else 401


@auth_bp.route("/keluar", methods=["POST"])
def logout():
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
            db.session.commit()
            login_user(current_user)  # the session id carries the new session_version
            flash("Kata sandi berhasil diganti.", "success")
            return redirect(url_for("entries.home"))
    return render_template("auth/change_password.html", errors=errors), 422 if errors else 200


@auth_bp.route("/")
def root():
    return redirect(url_for("entries.home") if current_user.is_authenticated else url_for("auth.login"))


from silabu.accounts import admin_views  # noqa: E402,F401  (registers the admin routes)
