"""What a fresh app process computes once, done before it takes its first request.

gunicorn calls :func:`warm_up` from ``post_worker_init`` (gunicorn.conf.py). Without it the first
requests a new worker answers (at start, and again each time ``max_requests`` recycles one) pay for
compiling the Jinja templates (about 0.6 s for all of them on the reference machine), the holiday
calendars and the first database connection, and wait behind each other while they do.
"""
from __future__ import annotations

import logging
import time
from datetime import date

from flask import Flask
from sqlalchemy import text

log = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".js")


def warm_up(app: Flask) -> dict[str, float]:
    """Compile every template, fill the holiday cache, open one pooled connection; returns timings (s).

    Nothing here is required for correctness: a failure (the database not answering yet) is logged and the
    worker starts anyway, so a database that is down makes pages answer 503 rather than the worker die.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    env = app.jinja_env
    for name in env.list_templates():
        if name.endswith(TEMPLATE_SUFFIXES):
            env.get_template(name)
    timings["templates"] = time.perf_counter() - started

    from silabu.catalog.calendar import national_holidays

    started = time.perf_counter()
    year = date.today().year
    for y in (year - 1, year, year + 1):
        national_holidays(y)
    timings["holidays"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        from silabu.extensions import db

        with app.app_context(), db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        log.warning("warm-up: database not reachable yet", exc_info=True)
    timings["database"] = time.perf_counter() - started
    return timings
