"""SILABU — Sistem Laporan Bulanan: daily entries, month-end verification, pleno packets, LKj."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import Config


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(Config())
    if test_config:
        app.config.update(test_config)

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    from silabu.core.http import BoundedIntegerConverter, SilabuRequest

    app.request_class = SilabuRequest
    app.url_map.converters["int"] = BoundedIntegerConverter
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_web(app)
    logging.getLogger("silabu").setLevel(logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    from silabu.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    import_models()
    from silabu.accounts import auth

    auth.init_login(app)


def import_models() -> None:
    """Import every model module so metadata is complete (migrations, tests)."""
    from silabu.accounts import models as _a  # noqa: F401
    from silabu.accounts import tenancy as _t  # noqa: F401  (the satker scope's listeners)
    from silabu.catalog import models as _c  # noqa: F401
    from silabu.core import audit as _au  # noqa: F401
    from silabu.entries import models as _e  # noqa: F401
    from silabu.lkj import models as _l  # noqa: F401
    from silabu.notifications import models as _n  # noqa: F401
    from silabu.ops import models as _o  # noqa: F401
    from silabu.pleno import models as _p  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from silabu.accounts.views import auth_bp
    from silabu.admin import bp as admin_bp
    from silabu.api import api_bp
    from silabu.catalog.views import bp as catalog_bp
    from silabu.entries.evidence_views import bp as evidence_bp
    from silabu.entries.views import bp as entries_bp
    from silabu.lkj.views import bp as lkj_bp
    from silabu.notifications.views import bp as notifications_bp
    from silabu.ops.views import bp as ops_bp
    from silabu.ops.views import tasks_bp
    from silabu.pleno.views import bp as pleno_bp
    from silabu.verification.views import bp as verification_bp

    for bp in (auth_bp, admin_bp, catalog_bp, entries_bp, evidence_bp, verification_bp, pleno_bp,
               notifications_bp, lkj_bp, ops_bp, tasks_bp, api_bp):
        app.register_blueprint(bp)


def register_commands(app: Flask) -> None:
    from silabu.commands import register

    register(app)


def register_web(app: Flask) -> None:
    from silabu.web import init_web

    init_web(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: WAL for concurrent readers, foreign keys enforced, wait instead of failing when busy."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_in_a_transaction(conn, name) -> None:
    """SQLite: the driver opens no transaction before a SAVEPOINT, so its RELEASE would commit on its own."""
    import sqlite3

    raw = conn.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN")
