"""Admin page to import the year's Perjanjian Kinerja (the same import, and the same refusals, as the LKj page)."""
from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from silabu.accounts.access import role_required
from silabu.accounts.models import Role
from silabu.accounts.org import today_for
from silabu.admin import bp
from silabu.admin.helpers import uploaded_file
from silabu.core.errors import Conflict, ValidationFailed
from silabu.core.parsing import parse_year
from silabu.extensions import db
from silabu.lkj import services as lkj


@bp.route("/indikator", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def indicators():
    """Rows that fail are reported (422) while the rows that pass go in: this page commits what it imported."""
    this_year = today_for(current_user).year
    if request.method == "GET":
        return render_template("admin/indicators.html", errors={}, report=None, year=this_year)
    errors: dict[str, str] = {}
    year = parse_year(request.form.get("year"), this_year, errors=errors)
    filename, content = uploaded_file()
    try:
        if errors:
            raise ValidationFailed(errors)
        report = lkj.import_indicators_file(filename, content, year, current_user)
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        return render_template("admin/indicators.html", errors=exc.fields or {"file": exc.message}, report=None,
                               year=request.form.get("year", this_year)), exc.status
    db.session.commit()
    return render_template("admin/indicators.html", errors={}, report=report, year=year), 422 if report.errors else 200
