"""A real SILABU server on loopback for the browser suite and the load test.

It migrates a fresh database with the project's own command line (`flask db upgrade`, `flask demo-data`),
keeps every file it writes (database, uploads, instance folder, logs) under one temporary folder, and runs
gunicorn with the project's `gunicorn.conf.py` on a free port of 127.0.0.1. Only the processes it started
are ever stopped, by their own process id.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_postgres_database(url: str) -> str:
    """Drop and create the database named in ``url`` (psycopg URL); returns the SQLAlchemy URL to use."""
    import psycopg

    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    base, _, name = url.rpartition("/")
    name = name.split("?", 1)[0]
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {name!r}")
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


class LiveServer:
    """gunicorn serving ``wsgi:app`` against its own database and upload folder."""

    def __init__(self, root: Path, *, database_url: str | None = None, workers: int | None = None,
                 threads: int | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.upload_dir = self.root / "uploads"
        self.upload_dir.mkdir(exist_ok=True)
        self.instance_dir = self.root / "instance"
        self.instance_dir.mkdir(exist_ok=True)
        self.log_path = self.root / "gunicorn.log"
        self.database_url = database_url or f"sqlite:///{self.root / 'silabu.db'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = None
        self.env = dict(os.environ)
        # The server must not pick up a test database meant for the unit tests.
        self.env.pop("SILABU_TEST_DATABASE_URL", None)
        self.env.update({
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "SILABU_UPLOAD_DIR": str(self.upload_dir),
            "SILABU_INSTANCE_DIR": str(self.instance_dir),
            "SILABU_BACKUP_DIR": str(self.instance_dir / "backups"),
            "SILABU_BIND": f"127.0.0.1:{self.port}",
            "FLASK_APP": "wsgi",
            "PYTHONUNBUFFERED": "1",
        })
        if workers:
            self.env["SILABU_WORKERS"] = str(workers)
        if threads:
            self.env["SILABU_THREADS"] = str(threads)
        self.env.update(extra_env or {})

    # ---- the command line ----
    def flask(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run ``flask --app wsgi ARGS`` against this server's database; raises with its output on failure."""
        proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def prepare(self, *, demo_entries: bool = False) -> None:
        """Fresh schema through the migrations, then the demo organisation (units, users, output codes)."""
        self.flask("db", "upgrade")
        self.flask("demo-data", "--entries" if demo_entries else "--no-entries")

    # ---- the web process ----
    def start(self, timeout: float = 60) -> None:
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/masuk", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # gunicorn runs in its own session: signal its master (our child) only; it stops its workers.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master we started), for a profiler."""
        if self.process is None:
            return []
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                                 text=True).stdout
        except OSError:
            return []
        return [int(p) for p in out.split()]

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
