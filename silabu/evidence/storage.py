"""Where evidence bytes live: a small store/open/delete interface, its filesystem backend here and its object-storage
backend in ``s3.py``.

Keys are content-addressed (``ab/cd/<sha256><suffix>``), so storing the same bytes twice is a no-op and
two rows may share one blob. Writes go to ``<root>/.tmp/*.part`` first and are renamed into place, so a
reader or the orphan clean-up never sees half a file.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from silabu.core.errors import StorageFull

if TYPE_CHECKING:
    from flask import Flask, Response

STORAGE_FULL_MESSAGE = "Ruang penyimpanan server penuh; berkas tidak tersimpan. Hubungi admin."
TEMP_DIR = ".tmp"
TEMP_SUFFIX = ".part"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Every path segment of a key: starts with a letter or digit (so never ".tmp" or ".."), no separators.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def key_for(sha256: str, suffix: str = "") -> str:
    """The storage key of bytes with this sha256: ``ab/cd/<sha256><suffix>``."""
    sha256 = sha256.lower()
    if not _SHA256.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    if suffix and not re.fullmatch(r"[A-Za-z0-9._-]{1,40}", suffix):
        raise ValueError(f"unsafe key suffix: {suffix!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def validate_key(key: str) -> str:
    """Refuse keys that could point outside the storage root or at its temp files."""
    if not isinstance(key, str) or not key or len(key) > 400:
        raise ValueError(f"invalid storage key: {key!r}")
    parts = key.split("/")
    if any(not _SEGMENT.match(p) for p in parts) or parts[-1].endswith(TEMP_SUFFIX):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def is_storage_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


@runtime_checkable
class Storage(Protocol):
    """What the rest of SILABU may ask of a blob store."""

    def store(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def modified_at(self, key: str) -> float: ...

    def local_path(self, key: str) -> Path | None: ...

    def iter_keys(self) -> Iterator[str]: ...

    def clean_temp(self, older_than_seconds: float) -> int: ...


class FileSystemStorage:
    """Blobs as files under ``root``; temp files under ``root/.tmp`` (same filesystem, so rename is atomic)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"<FileSystemStorage {self.root}>"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    @property
    def temp_dir(self) -> Path:
        return self.root / TEMP_DIR

    def store(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically; a key that already exists is left as it is."""
        path = self._path(key)
        if path.is_file():
            return
        tmp: Path | None = None
        try:
            self.temp_dir.mkdir(parents=True, exist_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.temp_dir / f"{secrets.token_hex(12)}{TEMP_SUFFIX}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(path.parent)
        except OSError as exc:
            if is_storage_full(exc):
                raise StorageFull(STORAGE_FULL_MESSAGE) from exc
            raise
        finally:
            if tmp is not None:
                _unlink_quietly(tmp)

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        # Empty ab/cd folders stay: removing them would race with a store() into the same folder.
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def modified_at(self, key: str) -> float:
        return self._path(key).stat().st_mtime

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def iter_keys(self) -> Iterator[str]:
        """Every stored key; temp files and anything hidden are skipped."""
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel = Path(dirpath).relative_to(self.root)
            for name in sorted(filenames):
                if name.startswith(".") or name.endswith(TEMP_SUFFIX):
                    continue
                key = (rel / name).as_posix()
                try:
                    yield validate_key(key)
                except ValueError:
                    continue

    def clean_temp(self, older_than_seconds: float) -> int:
        """Remove temp files left by a crashed write; returns how many."""
        if not self.temp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in os.scandir(self.temp_dir):
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable; not every platform lets a directory be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def get_storage(app: Flask | None = None) -> Storage:
    """The storage for ``app`` (default: the current app), one per app: the S3 bucket ``STORAGE_URL`` names, or
    the filesystem under ``UPLOAD_DIR``."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("STORAGE_URL") or ""
    where = url or str(Path(app.config["UPLOAD_DIR"]).resolve())
    cached = app.extensions.get("silabu.storage")
    if cached is not None and cached[0] == where:
        return cached[1]
    storage: Storage
    if url:
        from silabu.evidence.s3 import S3Location, S3Storage

        storage = S3Storage(S3Location.parse(url), endpoint_url=app.config.get("S3_ENDPOINT_URL"),
                            access_key=app.config.get("S3_ACCESS_KEY"), secret_key=app.config.get("S3_SECRET_KEY"),
                            region=app.config.get("S3_REGION") or "us-east-1")
    else:
        storage = FileSystemStorage(where)
    app.extensions["silabu.storage"] = (where, storage)
    return storage


def send_packet_file(f) -> Response:
    """A stored packet file (``PacketFile``) as a download after the caller's access check: private, revalidated,
    sandboxed, its sha256 as the ETag."""
    from flask import send_file

    from silabu.core.errors import NotFound

    storage = get_storage()
    if not storage.exists(f.storage_key):
        raise NotFound("Berkas paket tidak ditemukan di penyimpanan.")
    path = storage.local_path(f.storage_key)
    resp = send_file(path if path else storage.open(f.storage_key), mimetype=f.content_type, as_attachment=True,
                     download_name=f.name, conditional=True, max_age=0, etag=f.sha256)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
