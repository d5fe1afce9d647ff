"""Web wiring shared by every page: filters, navigation, security headers, error pages, compression."""
from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from silabu.core import formatting
from silabu.core.errors import Conflict, ServiceError, ValidationFailed
from silabu.core.static_assets import COMPRESSIBLE, GZIP_MIN_BYTES, accepts_gzip, init_static
from silabu.extensions import db

log = logging.getLogger("silabu")

CSP = ("default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; manifest-src 'self'; "
       "worker-src 'self'; connect-src 'self'")



def content_security_policy(config) -> str:
    """The pages' CSP; with evidence behind signed URLs, photos load from the object store's origin as well."""
    if not (config.get("S3_SIGNED_URLS") and config.get("STORAGE_URL")):
        return CSP
    from urllib.parse import urlsplit

    endpoint = config.get("S3_PUBLIC_URL") or config.get("S3_ENDPOINT_URL") or ""
    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "https://*.amazonaws.com"
    return CSP.replace("img-src 'self' data: blob:;", f"img-src 'self' data: blob: {origin};", 1)


ERROR_TEXT = {
    400: ("Permintaan tidak valid", "Periksa kembali isian Anda lalu coba lagi."),
    401: ("Belum masuk", "Silakan masuk terlebih dahulu."),
    403: ("Tidak berwenang", "Anda tidak memiliki hak untuk membuka halaman ini."),
    404: ("Tidak ditemukan", "Halaman atau data yang Anda cari tidak ada, atau tidak dapat Anda akses."),
    405: ("Metode tidak diizinkan", "Tindakan ini tidak dapat dilakukan dengan cara tersebut."),
    409: ("Konflik data", "Data telah berubah. Muat ulang halaman lalu coba lagi."),
    413: ("Berkas terlalu besar", "Ukuran berkas melebihi batas unggah. Perkecil berkas lalu coba lagi."),
    415: ("Jenis berkas tidak didukung", "Unggah foto (JPEG, PNG, WebP, HEIC) atau dokumen (PDF, DOCX, XLSX, ODT, ODS)."),
    422: ("Data tidak valid", "Periksa kembali isian Anda."),
    429: ("Terlalu banyak permintaan", "Tunggu sebentar lalu coba lagi."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan pada server. Data yang sudah tersimpan tidak hilang."),
    503: ("Layanan sedang tidak tersedia", "Basis data sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi; "
                                           "tidak ada data yang tersimpan setengah."),
    507: ("Penyimpanan penuh", "Ruang penyimpanan server penuh. Hubungi admin."),
}
# What an account owing a step may still open: that step's pages, logout; over the API only who it is, and
# ending its token.
TWO_FACTOR_ENROLMENT_ENDPOINTS = {"auth.two_factor_page", "auth.two_factor_start", "auth.two_factor_confirm",
                                  "auth.change_password", "auth.logout", "static"}
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}
API_OPEN_WHILE_OWED = {"api.me", "api.revoke_current_token", "api.openapi"}
OWED_STEPS = {
    "password": ("password_change_required", "Silakan ganti kata sandi awal Anda sebelum melanjutkan.",
                 "auth.change_password", PASSWORD_CHANGE_ENDPOINTS),
    "two_factor": ("two_factor_required", "Peran Anda mewajibkan verifikasi dua langkah. Aktifkan dulu sebelum "
                   "melanjutkan.", "auth.two_factor_page", TWO_FACTOR_ENROLMENT_ENDPOINTS),
}


def owed_step(user) -> str | None:
    """The step an account must take before anything else: a password change first, then two-factor enrolment."""
    from silabu.accounts.two_factor import needs_enrolment

    if user.must_change_password:
        return "password"
    if needs_enrolment(user):
        return "two_factor"
    return None

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_error",
               429: "rate_limited", 500: "server_error", 503: "unavailable", 507: "storage_full"}


def safe_next(target: str | None) -> str | None:
    """A redirect target from a form or query string, only when it stays on this site."""
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # CR/LF and other control characters would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def page_action(back: Callable[..., str] | None = None) -> Callable:
    """A page's state-changing view, with its one transaction: committed once the view has answered (an answer of
    400 or more is rolled back instead). With ``back``, a Conflict or a ValidationFailed the view does not handle
    itself is rolled back, flashed, and the browser is sent to ``back(**view_args)``, so views hold no
    try/rollback/flash blocks; without it the refusal is answered as an error page (409, 422) of its own."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                response = make_response(view(*args, **kwargs))
            except (Conflict, ValidationFailed) as exc:
                if back is None:
                    raise
                db.session.rollback()
                flash(service_message(exc), "error")
                return redirect(back(*args, **kwargs))
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
            return response

        return wrapped

    return decorator


def service_message(exc: ServiceError) -> str:
    """What a refusal says on a page: the field messages of a ValidationFailed, else its message."""
    if isinstance(exc, ValidationFailed) and exc.fields:
        return " ".join(exc.fields.values())
    return exc.message


def download(data: bytes, mimetype: str, name: str) -> Response:
    """A produced file (softfile, packet, document) as an attachment that no cache keeps."""
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def shown_once(html: str, status: int = 200) -> Response:
    """A page that shows a password, a secret or recovery codes: never cached, never stored."""
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, code: str | None = None, fields: dict | None = None,
                   details: dict | None = None):
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    if wants_json():
        body: dict = {"code": code or ERROR_CODES.get(status, "error"), "message": message or text}
        if fields:
            body["fields"] = fields
        body.update({k: v for k, v in (details or {}).items() if k not in body})
        return jsonify(error=body), status
    return render_template("errors.html", status=status, title=title, message=message or text), status


def init_web(app: Flask) -> None:
    init_static(app)
    for name in ("tanggal", "tanggal_hari", "angka", "persen", "bulan", "ukuran"):
        app.add_template_filter(getattr(formatting, name), name)

    @app.template_filter("waktu")
    def _waktu(value):
        from silabu.accounts.org import satker_timezone

        return formatting.waktu(value, satker_timezone(current_user.unit if current_user.is_authenticated else None))

    @app.context_processor
    def _context():
        from silabu.navigation import nav_items, unread_count

        if not current_user.is_authenticated:
            return {"nav_items": [], "unread_notifications": 0}
        from silabu.accounts.tenancy import reading_other_satker

        return {"nav_items": nav_items(current_user), "unread_notifications": unread_count(current_user),
                "reading_satker": reading_other_satker(current_user)}

    @app.before_request
    def _account_gate():
        """An account that owes a password change or two-factor enrolment does nothing else until it is done:
        the pages send it to the step it owes, the API (session or token alike) answers 403."""
        if request.endpoint == "static":
            return None  # public files: reading the session here would add `Vary: Cookie` and defeat the cache
        if not current_user.is_authenticated:
            return None
        owed = owed_step(current_user)
        if owed is None:
            return None
        code, message, endpoint, open_endpoints = OWED_STEPS[owed]
        if request.path.startswith("/api/"):
            if request.endpoint in API_OPEN_WHILE_OWED:
                return None
            return error_response(403, message, code)
        if request.endpoint in open_endpoints:
            return None
        flash(message, "info")
        return redirect(url_for(endpoint))

    @app.before_request
    def _satker_scope():
        """Every query of a signed-in request sees one satker's rows (accounts.tenancy): the user's own, or the child
        a province user names with ``?satker=CODE``."""
        if request.endpoint == "static" or not current_user.is_authenticated:
            return
        from silabu.accounts.tenancy import enter_request_scope

        enter_request_scope(current_user, request.args.get("satker"),
                            writing=request.method not in ("GET", "HEAD", "OPTIONS"))
        return

    @app.teardown_request
    def _satker_scope_ends(exc: BaseException | None = None) -> None:
        from silabu.accounts.tenancy import leave_request_scope

        leave_request_scope()

    @app.url_defaults
    def _keep_child_satker(endpoint: str, values: dict) -> None:
        """While a province user reads a child's pages, its links stay in that child (accounts.tenancy)."""
        viewing = g.get("silabu_satker")
        if (viewing is None or endpoint == "static" or endpoint.startswith("auth.")
                or endpoint in ("pleno.province", "entries.home")  # the way back to one's own satker
                or not current_user.is_authenticated or viewing.id == current_user.unit.satker_id):
            return
        values.setdefault("satker", viewing.code)

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", content_security_policy(app.config))
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            h.setdefault("Cache-Control", "private, no-cache")
        if getattr(request, "body_unread", False):
            # Answered before the upload was read (401, 404, 413): the rest of the body is still on the wire, so
            # the connection cannot carry another request; say so instead of letting the server drop it silently.
            h["Connection"] = "close"
        return _maybe_gzip(response)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.fields, exc.details)

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError):
        # Services turn a lost race into a version conflict with the current state; this is the net under them.
        db.session.rollback()
        return error_response(409, "Data ini baru saja diubah oleh pengguna lain. Muat ulang lalu coba lagi.",
                              "version_conflict")

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, "Sesi formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi.",
                              "csrf_failed")

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError):
        log.error("database unavailable: %s", exc.__class__.__name__)
        try:
            db.session.rollback()
        except Exception:
            pass
        # Render as anonymous: loading the logged-in user (menu, bell) would need the database again.
        g._login_user = app.login_manager.anonymous_user()
        return error_response(503)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = None
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            if (request.content_length or 0) <= app.config["MAX_CONTENT_LENGTH"]:
                message = (f"Terlalu banyak berkas atau isian dalam satu kiriman (paling banyak "
                           f"{app.config.get('MAX_FORM_PARTS', 100)}). Kirim berkasnya dalam beberapa kali.")
            else:
                message = f"Ukuran unggahan melebihi batas {limit} MB. Perkecil berkas lalu coba lagi."
        response = error_response(status, message)
        if status == 405 and getattr(exc, "valid_methods", None):
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # RFC 9110: a 405 names what works
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        session.pop("_flashes", None)  # a success message flashed before the failed commit must not show
        try:
            db.session.rollback()
        except Exception:
            pass
        return error_response(500)


def _maybe_gzip(response):
    """Compress text responses for slow phone networks when no proxy in front does it (static files come
    compressed already, see silabu.core.static_assets)."""
    if (response.direct_passthrough or response.status_code < 200 or response.status_code >= 300
            or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers):
        return response
    data = response.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return response
    response.vary.add("Accept-Encoding")  # a cache must not give this answer to a client that takes no gzip
    if not accepts_gzip():
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    return response
