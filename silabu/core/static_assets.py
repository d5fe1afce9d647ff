"""Static files for slow phone networks: content-hashed URLs, a year's cache for a hashed URL, gzip on the fly.

Every ``url_for('static', filename=...)`` carries ``?v=<sha256[:12]>`` of the file as served. A request with the
file's current hash is answered ``Cache-Control: public, max-age=31536000, immutable`` (the URL changes whenever
the file does, so the browser never needs to ask again); without it, or with an old hash, the file is served with
``no-cache`` and an ETag, so the browser revalidates. CSS is served with its ``url(...)`` references to other static
files hashed the same way (the icons), and its own hash covers them. Text files are gzipped once per version and
kept in memory; the hash is recomputed only when a file's size or modification time changes.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import posixpath
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Never cached for a year even when asked with its hash: the service worker's source must revalidate.
NEVER_IMMUTABLE = frozenset({"sw.js"})
COMPRESSIBLE = frozenset({"text/html", "text/css", "application/javascript", "text/javascript", "application/json",
                          "image/svg+xml", "application/manifest+json"})
GZIP_MIN_BYTES = 1024
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')?#\s]+)\1\s*\)""")


@dataclass(frozen=True)
class Asset:
    data: bytes
    gzipped: bytes | None
    digest: str
    mimetype: str
    mtime: float
    stamp: tuple  # (mtime_ns, size) of the file and of each file a stylesheet refers to


class StaticAssets:
    """The app's static folder, read through a small cache keyed by each file's size and modification time."""

    def __init__(self, app: Flask):
        self.app = app
        self._cache: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def _path(self, filename: str) -> Path | None:
        folder = self.app.static_folder
        joined = safe_join(folder, filename) if folder else None
        return Path(joined) if joined else None

    def get(self, filename: str, _depth: int = 0) -> Asset | None:
        path = self._path(filename)
        if path is None:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        key = str(path)
        own = (st.st_mtime_ns, st.st_size)
        cached = self._cache.get(key)
        if cached is not None and cached.stamp[0] == own and self._refs_unchanged(cached, filename, _depth):
            return cached
        asset = self._load(path, filename, own, st.st_mtime, _depth)
        with self._lock:
            self._cache[key] = asset
        return asset

    def version(self, filename: str) -> str | None:
        asset = self.get(filename)
        return asset.digest if asset else None

    def _refs_unchanged(self, asset: Asset, filename: str, depth: int) -> bool:
        for ref, digest in asset.stamp[1:]:
            current = self.get(ref, depth + 1) if depth < 2 else None
            if current is None or current.digest != digest:
                return False
        return True

    def _load(self, path: Path, filename: str, own: tuple, mtime: float, depth: int) -> Asset:
        data = path.read_bytes()
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        refs: list[tuple[str, str]] = []
        if mimetype == "text/css" and depth < 2:
            data, refs = self._hash_css_urls(filename, data, depth)
        digest = hashlib.sha256(data).hexdigest()[:12]
        gzipped = None
        if mimetype in COMPRESSIBLE and len(data) >= GZIP_MIN_BYTES:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(data) else None
        return Asset(data, gzipped, digest, mimetype, mtime, (own, *refs))

    def _hash_css_urls(self, filename: str, data: bytes, depth: int) -> tuple[bytes, list[tuple[str, str]]]:
        """``url("../img/home.svg")`` becomes ``url("../img/home.svg?v=<hash>")``; the icons get a year's cache."""
        text = data.decode("utf-8")
        base = posixpath.dirname(filename)
        refs: list[tuple[str, str]] = []

        def repl(match: re.Match) -> str:
            quote, target = match.group(1), match.group(2)
            if ":" in target or target.startswith("/"):
                return match.group(0)  # data: URIs, other origins, absolute paths: left as written
            ref = posixpath.normpath(posixpath.join(base, target))
            asset = None if ref.startswith("..") else self.get(ref, depth + 1)
            if asset is None:
                return match.group(0)
            refs.append((ref, asset.digest))
            return f"url({quote}{target}?v={asset.digest}{quote})"

        return CSS_URL.sub(repl, text).encode("utf-8"), refs


class SessionInterface(SecureCookieSessionInterface):
    """The cookie session, never saved on a static file's answer: no `Set-Cookie` and no `Vary: Cookie` there
    (the session cookie is refreshed on every request, so `Vary: Cookie` would make each cached file miss)."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def init_static(app: Flask) -> StaticAssets:
    """Hash every static URL the app builds and serve static files with the matching cache lifetime."""
    assets = StaticAssets(app)
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionInterface()
    app.extensions["silabu_static"] = assets

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = assets.version(values["filename"])
            if version:
                values["v"] = version

    def static(filename: str) -> Response:
        asset = assets.get(filename)
        if asset is None:
            abort(404)
        packed = asset.gzipped if asset.gzipped is not None and accepts_gzip() else None
        resp = Response(packed if packed is not None else asset.data, mimetype=asset.mimetype)
        if asset.gzipped is not None:
            resp.vary.add("Accept-Encoding")
        if packed is not None:
            resp.headers["Content-Encoding"] = "gzip"
        resp.set_etag(asset.digest + ("-gz" if packed is not None else ""))
        resp.last_modified = asset.mtime
        immutable = request.args.get("v") == asset.digest and posixpath.basename(filename) not in NEVER_IMMUTABLE
        resp.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
        return resp.make_conditional(request)

    app.view_functions["static"] = static
    return assets
