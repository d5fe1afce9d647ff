"""Links to SILABU's own pages: from a request, and from jobs and commands that run outside one."""
from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values: Any) -> str:
    """A site-relative URL (``/verifikasi/KUL/2026-11``), also outside a request (jobs, the command line)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def absolute_url(path: str) -> str:
    """The configured public address (``SILABU_BASE_URL``) followed by ``path``: for e-mail, QR codes, print."""
    return public_base_url() + (path if path.startswith("/") else "/" + path)


def public_base_url() -> str:
    return str(current_app.config.get("BASE_URL") or "").rstrip("/")


def base_url_problem() -> str | None:
    """Why printed links would not work for a reader outside this machine, or None when the address is public."""
    from urllib.parse import urlsplit

    base = public_base_url()
    if not base:
        return "Alamat publik SILABU (SILABU_BASE_URL) belum diatur; tautan dan kode QR pada dokumen tidak berfungsi."
    host = (urlsplit(base).hostname or "").lower()
    if host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.endswith(".localhost"):
        return (f"Alamat publik SILABU masih {base}; tautan dan kode QR pada dokumen hanya berfungsi di server ini. "
                "Atur SILABU_BASE_URL ke alamat yang dibuka pembaca, mis. https://silabu.kpu-kudus.go.id.")
    return None
