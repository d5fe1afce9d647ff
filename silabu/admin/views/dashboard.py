"""The admin's home page."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from silabu.accounts.access import role_required
from silabu.accounts.models import Role
from silabu.accounts.org import today_for
from silabu.admin import bp
from silabu.admin.dashboard import dashboard


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/index.html", d=dashboard(today_for(current_user).year))
