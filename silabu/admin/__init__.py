"""The admin's face (like ``api``): pages for the organisation's settings — users, units, output codes, the
working calendar, the Perjanjian Kinerja import, security — and the audit log. The rules live in the domains;
these views only read the request, call them and show the answer."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from silabu.admin.views import (  # noqa: E402,F401
    audit,
    calendar,
    codes,
    dashboard,
    indicators,
    security,
    units,
    users,
)
