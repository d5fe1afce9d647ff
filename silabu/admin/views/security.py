"""Admin page for security settings: which roles must use two-factor login."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from silabu.accounts import two_factor
from silabu.accounts.access import role_required
from silabu.accounts.models import Role
from silabu.admin import bp
from silabu.core.errors import ValidationFailed
from silabu.web import page_action


@bp.route("/keamanan", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@page_action(back=lambda: url_for("admin.security"))
def security():
    if request.method == "POST":
        try:
            changed = two_factor.set_role_policies(set(request.form.getlist("requires_2fa")), actor=current_user)
        except ValidationFailed as exc:
            return render_template("admin/security.html", rows=two_factor.enrolment_by_role(), errors=exc.fields), 422
        flash("Pengaturan keamanan disimpan." if changed else "Tidak ada perubahan.", "success" if changed else "info")
        return redirect(url_for("admin.security"))
    return render_template("admin/security.html", rows=two_factor.enrolment_by_role(), errors={})
