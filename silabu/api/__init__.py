"""/api/v1: the JSON API on top of the same services the pages use."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from silabu.core.errors import ValidationFailed
from silabu.extensions import csrf

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)

# Each API module adds its part of the OpenAPI document here (path -> operations).
SPEC_PATHS: dict[str, dict[str, Any]] = {}
SPEC_SCHEMAS: dict[str, Any] = {}


@api_bp.before_request
def _csrf_for_sessions():
    """Bearer-token calls need no CSRF token; browser-session calls (the pages' scripts) do.
    Anonymous calls get their 401 from login_required, not a CSRF error."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.headers.get(
            "Authorization", "").lower().startswith("bearer "):
        if request.endpoint in ("api.issue_token",) or not current_user.is_authenticated:
            return
        csrf.protect()
    return


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        if request.mimetype == "application/json" and request.get_data():
            raise ValidationFailed({"body": "Badan permintaan bukan JSON yang sah."})
        data = request.form.to_dict() if request.form else {}
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "Badan permintaan harus objek JSON."})
    return data


def ok(data: Any, status: int = 200):
    return jsonify(data), status


def spec(path: str, method: str, summary: str, *, tags: list[str] | None = None, body: dict | None = None,
         responses: dict[str, str] | None = None, params: list[dict] | None = None, multipart: bool = False) -> None:
    op: dict[str, Any] = {"summary": summary, "tags": tags or [],
                          "responses": {code: {"description": text} for code, text in
                                        (responses or {"200": "OK"}).items()}}
    for code in ("401", "404"):
        op["responses"].setdefault(code, {"description": "Lihat skema Error", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    if params:
        op["parameters"] = params
    if body is not None:
        ctype = "multipart/form-data" if multipart else "application/json"
        op["requestBody"] = {"required": True, "content": {ctype: {"schema": body}}}
    SPEC_PATHS.setdefault(path, {})[method.lower()] = op


def path_param(name: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def query_param(name: str, kind: str = "string", description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


from silabu.api import auth as _auth  # noqa: E402,F401
from silabu.api import entries as _entries  # noqa: E402,F401
from silabu.api import lkj as _lkj  # noqa: E402,F401
from silabu.api import openapi as _openapi  # noqa: E402,F401
from silabu.api import packets as _packets  # noqa: E402,F401
from silabu.api import verification as _verification  # noqa: E402,F401
