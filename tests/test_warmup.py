"""A new gunicorn worker warms up before its first request (gunicorn.conf.py post_worker_init)."""
from __future__ import annotations

from silabu import create_app
from silabu.core.warmup import warm_up


def _fresh_app(tmp_path, database_url):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                       "UPLOAD_DIR": str(tmp_path / "uploads"), "WTF_CSRF_ENABLED": False})


def test_after_warm_up_no_page_compiles_a_template(tmp_path):
    app = _fresh_app(tmp_path, f"sqlite:///{tmp_path / 'warm.db'}")
    timings = warm_up(app)
    assert set(timings) == {"templates", "holidays", "database"}

    loads = []
    loader = app.jinja_env.loader
    original = loader.get_source

    def counting(environment, name):
        loads.append(name)
        return original(environment, name)

    loader.get_source = counting
    # every template was compiled once by the warm-up; asking again reads the cache, not the disk
    cached = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    for name in cached:
        app.jinja_env.get_template(name)
    assert loads == []


def test_warm_up_with_the_database_down_still_lets_the_worker_start(tmp_path):
    # a port nothing listens on: the worker must start anyway (pages then answer 503 until it returns)
    app = _fresh_app(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    timings = warm_up(app)
    assert timings["templates"] > 0
