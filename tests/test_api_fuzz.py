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
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


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


def answers_every_generated_request_as_documented(api_schema, api_token, role: str) -> None:
    """Every operation, valid and invalid requests by the schema, as `role`; all findings reported at once (for each
    operation and mode the first failing request: Hypothesis stopped there, and so does the replay)."""
    headers = _token_of(role, api_token)
    failures: list[str] = []
    replay = bool(_DRAWN)
    for result in api_schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if replay:
                drawn = _DRAWN[(label, str(mode))]
                assert drawn, f"nothing drawn for {label} [{mode}]"
                for case in drawn:
                    try:
                        case.call_and_validate(headers=headers)
                    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
                        failures.append(f"{label} [{mode}]: {str(exc)[:1500]}")
                        break
                continue
            operation = _Recording(result.ok(), _DRAWN.setdefault((label, str(mode)), []))

            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case):
                case.call_and_validate(headers=headers)

            try:
                call()
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's finding, then fail once with all of them
                failures.append(f"{label} [{mode}]: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)




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
