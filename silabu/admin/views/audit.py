"""The audit log for the admin: who changed what and when (the content of people's work stays hidden)."""
from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from silabu.accounts.access import role_required
from silabu.accounts.models import Role, User
from silabu.accounts.org import satker_timezone
from silabu.admin import bp
from silabu.admin.helpers import PER_PAGE, page_number
from silabu.core import audit
from silabu.extensions import db


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log():
    f, errors = audit.parse_audit_filter(request.args)
    if errors:
        f = audit.AuditFilter(action=f.action)
    page = page_number()
    rows, total = audit.audit_events(f, satker_timezone(current_user.unit), page=page, per_page=PER_PAGE)
    people = list(db.session.scalars(select(User).order_by(User.name)))
    return render_template("admin/audit.html", rows=[audit.event_view(ev) for ev in rows], total=total, page=page,
                           per_page=PER_PAGE, args=request.args, errors=errors, people=people,
                           actions=audit.audit_action_names()), 422 if errors else 200
