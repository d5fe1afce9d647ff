"""Creating an entry through the API costs a fixed, small number of SQL statements (issue 16): the token check
(user, roles, unit, satker and the two-factor policy in one), the check for an earlier copy of the entry (a resend
or a possible duplicate, issue 14), the code lookup with the month lock, the working-day calendar, the insert and the
audit event, then the one commit. No re-select of what was just written, no lazy
load while the answer is serialised. A rule test: it counts statements, it does not time anything."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
import time_machine
from sqlalchemy import event

from silabu.extensions import db as _db
from tests.conftest import CODE

MAX_STATEMENTS = 6
WORKDAY = date(2026, 11, 18)  # a Wednesday


@contextmanager
def counted(at: str = "09:05"):
    """Statements the cursor executes and commits, during the block, at ``at`` on WORKDAY (WIB)."""
    seen: dict[str, list] = {"statements": [], "commits": []}

    def _statement(conn, cursor, statement, parameters, context, executemany):
        seen["statements"].append(statement)

    def _commit(conn):
        seen["commits"].append(conn)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", _statement)
    event.listen(engine, "commit", _commit)
    try:
        with time_machine.travel(f"{WORKDAY.isoformat()} {at} +07:00", tick=False):
            yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _statement)
        event.remove(engine, "commit", _commit)


def _body(n: int = 0, **extra) -> dict:
    return {"entry_date": WORKDAY.isoformat(), "output_code": CODE, "activity": f"Mengarsip surat {n}",
            "output": "Arsip", "quantity": 3, "unit": "Berkas", **extra}


@pytest.fixture()
def caller(client, make_asn, api_token):
    with time_machine.travel(f"{WORKDAY.isoformat()} 09:00 +07:00", tick=False):
        asn = make_asn()
        headers = api_token(asn)
        assert client.post("/api/v1/entries", json=_body(), headers=headers).status_code == 201  # warm caches
    return client, headers


def test_creating_an_entry_through_the_api_takes_at_most_six_statements_and_one_commit(caller):
    client, headers = caller
    with counted() as seen:
        resp = client.post("/api/v1/entries", json=_body(1), headers=headers)
    assert resp.status_code == 201, resp.json
    statements = "\n".join(seen["statements"])
    assert len(seen["statements"]) <= MAX_STATEMENTS, statements
    assert len(seen["commits"]) == 1
    inserts = [s for s in seen["statements"] if s.lstrip().upper().startswith("INSERT")]
    assert [s.split()[2] for s in inserts] == ["entries", "audit_events"], statements
    after_insert = seen["statements"][seen["statements"].index(inserts[0]) + 1:]
    assert not any(s.lstrip().upper().startswith("SELECT ENTRIES.") for s in after_insert), statements


def test_the_answer_shows_the_entry_as_written_without_reading_it_back(caller):
    client, headers = caller
    with counted() as seen:
        resp = client.post("/api/v1/entries", json=_body(2), headers=headers)
    body = resp.json
    assert (body["activity"], body["output"], body["quantity"], body["unit"]) == ("Mengarsip surat 2", "Arsip", 3,
                                                                                 "Berkas")
    assert body["output_code"] == CODE and body["output_code_name"]
    assert body["status"] == "draft" and body["locked"] is False and body["editable"] is True
    assert body["evidence"] == [] and body["version"] == 1 and body["created_at"]
    assert len(seen["statements"]) <= MAX_STATEMENTS
    stored = client.get(f"/api/v1/entries/{body['id']}", headers=headers).json
    assert {k: stored[k] for k in body if k != "warnings"} == {k: body[k] for k in body if k != "warnings"}


def test_an_offline_entry_adds_only_its_client_uuid_lookup_and_savepoint(caller):
    client, headers = caller
    uuid = "8c1f4c1e-5b51-4c8e-9f6f-0a1b2c3d4e5f"
    with counted() as seen:
        resp = client.post("/api/v1/entries", json=_body(3, client_uuid=uuid), headers=headers)
    assert resp.status_code == 201
    # + the lookup of an earlier copy, + SAVEPOINT / RELEASE around the insert (two copies racing each other)
    assert len(seen["statements"]) <= MAX_STATEMENTS + 3, "\n".join(seen["statements"])
    with counted() as again:
        repeat = client.post("/api/v1/entries", json=_body(3, client_uuid=uuid), headers=headers)
    assert repeat.status_code == 200 and repeat.json["id"] == resp.json["id"]
    assert not any(s.lstrip().upper().startswith("INSERT") for s in again["statements"])


def test_a_token_whose_role_now_requires_two_factor_is_still_stopped(caller, db):
    from silabu.accounts.models import Role, RolePolicy

    client, headers = caller
    db.session.add(RolePolicy(role=Role.ASN, requires_2fa=True))
    db.session.commit()
    with counted():
        resp = client.post("/api/v1/entries", json=_body(4), headers=headers)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "two_factor_required"
