"""Serving evidence bytes to those allowed to see the entry."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, send_file
from flask_login import current_user, login_required

from silabu.core.errors import NotFound
from silabu.entries.evidence import get_evidence_for
from silabu.entries.models import EvidenceKind
from silabu.evidence.processing import extension_for, sanitize_filename
from silabu.evidence.storage import get_storage

bp = Blueprint("evidence", __name__)

SAFE_DOCUMENT_TYPE = "application/octet-stream"


def _serve(key: str, *, download_name: str, content_type: str, as_attachment: bool) -> Response:
    storage = get_storage()
    if not storage.exists(key):
        raise NotFound("Berkas bukti tidak ditemukan di penyimpanan.")
    if current_app.config.get("S3_SIGNED_URLS") and hasattr(storage, "presigned_url"):
        return _redirect_to_signed_url(storage, key, download_name=download_name, content_type=content_type,
                                       as_attachment=as_attachment)
    accel = current_app.config.get("SILABU_X_ACCEL_PREFIX")
    if accel and storage.local_path(key) is not None:  # nginx reads the upload folder, not a bucket
        # nginx serves the bytes after SILABU checked access (see README, "Deployment").
        resp = Response(status=200, mimetype=content_type)
        resp.headers["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{key}"
    else:
        path = storage.local_path(key)
        resp = send_file(path, mimetype=content_type, as_attachment=as_attachment, download_name=download_name,
                         conditional=True, max_age=0) if path else send_file(
            storage.open(key), mimetype=content_type, as_attachment=as_attachment, download_name=download_name)
    if as_attachment and "Content-Disposition" not in resp.headers:
        resp.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def content_disposition(download_name: str, *, as_attachment: bool) -> str:
    """``attachment``/``inline`` with the name, ASCII in ``filename`` and in full as RFC 5987 ``filename*``."""
    from urllib.parse import quote

    kind = "attachment" if as_attachment else "inline"
    ascii_name = download_name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "berkas"
    if ascii_name == download_name:
        return f'{kind}; filename="{download_name}"'
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name, safe='')}"


def _redirect_to_signed_url(storage, key: str, *, download_name: str, content_type: str,
                            as_attachment: bool) -> Response:
    """302 to a URL of the one object, valid ``S3_URL_TTL`` seconds; only reached after the caller's access check."""
    ttl = int(current_app.config.get("S3_URL_TTL") or 300)
    url = storage.presigned_url(key, expires_in=ttl, content_type=content_type,
                                content_disposition=content_disposition(download_name, as_attachment=as_attachment),
                                public_endpoint_url=current_app.config.get("S3_PUBLIC_URL") or None)
    resp = Response(status=302)
    resp.headers["Location"] = url
    # The browser may reuse the redirect while the URL is still valid, never after.
    resp.headers["Cache-Control"] = f"private, max-age={max(ttl // 2, 0)}"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.route("/api/v1/evidence/<int:evidence_id>/file")
@login_required
def download(evidence_id: int):
    ev = get_evidence_for(current_user, evidence_id)
    if ev.kind == EvidenceKind.PHOTO:
        name = served_name(ev.original_name, "image/jpeg")
        return _serve(ev.storage_key, download_name=name, content_type="image/jpeg", as_attachment=False)
    # Documents are always downloads, with a fixed type: never rendered in the browser.
    return _serve(ev.storage_key, download_name=served_name(ev.original_name, ev.content_type),
                  content_type=ev.content_type if ev.content_type != "text/html" else SAFE_DOCUMENT_TYPE,
                  as_attachment=True)


@bp.route("/api/v1/evidence/<int:evidence_id>/thumbnail")
@login_required
def thumbnail(evidence_id: int):
    ev = get_evidence_for(current_user, evidence_id)
    if not ev.thumbnail_key:
        raise NotFound("Bukti ini tidak memiliki gambar mini.")
    return _serve(ev.thumbnail_key, download_name="thumb.jpg", content_type="image/jpeg", as_attachment=False)


def served_name(original: str, content_type: str) -> str:
    """The download's name: the uploader's name, cleaned, ending with the extension of what the bytes really are
    (a PDF uploaded as rapat.html downloads as rapat.pdf; no right-to-left trick survives)."""
    extension = extension_for(content_type)
    name = sanitize_filename(original, extension).replace('"', "")
    stem, dot, ext = name.rpartition(".")
    if extension and ("." + ext.lower() if dot else "") != extension:
        name = (stem if dot and stem else name) + extension
    return name
