"""/api/v1: the JSON API on top of the same services the pages use."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.auth import authenticated_by_token
from silabu.core.errors import Conflict, ValidationFailed
from silabu.extensions import csrf, db

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)

# Each API module adds its part of the OpenAPI document here (path -> operations).
SPEC_PATHS: dict[str, dict[str, Any]] = {}
SPEC_SCHEMAS: dict[str, Any] = {}


@api_bp.before_request
def _csrf_for_sessions():
    """Bearer-token calls need no CSRF token; browser-session calls (the pages' scripts) do.
    Anonymous calls get their 401 from login_required, not a CSRF error."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or request.endpoint == "api.issue_token":
        return
    # Only a call its bearer token authenticated skips the check: a session cookie sent with any Authorization
    # header (someone else's token, or a made-up one) is still a browser session and needs the CSRF token.
    if not current_user.is_authenticated or authenticated_by_token():
        return
    csrf.protect()


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        if request.mimetype == "application/json" and request.get_data():
            raise ValidationFailed({"body": "Badan permintaan bukan JSON yang sah."})
        data = request.form.to_dict() if request.form else {}
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "Badan permintaan harus objek JSON."})
    return data


def commit_or_current_state(entry: Any, action: Callable[[], Any], serialize: Callable[[Any], dict]) -> Any:
    """Run one change of an entry and commit it; a 409 (a lost race, a closed month) carries the entry as it is
    now under ``"entry"``, so the client can show it without another request."""
    try:
        result = action()
        db.session.commit()
    except Conflict as exc:
        db.session.rollback()
        db.session.refresh(entry)
        exc.details = {**exc.details, "entry": serialize(entry)}
        raise
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(entry)
        raise Conflict("Entri ini baru saja diubah oleh pengguna lain. Muat ulang lalu periksa kembali.",
                       code="version_conflict", details={"entry": serialize(entry)}) from None
    return result


def ok(data: Any, status: int = 200):
    return jsonify(data), status


ERROR_DESCRIPTIONS = {
    "400": "Permintaan tidak sah (mis. token CSRF sesi peramban)",
    "401": "Belum masuk, atau token tidak berlaku",
    "403": "Tidak berwenang, atau akun wajib mengganti kata sandi / mengaktifkan verifikasi dua langkah dahulu",
    "404": "Tidak ada, atau tidak boleh dilihat pemanggil",
    "409": "Bertabrakan dengan keadaan sekarang (versi, status, bulan ditutup)",
    "413": "Kiriman terlalu besar atau terlalu banyak berkas",
    "422": "Isian tidak valid (termasuk parameter kueri dan karakter tidak sah)",
    "429": "Terlalu banyak percobaan masuk",
}


def _error_statuses(method: str, has_body: bool, multipart: bool) -> list[str]:
    """What any operation may answer besides its own outcomes: every call can be unauthenticated, owe a step
    (403), name something absent (404) or carry bad text (422); a write can meet a changed state (409) and a
    body can be too large (413)."""
    codes = ["401", "403", "404", "422"]
    if method.lower() in ("post", "put", "patch", "delete"):
        codes[:0] = ["400"]
        codes.append("409")
    if has_body or multipart or method.lower() == "post":
        codes.append("413")
    return codes


def spec(path: str, method: str, summary: str, *, tags: list[str] | None = None, body: dict | None = None,
         responses: dict[str, str] | None = None, params: list[dict] | None = None, multipart: bool = False) -> None:
    op: dict[str, Any] = {"summary": summary, "tags": tags or [],
                          "responses": {code: {"description": text} for code, text in
                                        (responses or {"200": "OK"}).items()}}
    for code in _error_statuses(method, body is not None, multipart):
        described = op["responses"].get(code, {}).get("description") or ERROR_DESCRIPTIONS[code]
        op["responses"][code] = {"description": described, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if params:
        op["parameters"] = params
    if body is not None:
        ctype = "multipart/form-data" if multipart else "application/json"
        op["requestBody"] = {"required": True, "content": {ctype: {"schema": body}}}
    SPEC_PATHS.setdefault(path, {})[method.lower()] = op


def path_param(name: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def query_param(name: str, kind: str = "string", description: str = "", **schema: Any) -> dict:
    """An optional query parameter; ``schema`` adds constraints (minimum, enum, pattern) the endpoint enforces."""
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind, **schema},
            "description": description}


from silabu.api import auth as _auth  # noqa: E402,F401
from silabu.api import entries as _entries  # noqa: E402,F401
from silabu.api import lkj as _lkj  # noqa: E402,F401
from silabu.api import openapi as _openapi  # noqa: E402,F401
from silabu.api import packets as _packets  # noqa: E402,F401
from silabu.api import tasks as _tasks  # noqa: E402,F401
from silabu.api import verification as _verification  # noqa: E402,F401
