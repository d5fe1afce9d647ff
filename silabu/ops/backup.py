"""Backup and restore: the database and the upload tree, with a manifest of sha256 sums.

A backup is one folder ``<BACKUP_DIR>/silabu-YYYYmmdd-HHMMSS/`` holding

- ``database.sqlite3`` (SQLite online backup API: a consistent copy while the app keeps running) or
  ``database.pgdump`` (``pg_dump --format=custom``, taken in the same snapshot as the row counts);
- ``uploads.tar.gz``: every stored file under ``UPLOAD_DIR`` (temp and hidden files left out);
- ``manifest.json``: sha256 and size of both, sha256 and size of every upload file, row count per table.

The folder is written under a hidden name and renamed when complete, so a backup killed halfway is never
listed, kept by retention or restored. Restore checks every hash before it touches anything.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL

from silabu.core.clock import as_utc, local_now, utcnow
from silabu.evidence.storage import FileSystemStorage, Storage, get_storage
from silabu.extensions import db

log = logging.getLogger("silabu.backup")

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS_FILE = "uploads.tar.gz"
PREFIX = "silabu-"
PARTIAL = ".partial-"
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message is for the person at the console."""


@dataclass
class BackupInfo:
    path: Path
    created_at: datetime | None
    database: str
    size: int
    file_count: int
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class RestoreReport:
    path: Path
    database: str
    tables: dict[str, int]
    file_count: int
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


# backup

def create_backup(dest: str | os.PathLike[str] | None = None) -> BackupInfo:
    """Back up the configured database and the upload tree into a new timestamped folder under ``dest``."""
    root = Path(dest or current_app.config["BACKUP_DIR"]).resolve()
    root.mkdir(parents=True, exist_ok=True)
    name = _folder_name(root)
    work = root / f"{PARTIAL}{name}"
    work.mkdir()
    try:
        manifest: dict[str, Any] = {"format": FORMAT, "app": "silabu", "created_at": utcnow().isoformat()}
        manifest["database"] = _dump_database(work)
        storage = get_storage()
        if isinstance(storage, FileSystemStorage):
            manifest["uploads"] = _archive_uploads(storage.root, work / UPLOADS_FILE)
        else:
            manifest["uploads"] = _archive_objects(storage, work / UPLOADS_FILE)
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        _fsync_tree(work)
        final = root / name
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    info = read_backup(final)
    log.info("backup written: %s (%s bytes)", final, info.size)
    return info


def _folder_name(root: Path) -> str:
    from silabu.accounts.org import satker_timezone

    stamp = local_now(satker_timezone()).strftime("%Y%m%d-%H%M%S")
    name, n = f"{PREFIX}{stamp}", 1
    while (root / name).exists() or (root / f"{PARTIAL}{name}").exists():
        n += 1
        name = f"{PREFIX}{stamp}-{n}"
    return name


def _dump_database(work: Path) -> dict[str, Any]:
    engine = db.engine
    kind = engine.dialect.name
    if kind == "sqlite":
        return _dump_sqlite(engine.url, work / SQLITE_FILE)
    if kind == "postgresql":
        return _dump_postgresql(engine.url, work / PG_FILE)
    raise BackupError(f"Basis data {kind} tidak didukung untuk cadangan.")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupError("Basis data SQLite di memori tidak dapat dicadangkan atau dipulihkan.")
    return Path(url.database).resolve()


def _dump_sqlite(url: URL, out: Path) -> dict[str, Any]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"Berkas basis data {source} tidak ditemukan.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(out)
    try:
        # One step (pages=-1) holds a read snapshot for the whole copy: consistent even with writers in WAL mode.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"Salinan basis data tidak utuh: {check}")
        tables = _count_rows_sqlite(dst)
        row = (dst.execute("SELECT version_num FROM alembic_version").fetchone()
               if dst.execute("SELECT 1 FROM sqlite_master WHERE name='alembic_version'").fetchone() else None)
        revision = row[0] if row else None
    finally:
        dst.close()
        src.close()
    return {"kind": "sqlite", "file": out.name, "sha256": sha256_file(out), "size": out.stat().st_size,
            "tables": tables, "revision": revision}


def _count_rows_sqlite(conn: sqlite3.Connection) -> dict[str, int]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {t.name: conn.execute(f'SELECT COUNT(*) FROM "{t.name}"').fetchone()[0]
            for t in db.metadata.sorted_tables if t.name in present}


def _pg_args(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} tidak ditemukan di PATH; pasang postgresql-client dengan versi yang sama "
                          "dengan server PostgreSQL.")
    return path


def _dump_postgresql(url: URL, out: Path) -> dict[str, Any]:
    tool = _pg_tool("pg_dump")
    uri, env = _pg_args(url)
    # Counts and dump share one exported snapshot, so the manifest describes exactly what was dumped.
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = _count_rows(conn)
            revision = _alembic_revision(conn)
            proc = subprocess.run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                                   f"--file={out}", f"--dbname={uri}"],
                                  env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"pg_dump gagal: {_tail(proc.stderr)}")
    return {"kind": "postgresql", "file": out.name, "sha256": sha256_file(out), "size": out.stat().st_size,
            "tables": tables, "revision": revision}


def _count_rows(conn: Any) -> dict[str, int]:
    from sqlalchemy import inspect

    present = set(inspect(conn).get_table_names())
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables if t.name in present}


def _alembic_revision(conn: Any) -> str | None:
    """The migration the dumped schema is at (None for a schema made by create_all)."""
    from sqlalchemy import inspect

    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upload_files(root: Path) -> list[tuple[str, Path]]:
    """Every stored file under ``root`` as (relative posix path, path); hidden names (temp, staging) skipped."""
    files: list[tuple[str, Path]] = []
    if not root.is_dir():
        return files
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(".part"):
                continue
            path = base / name
            if path.is_symlink() or not path.is_file():
                continue
            files.append(((base / name).relative_to(root).as_posix(), path))
    return files


def _archive_uploads(root: Path, out: Path) -> dict[str, Any]:
    listing: dict[str, dict[str, Any]] = {}
    total = 0
    # Photos and PDFs hardly compress: the fastest level keeps the nightly run short.
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        for rel, path in _upload_files(root):
            try:
                fh = open(path, "rb")  # noqa: SIM115 - closed by the with below; a missing file is skipped
            except FileNotFoundError:  # deleted between listing and reading: it is not part of this backup
                continue
            with fh:
                st = os.fstat(fh.fileno())
                info = tarfile.TarInfo(rel)
                info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o644
                reader = _HashingReader(fh)
                tar.addfile(info, reader)
            listing[rel] = {"sha256": reader.hexdigest(), "size": st.st_size}
            total += st.st_size
    return {"file": out.name, "sha256": sha256_file(out), "size": out.stat().st_size, "count": len(listing),
            "bytes": total, "files": listing}


def _archive_objects(storage: Storage, out: Path) -> dict[str, Any]:
    """The same archive from object storage: every stored key, streamed through the storage interface."""
    listing: dict[str, dict[str, Any]] = {}
    total = 0
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        for key in storage.iter_keys():
            try:
                size, mtime = storage.size(key), storage.modified_at(key)
                fh = storage.open(key)
            except FileNotFoundError:  # deleted between listing and reading: not part of this backup
                continue
            with fh:
                info = tarfile.TarInfo(key)
                info.size, info.mtime, info.mode = size, int(mtime), 0o644
                reader = _HashingReader(fh)
                tar.addfile(info, reader)
            listing[key] = {"sha256": reader.hexdigest(), "size": size}
            total += size
    return {"file": out.name, "sha256": sha256_file(out), "size": out.stat().st_size, "count": len(listing),
            "bytes": total, "files": listing}


class _HashingReader:
    """Reads a file for tarfile while hashing it, so each upload is read once."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for child in folder.iterdir():
        with open(child, "rb") as fh:
            os.fsync(fh.fileno())


def _tail(text_: str, lines: int = 5) -> str:
    return " | ".join((text_ or "").strip().splitlines()[-lines:]) or "tanpa keterangan"


# listing and retention

def read_backup(path: str | os.PathLike[str]) -> BackupInfo:
    folder = Path(path)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{folder} bukan folder cadangan SILABU (tidak ada {MANIFEST}).")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{MANIFEST} di {folder} tidak dapat dibaca: {exc}") from exc
    if manifest.get("app") != "silabu" or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: format cadangan tidak dikenal.")
    try:
        created = as_utc(datetime.fromisoformat(manifest["created_at"]))
    except (KeyError, ValueError):
        created = None
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return BackupInfo(folder, created, manifest["database"]["kind"], size, manifest["uploads"]["count"], manifest)


def list_backups(root: str | os.PathLike[str] | None = None) -> list[BackupInfo]:
    """Complete backups under ``root`` (default ``BACKUP_DIR``), newest first."""
    folder = Path(root or current_app.config["BACKUP_DIR"])
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        if child.is_dir() and child.name.startswith(PREFIX):
            try:
                found.append(read_backup(child))
            except BackupError:
                continue
    return sorted(found, key=lambda b: (b.created_at or datetime.min.replace(tzinfo=utcnow().tzinfo), b.name),
                  reverse=True)


def prune_backups(keep: int, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Keep the newest ``keep`` backups (at least one); remove older ones and day-old unfinished folders."""
    folder = Path(root or current_app.config["BACKUP_DIR"])
    removed = []
    for info in list_backups(folder)[max(keep, 1):]:
        shutil.rmtree(info.path, ignore_errors=True)
        removed.append(info.path)
    if folder.is_dir():
        cutoff = time.time() - 24 * 3600
        for child in folder.iterdir():
            if child.name.startswith(PARTIAL) and child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


def nightly_backup() -> str:
    """The scheduled backup: a new backup, then retention of the newest ``BACKUP_KEEP``."""
    info = create_backup()
    removed = prune_backups(current_app.config["BACKUP_KEEP"])
    return (f"{info.name}: {info.database}, {info.file_count} berkas unggahan, {info.size} bita; "
            f"{len(removed)} cadangan lama dihapus")


# restore

def verify_backup(path: str | os.PathLike[str]) -> BackupInfo:
    """Check a backup folder's files against its manifest; raises BackupError on any difference."""
    info = read_backup(path)
    for part in ("database", "uploads"):
        entry = info.manifest[part]
        file_path = info.path / entry["file"]
        if not file_path.is_file():
            raise BackupError(f"Cadangan tidak lengkap: {entry['file']} tidak ada.")
        if sha256_file(file_path) != entry["sha256"]:
            raise BackupError(f"Cadangan rusak: sha256 {entry['file']} tidak cocok dengan manifest.")
    return info


def restore_backup(path: str | os.PathLike[str]) -> RestoreReport:
    """Replace the configured database and the upload tree with a backup's, after checking every hash.

    The uploads are unpacked and checked beside the live tree first, so a damaged archive stops the restore
    before the database is touched.
    """
    info = verify_backup(path)
    kind = db.engine.dialect.name
    if info.database != kind:
        raise BackupError(f"Cadangan ini dari basis data {info.database}, sedangkan yang dikonfigurasi {kind}.")
    storage = get_storage()
    on_disk = isinstance(storage, FileSystemStorage)
    upload_root = storage.root if on_disk else Path(current_app.config["UPLOAD_DIR"]).resolve()
    upload_root.mkdir(parents=True, exist_ok=True)
    staging = upload_root / f".restore-{secrets.token_hex(6)}"
    try:
        _unpack_uploads(info, staging)
        # Nothing of this process may hold the database while it is replaced.
        db.session.remove()
        db.engine.dispose()
        dump = info.path / info.manifest["database"]["file"]
        if kind == "sqlite":
            _restore_sqlite(dump, _sqlite_path(db.engine.url))
        else:
            _restore_postgresql(dump, db.engine.url)
        if on_disk:
            _swap_uploads(staging, upload_root)
        else:
            # Content-addressed: an object already there holds the same bytes; objects the backup does not know
            # become orphans that cleanup-orphans collects once nothing names them.
            for key, path in _upload_files(staging):
                storage.store(key, path.read_bytes())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    db.engine.dispose()
    return _check_restored(info, storage)


def _unpack_uploads(info: BackupInfo, staging: Path) -> None:
    expected: dict[str, dict[str, Any]] = info.manifest["uploads"]["files"]
    staging.mkdir()
    with tarfile.open(info.path / info.manifest["uploads"]["file"], "r:gz") as tar:
        # The "data" filter refuses absolute paths, links out of the tree and device files.
        tar.extractall(staging, filter="data")
    found = dict(_upload_files(staging))
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        raise BackupError(f"Arsip unggahan tidak sesuai manifest: {len(missing)} hilang, {len(extra)} tidak dikenal.")
    for rel, meta in expected.items():
        if sha256_file(found[rel]) != meta["sha256"]:
            raise BackupError(f"Arsip unggahan rusak: sha256 {rel} tidak cocok dengan manifest.")


def _restore_sqlite(dump: Path, target: Path) -> None:
    # The backup API (not a file copy) writes into the live file under its lock: a stale -wal beside the
    # database cannot be replayed over the restored pages, and other processes see the new data at once.
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=-1)
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"Basis data hasil pemulihan tidak utuh: {check}")
    finally:
        dst.close()
        src.close()


def _restore_postgresql(dump: Path, url: URL) -> None:
    tool = _pg_tool("pg_restore")
    uri, env = _pg_args(url)
    proc = subprocess.run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                           "--exit-on-error", f"--dbname={uri}", str(dump)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"pg_restore gagal (basis data tidak diubah): {_tail(proc.stderr)}")


def _swap_uploads(staging: Path, upload_root: Path) -> None:
    """Replace the visible contents of the upload root with the staged tree (same filesystem: renames only).

    The current files are moved aside first and removed last, so a restore killed here leaves both trees
    on disk (in hidden folders) rather than neither.
    """
    aside = upload_root / f".before-restore-{secrets.token_hex(6)}"
    aside.mkdir()
    for child in upload_root.iterdir():
        if not child.name.startswith("."):
            os.rename(child, aside / child.name)
    for child in staging.iterdir():
        os.rename(child, upload_root / child.name)
    shutil.rmtree(aside, ignore_errors=True)


def _check_restored(info: BackupInfo, storage: Storage) -> RestoreReport:
    mismatches = []
    with db.engine.connect() as conn:
        tables = _count_rows(conn)
    for name, count in info.manifest["database"]["tables"].items():
        if tables.get(name) != count:
            mismatches.append(f"tabel {name}: {tables.get(name)} baris, manifest {count}")
    present = set(storage.iter_keys())
    missing = set(info.manifest["uploads"]["files"]) - present
    if missing:
        mismatches.append(f"{len(missing)} berkas unggahan tidak ada setelah pemulihan")
    return RestoreReport(info.path, info.database, tables, len(present), mismatches)
