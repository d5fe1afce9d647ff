"""The access matrix (issue 6): every route and API endpoint x every role x own / same-unit / other-unit objects.

The cases are generated from the app's URL map, so a new route cannot be forgotten: a route without a row in
tests/access_matrix_data.py fails ``test_every_route_has_an_expectation`` and its own matrix case. For each
(endpoint, method) one test requests the route as every person of the table and compares the status with the
expectation, then checks what every answer owes: a Content-Security-Policy on each HTML page, nosniff (and never
text/html; documents as attachments) on each file download, the API's error shape on each API error, and no text of
the owner's entries or notification in any page or JSON shown to someone who may not read it (SECRETS). A second
test sends malformed input as someone refused: the refusal must come before the input is looked at (PROBES).

One world is built once per run (people, entries with evidence, a notification, a Plh delegation, a pleno packet,
a compiled LKj with a manual realisasi, ...), dumped, and restored before each case and after every request that
may have changed something (any non-GET that was not refused), so every state-changing request runs on fresh data.
"""
from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from access_matrix_data import (
    ACTORS,
    ENTRY_SECRET,
    EXPECTATIONS,
    HEAD_SECRET,
    LOGIN,
    NOT_REQUESTED,
    NOTE_SECRET,
    OK,
    PEOPLE,
    PROBES,
    SECRETS,
    Expect,
)
from conftest import PASSWORD, SHARED
from sqlalchemy import Integer, select

NOW = "2026-11-18 09:00 +07:00"  # a Wednesday; the verification month is October
TODAY = date(2026, 11, 18)
PERIOD = "2026-10"
YEAR = 2026
CODE = "076.01.WA.4499.EBA.962"
OFFICE_DAY = "2026-12-24"
UPLOADS = SHARED / "data" / "uploads" / "good"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
REFUSALS = {401, 403, 404, 405}


# ---------------------------------------------------------------------------------------------------------------------
# the URL map, read when the module is collected


def _url_map_app():
    from silabu import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "url-map-only", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "SERVER_NAME": "silabu.test"})


def _route_methods(app) -> list[tuple[str, str]]:
    pairs = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_REQUESTED:
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            pairs.add((rule.endpoint, method))
    return sorted(pairs)


ROUTES = _route_methods(_url_map_app())


def test_every_route_has_an_expectation():
    """A new route (or a new method on one) needs a row in the table; a row for a route that is gone is stale."""
    in_map = set(ROUTES)
    in_table = {(endpoint, method) for endpoint, methods in EXPECTATIONS.items() for method in methods}
    missing = sorted(in_map - in_table)
    stale = sorted(in_table - in_map)
    assert not missing, f"routes without an expectation in tests/access_matrix_data.py: {missing}"
    assert not stale, f"expectations for routes the app no longer has: {stale}"
    for endpoint, methods in EXPECTATIONS.items():
        for method, expect in methods.items():
            assert set(expect.outcomes) == set(ACTORS), (endpoint, method, "every person needs an outcome")


def test_the_people_of_the_table_are_the_people_of_the_world():
    assert set(PEOPLE) == set(ACTORS) - {"anon"}


# ---------------------------------------------------------------------------------------------------------------------
# the world: built once, dumped, restored before each case


@dataclass
class World:
    values: dict[str, Any]  # resolver key -> URL argument value
    tokens: dict[str, str]  # person -> Bearer token
    logins: dict[str, str]  # person -> NIP or username
    cookies: dict[str, Any] = field(default_factory=dict)  # person -> session cookie right after logging in


def _build_world(db, request) -> World:
    from silabu.accounts import delegation
    from silabu.accounts.services import UserData, create_user
    from silabu.accounts.tokens import issue_token
    from silabu.catalog.calendar import add_office_day
    from silabu.catalog.models import Indicator, OutputCode
    from silabu.core.tables import read_table
    from silabu.entries import evidence
    from silabu.entries import services as entries
    from silabu.lkj import services as lkj
    from silabu.lkj.services import import_indicators
    from silabu.notifications.services import notify
    from silabu.pleno.services import build_packet

    units = request.getfixturevalue("org")
    make_user = request.getfixturevalue("make_user")
    people: dict[str, Any] = {}
    for actor, (unit, roles) in PEOPLE.items():
        if actor == "admin":
            user, _ = create_user(UserData(name="Admin Matriks", unit_code=unit, roles=roles, username="admin.matriks",
                                           password=PASSWORD), must_change_password=False)
            db.session.commit()
        else:
            user = make_user(unit, roles, name=f"Matriks {actor}")
        people[actor] = user
    asn = people["asn"]

    plh = delegation.delegate(units["KUL"], people["plh"], TODAY, TODAY + timedelta(days=30), people["sekretaris"],
                                kind="Plh", reason="Kasubag cuti")

    def entry(day: str):
        e, _ = entries.create_entry(asn, {"entry_date": day, "output_code": CODE, "activity": ENTRY_SECRET,
                                          "output": "Laporan", "quantity": 1, "unit": "Dokumen"})
        return e

    photo = (UPLOADS / "browser_compressed_1600.jpg").read_bytes()
    submitted = entry("2026-10-15")
    ev_photo = evidence.add_evidence(submitted, asn, "foto.jpg", photo)
    ev_doc = evidence.add_evidence(submitted, asn, "nota_dinas.pdf", (UPLOADS / "nota_dinas.pdf").read_bytes())
    entries.submit_entry(submitted, asn)
    head_entry, _ = entries.create_entry(people["kasubag"], {"entry_date": "2026-10-16", "output_code": CODE,
                                                             "activity": HEAD_SECRET, "output": "Nota dinas",
                                                             "quantity": 1, "unit": "Dokumen"})
    entries.submit_entry(head_entry, people["kasubag"])
    draft = entry(TODAY.isoformat())
    ev_draft = evidence.add_evidence(draft, asn, "foto-draf.jpg", photo)
    note = notify(asn, "info", NOTE_SECRET, link="/beranda")
    office_day = add_office_day(OFFICE_DAY, "cuti_bersama", "Cuti bersama", actor=people["admin"])
    db.session.commit()

    packet = build_packet(PERIOD, people["rendatin"])
    db.session.commit()
    from silabu.ops.tasks import enqueue

    task, _ = enqueue("pleno.build", PERIOD, {}, people["rendatin"])  # a rebuild waiting for a worker
    db.session.commit()

    import_indicators(read_table("indicators.csv", (SHARED / "data/demo/indicators.csv").read_bytes()).rows, YEAR)
    db.session.commit()
    indicators = {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.year == YEAR))}
    manual = lkj.save_manual_realisasi(indicators["IK2.1"], "2026-06", "90", "IKPA", people["rendatin"], today=TODAY,
                                       filename="ikpa.pdf", data=(UPLOADS / "nota_dinas.pdf").read_bytes())
    doc = lkj.compile_report(YEAR, "LKJ-SEK", people["rendatin"])
    db.session.commit()

    tokens, token_rows = {}, {}
    for actor, user in people.items():
        tokens[actor], token_rows[actor] = issue_token(user, 24 * 30, name="matriks")
    db.session.commit()

    values = {
        "entry_id:submitted": submitted.id, "entry_id:draft": draft.id, "entry_id:kasubag": head_entry.id,
        "evidence_id:photo": ev_photo.id, "evidence_id:doc": ev_doc.id, "evidence_id:draft_photo": ev_draft.id,
        "user_id:owner": asn.id, "user_id:kasubag": people["kasubag"].id, "token_id": token_rows["asn"].id,
        "unit_code": "KUL", "unit_id": units["TPH"].id,
        "period": PERIOD, "month": PERIOD, "version": 1,
        "name": next(f.name for f in packet.files if f.name.endswith(".xlsx")),
        "year": YEAR, "report_code": "LKJ-SEK", "indicator_code": "IK1.1", "indicator_id": indicators["IK1.1"].id,
        "manual_id": manual.id, "kind": "pdf", "key": "kata_pengantar", "code": doc.verification_code,
        "code_id": db.session.scalar(select(OutputCode.id).where(OutputCode.code == CODE)),
        "day": office_day.day.isoformat(), "notification_id": note.id, "delegation_id": plh.id,
        "task_id": task.id,
    }
    logins = {actor: user.nip or user.username for actor, user in people.items()}
    return World(values=values, tokens=tokens, logins=logins)


def _tables(db):
    return list(db.metadata.sorted_tables)


def _dump(db, upload_dir: Path) -> dict[str, Any]:
    rows = {}
    with db.engine.connect() as conn:
        for table in _tables(db):
            rows[table.name] = [dict(r._mapping) for r in conn.execute(table.select())]
    files = {p.relative_to(upload_dir).as_posix(): p.read_bytes() for p in upload_dir.rglob("*") if p.is_file()}
    return {"rows": rows, "files": files}


def _load(db, upload_dir: Path, snapshot: dict[str, Any] | None) -> None:
    """Empty every table and the upload folder, then load ``snapshot`` (rows with their ids, files) if given.

    DELETE, not TRUNCATE: on small tables it is many times faster on PostgreSQL. Foreign keys are switched off
    while loading (units and users refer to each other), and PostgreSQL's id sequences are moved past the ids.
    """
    db.session.remove()
    tables = _tables(db)
    with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in reversed(tables)))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # before the first write opens the transaction
            for t in reversed(tables):
                conn.execute(t.delete())
        for t in tables:
            rows = snapshot["rows"][t.name] if snapshot else None
            if rows:
                conn.execute(t.insert(), rows)
        if postgres:
            calls = []
            for t in tables:
                pk = list(t.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
                    calls.append(f"setval(pg_get_serial_sequence('\"{t.name}\"', '{pk[0].name}'), "
                                 f"COALESCE((SELECT MAX(\"{pk[0].name}\") FROM \"{t.name}\"), 0) + 1, false)")
            if calls:
                conn.exec_driver_sql("SELECT " + ", ".join(calls))
        conn.commit()
        if not postgres:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
    shutil.rmtree(upload_dir, ignore_errors=True)
    upload_dir.mkdir(parents=True, exist_ok=True)
    for rel, data in (snapshot["files"] if snapshot else {}).items():
        path = upload_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    db.session.remove()


@pytest.fixture(scope="module")
def _matrix(app):
    """The dumped world of this module; the tables and uploads are emptied again when the module is done."""
    state: dict[str, Any] = {}
    yield state
    from sqlalchemy import text

    from silabu.extensions import db

    with app.app_context():
        _load(db, Path(app.config["UPLOAD_DIR"]), None)
        if db.engine.dialect.name == "postgresql":  # ids from 1 again, as the db fixture leaves them
            with db.engine.begin() as conn:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in _tables(db)) +
                                  " RESTART IDENTITY CASCADE"))


@pytest.fixture()
def world(app, _matrix, request):
    """The world, fresh for each case: built on first use (through the shared ``org`` fixture), then restored from
    the dump. Time stands at NOW. (Not on the ``db`` fixture: its TRUNCATE per test costs more than the case.)"""
    from silabu.extensions import db

    upload_dir = Path(app.config["UPLOAD_DIR"])
    if "world" not in _matrix:
        request.getfixturevalue("db")  # (its teardown empties the tables: the next case restores them)
    with time_machine.travel(NOW, tick=False), app.app_context():
        if "world" not in _matrix:
            w = _build_world(db, request)
            for actor in PEOPLE:
                w.cookies[actor] = _session_cookie(app, w, actor)
            _matrix.update(world=w, snapshot=_dump(db, upload_dir))
        else:
            _load(db, upload_dir, _matrix["snapshot"])
        w = _matrix["world"]
        w.restore = lambda: _load(db, upload_dir, _matrix["snapshot"])  # type: ignore[attr-defined]
        yield w


def _session_cookie(app, w: World, actor: str):
    """Log in through the login page; the session cookie is replayed on a new client for every request, so a
    logout, a flash message or a changed session in one request never leaks into the next."""
    client = app.test_client()
    resp = client.post("/masuk", data={"login": w.logins[actor], "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/beranda"), (actor, resp.status_code)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="silabu.test")
    assert cookie is not None, actor
    return cookie


# ---------------------------------------------------------------------------------------------------------------------
# running one case

DEFAULT_CHOICE = {"entry_id": "submitted", "evidence_id": "photo", "user_id": "owner"}


def _resolve(w: World, name: str, choice: str | None = None) -> Any:
    choice = choice or DEFAULT_CHOICE.get(name)
    key = f"{name}:{choice}" if choice else name
    if key not in w.values:
        pytest.fail(f"no resolver for URL argument {name!r} (choice {choice!r}): add one to World.values")
    return w.values[key]


def _value(w: World, spec: Any) -> Any:
    """"@name" or "@name:choice" is an object of the world; anything else is itself."""
    if isinstance(spec, str) and spec.startswith("@"):
        name, _, choice = spec[1:].partition(":")
        return _resolve(w, name, choice or None)
    return spec


def _url(app, w: World, endpoint: str, method: str, args: Mapping[str, Any],
         query: Mapping[str, Any] | None = None, raw: Mapping[str, Any] | None = None) -> str:
    """The URL of ``endpoint`` for ``method``: each argument from its resolver (``args`` picks which object),
    or taken as is from ``raw``."""
    adapter = app.url_map.bind("silabu.test")
    rule = next(r for r in app.url_map.iter_rules(endpoint) if method in (r.methods or ()))
    raw = raw or {}
    values = {name: raw[name] if name in raw else _resolve(w, name, args.get(name)) for name in rule.arguments}
    url = adapter.build(endpoint, values, method=method)
    if query:
        url += ("&" if "?" in url else "?") + urlencode({k: _value(w, v) for k, v in query.items()})
    return url


@dataclass
class Result:
    actor: str
    auth: str  # "session", "bearer" or "none"
    status: int
    problems: list[str]


def _matches(expected: Any, status: int, method: str) -> bool:
    if expected is OK:
        if method == "GET":
            return status == 200
        return status not in REFUSALS and status < 500
    if isinstance(expected, int):
        return status == expected
    return status in expected


def _check(resp, *, actor: str, expected: Any, method: str, url: str, download: str | None) -> list[str]:
    status = resp.status_code
    problems: list[str] = []
    api = url.startswith("/api/")
    if expected is LOGIN:
        if api:
            if status != 401:
                problems.append(f"expected 401 (not logged in), got {status}")
        elif status != 302 or not resp.headers.get("Location", "").split("?")[0].endswith("/masuk"):
            problems.append(f"expected 302 to /masuk, got {status} {resp.headers.get('Location', '')}")
    elif not _matches(expected, status, method):
        problems.append(f"expected {expected}, got {status}")
    if status >= 500:
        problems.append(f"server error {status}")
    if resp.mimetype == "text/html":
        csp = resp.headers.get("Content-Security-Policy", "")
        if not csp:
            problems.append("HTML page without Content-Security-Policy")
        elif "script-src 'self'" not in csp or "unsafe-inline" in csp:
            problems.append(f"HTML page with a weak Content-Security-Policy: {csp!r}")
    if api and status >= 400:
        body = resp.get_json(silent=True) or {}
        err = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(err, dict) and err.get("code") and err.get("message")):
            problems.append(f"API error without {{error: {{code, message}}}}: {resp.data[:120]!r}")
    if download and status == 200:
        if resp.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append("file download without X-Content-Type-Options: nosniff")
        if resp.mimetype == "text/html":
            problems.append("file download served as text/html")
        if download == "attachment" and not resp.headers.get("Content-Disposition", "").startswith("attachment"):
            problems.append(f"document not served as an attachment: {resp.headers.get('Content-Disposition')!r}")
    if resp.mimetype.startswith("text/") or resp.mimetype.endswith("json"):
        text_ = resp.get_data(as_text=True)
        for secret, readers in SECRETS.items():
            if actor not in readers and secret in text_:
                problems.append(f"shows {secret!r} to someone who may not read it")
    return problems


def _send(app, w: World, actor: str, auth: str, method: str, url: str, body: Any = None,
          raw_json: str | None = None):
    headers = {}
    client = app.test_client()
    if auth == "session":
        cookie = w.cookies[actor]
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    elif auth == "bearer":
        headers["Authorization"] = f"Bearer {w.tokens[actor]}"
    kwargs: dict[str, Any] = {}
    if raw_json is not None:
        kwargs.update(data=raw_json, content_type="application/json")
    elif method in ("POST", "PATCH", "PUT"):
        kwargs["json" if url.startswith("/api/") else "data"] = body or {}
    return client.open(url, method=method, headers=headers, **kwargs)


def _auths(actor: str, method: str, url: str) -> list[str]:
    if actor == "anon":
        return ["none"]
    if url.startswith("/api/"):
        # the phone client's Bearer token; GETs also with the browser session the pages' scripts use
        return ["bearer", "session"] if method == "GET" else ["bearer"]
    return ["session"]


def _download_kind(endpoint: str, args: Mapping[str, str], expect: Expect) -> str | None:
    if not expect.download:
        return None
    if endpoint == "evidence.thumbnail" or (endpoint == "evidence.download"
                                            and args.get("evidence_id") in ("photo", "draft_photo")):
        return "inline"  # photos are shown in the page (as image/jpeg)
    return "attachment"


def run_case(app, w: World, endpoint: str, method: str, expect: Expect) -> list[Result]:
    """Every person against one endpoint + method (and its variants); a restore after each request that may
    have changed something."""
    results: list[Result] = []
    dirty = False
    runs = [(variant, expect.outcomes) for variant in ({},) + tuple(expect.variants)] + list(expect.others)
    for variant, outcomes in runs:
        args = {**expect.args, **{k: v for k, v in variant.items() if not k.startswith("?")}}
        query = {**(expect.query or {}), **{k[1:]: v for k, v in variant.items() if k.startswith("?")}}
        url = _url(app, w, endpoint, method, args, query)
        body = {k: _value(w, v) for k, v in (expect.body or {}).items()}
        download = _download_kind(endpoint, args, expect)
        for actor in ACTORS:
            for auth in _auths(actor, method, url):
                if dirty:
                    w.restore()  # type: ignore[attr-defined]
                    dirty = False
                resp = _send(app, w, actor, auth, method, url, body)
                problems = _check(resp, actor=actor, expected=outcomes[actor], method=method, url=url,
                                  download=download)
                results.append(Result(f"{actor}{' ' + str(variant) if variant else ''}", auth, resp.status_code,
                                      problems))
                if expect.fresh or (method != "GET" and resp.status_code not in REFUSALS):
                    dirty = True
    return results


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{e}-{m}" for e, m in ROUTES])
def test_access_matrix(app, world, endpoint, method):
    expect = EXPECTATIONS.get(endpoint, {}).get(method)
    if expect is None:
        pytest.fail(f"{method} {endpoint} has no expectation in tests/access_matrix_data.py")
    results = run_case(app, world, endpoint, method, expect)  # the world fixture holds the time at NOW
    failures = [r for r in results if r.problems]
    assert not failures, f"{method} {endpoint}:\n" + "\n".join(
        f"  {r.actor:<40} [{r.auth}] status {r.status}: {'; '.join(r.problems)}" for r in failures)


# ---------------------------------------------------------------------------------------------------------------------
# the refusal comes first: someone refused gets the same answer whatever they send


@pytest.mark.parametrize("probe", PROBES, ids=[f"{p.endpoint}-{p.method}-{p.actor}-{p.label}" for p in PROBES])
def test_a_refused_person_is_refused_before_their_input_is_checked(app, world, probe):
    """A refused person sending a malformed month, body or parameter still gets the refusal (403/404), never the
    422 that tells them the rest of the request would have been looked at."""
    url = _url(app, world, probe.endpoint, probe.method, {}, probe.query, probe.raw_args)
    resp = _send(app, world, probe.actor, _auths(probe.actor, probe.method, url)[0], probe.method, url,
                 {k: _value(world, v) for k, v in (probe.body or {}).items()}, probe.raw_json)
    assert resp.status_code == probe.expected, (
        f"{probe.method} {url} as {probe.actor} ({probe.label}): expected {probe.expected}, got {resp.status_code} "
        f"{resp.get_data(as_text=True)[:200]}")
