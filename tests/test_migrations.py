"""The schema comes from migrations: upgrading an empty database gives exactly the models' schema."""
from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from silabu import create_app
from silabu.extensions import db


@pytest.fixture()
def empty_database_url(tmp_path, _test_database_url):
    """An empty database to migrate: a new SQLite file, or on PostgreSQL a new schema of the test database
    (``search_path`` set on every connection). A schema is dropped at once, where dropping a database makes
    PostgreSQL wait for a checkpoint (seconds, or a minute on a busy disk)."""
    if not os.environ.get("SILABU_TEST_DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(_test_database_url)
    name = f"silabu_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    yield url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def _diff(app):
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(ctx, db.metadata)


def test_migrations_build_the_models_schema_from_empty(empty_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "TESTING": True,
                      "UPLOAD_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
    assert _diff(app) == []
    with app.app_context():
        db.engine.dispose()


def test_migrations_downgrade_to_empty_and_up_again(empty_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "TESTING": True,
                      "UPLOAD_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
    assert _diff(app) == []
    with app.app_context():
        db.engine.dispose()


def test_migrations_step_from_every_earlier_revision(empty_database_url, tmp_path):
    """An installation at any earlier revision upgrades cleanly, one revision at a time, and back."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "TESTING": True,
                      "UPLOAD_DIR": str(tmp_path)})
    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]
        assert revisions[0] == "0001"
        for rev in revisions:
            upgrade(revision=rev)
        for rev in reversed(revisions[:-1]):
            downgrade(revision=rev)
        upgrade()
    assert _diff(app) == []
    with app.app_context():
        db.engine.dispose()
