"""The outside fuzzer on the JSON API: schemathesis reads /api/v1/openapi.json from the app itself, generates
requests for every operation (valid and invalid by the schema) as the ASN, the Kasubag, Rendatin and the Sekretaris,
and checks each answer: never a server error, only documented statuses, bodies and headers as documented. Its
example count is bounded (FUZZ_EXAMPLES) so the suite stays fast; a nightly run can raise it. Also: the document
itself is valid for the version it declares."""
from __future__ import annotations

import os
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from silabu.extensions import db

FUZZ_EXAMPLES = int(os.environ.get("SILABU_FUZZ_EXAMPLES", "6"))


@pytest.fixture()
def api_schema(app, db, make_user, make_asn, make_kasubag, make_entry, api_token):
    """A unit with work in it, and a token per role; the fuzzer's requests carry the role's token."""
    asn = make_asn("KUL")
    make_kasubag("KUL")
    make_user("RDI", "asn,rendatin")
    make_user("SEK", "asn,sekretaris")
    make_entry(asn, date(2026, 11, 2))
    make_entry(asn, date(2026, 11, 3), "submitted")
    db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _served_alone(app))


def _served_alone(app):
    """The app as a server runs it: each request in an empty context, so it pushes its own app context.

    Called in the test's context, a request would share the app context the test holds — and its ``g``, where
    Flask-Login keeps the user it loaded: every request after the first saw that first (anonymous) user, and the
    fuzzer met 401 on 466 of its 536 requests as the ASN."""
    import contextvars

    def wsgi(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)

    return wsgi


FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])


def _token_of(role: str, api_token) -> dict:
    from sqlalchemy import select

    from silabu.accounts.models import Role, User, UserRole

    user = db.session.scalar(select(User).join(UserRole).where(UserRole.role == Role(role)).order_by(User.id).limit(1))
    return api_token(user)


# What Hypothesis drew, per (operation, mode), by the first role's test in this process; the other roles are sent
# the same requests. With ``derandomize`` each (operation, mode) is drawn from the same seed and nothing the test
# body does feeds back into the drawing (no shrinking phase), so every role used to draw exactly these requests
# again: drawing was two thirds of the fuzzer's time.
_DRAWN: dict[tuple[str, str], list] = {}


class _Recording:
    """An operation whose strategy also records each case it gives (``map`` draws nothing of its own)."""

    def __init__(self, operation, drawn: list) -> None:
        self.operation, self.drawn = operation, drawn

    def as_strategy(self, **kw):
        return self.operation.as_strategy(**kw).map(self._record)

    def _record(self, case):
        self.drawn.append(case)
        return case


# Schema-valid data the API refuses with 422 for a rule of the domain (an output code not in the catalogue, a date
# too far back, a unit or person that does not exist: API.md's "validation problems are 422") is not a finding; the
# formats the API enforces are in the schema (minimum, enum, pattern, minLength), and every other check stays.
EXCLUDED = [positive_data_acceptance]


def _call(case, headers: dict) -> None:
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


def _fuzz(strategy, headers: dict) -> None:
    @FUZZ
    @given(case=strategy)
    def call(case):
        _call(case, headers)

    call()


def answers_every_generated_request_as_documented(api_schema, api_token, role: str) -> None:
    """Every operation, valid and invalid requests by the schema, as `role`; all findings reported at once (for each
    operation and mode the first failing request: Hypothesis stopped there, and so does the replay)."""
    headers = _token_of(role, api_token)
    failures: list[str] = []
    replay = bool(_DRAWN)
    for result in api_schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        # Signing out revokes the token it is sent with: it gets one of its own, so the role's token lives on.
        op_headers = _token_of(role, api_token) if label == "DELETE /api/v1/auth/token" else headers
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                if replay:
                    drawn = _DRAWN[(label, str(mode))]
                    assert drawn, f"nothing drawn for {label} [{mode}]"
                    for case in drawn:
                        _call(case, op_headers)
                else:
                    recording = _Recording(operation, _DRAWN.setdefault((label, str(mode)), []))
                    _fuzz(recording.as_strategy(generation_mode=mode), op_headers)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
                failures.append(f"{label} [{mode}]: {str(exc)[:1500]}")  # every operation's finding, then fail once
    assert not failures, "\n\n".join(failures)


def test_the_fuzzer_s_requests_are_signed_in(api_schema, api_token, monkeypatch):
    """The fuzzer tests the API behind its login: as the ASN, most answers are not 401 (they were, 466 of 536, when
    the requests shared the test's app context and Flask-Login's cached anonymous user, and after the sign-out
    operation revoked the role's token)."""
    from collections import Counter

    from schemathesis.generation.case import Case

    statuses: Counter = Counter()
    call = Case.call

    def counted(self, *args, **kwargs):
        response = call(self, *args, **kwargs)
        statuses[response.status_code] += 1
        return response

    monkeypatch.setattr(Case, "call", counted)
    answers_every_generated_request_as_documented(api_schema, api_token, "asn")
    assert statuses[401] * 10 < sum(statuses.values()), statuses
    assert statuses[200] >= 20, statuses


@pytest.mark.parametrize("role", ("asn", "kasubag", "rendatin", "sekretaris"))
def test_the_api_answers_every_generated_request_as_documented(api_schema, api_token, role):
    answers_every_generated_request_as_documented(api_schema, api_token, role)


def test_the_openapi_document_is_valid_for_the_version_it_declares(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.0.")
    loaded = schemathesis.openapi.from_dict(doc)
    assert len(list(loaded.get_all_operations())) >= 30

    def walk(node):
        if isinstance(node, dict):
            if "exclusiveMinimum" in node:
                assert isinstance(node["exclusiveMinimum"], bool), node  # 3.0: a flag beside "minimum"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status in ("401", "403", "404", "422"):
                assert status in op["responses"], (method, path, status)


def test_a_method_the_path_does_not_have_names_the_ones_it_does(client):
    resp = client.put("/api/v1/entries")
    assert resp.status_code == 405
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert resp.json["error"]["code"] == "method_not_allowed"
