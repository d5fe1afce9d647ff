"""The outside fuzzer on the JSON API: schemathesis reads /api/v1/openapi.json from the app itself, generates
requests for every operation (valid and invalid by the schema) as one role, and checks each answer: never a server
error, only documented statuses, bodies and headers as documented. Its example count is bounded (FUZZ_EXAMPLES) so
the suite stays fast; a nightly run can raise it. Shared by test_api_fuzz.py (the ASN, the Kasubag) and
test_api_fuzz_staff.py (Rendatin, the Sekretaris): two files, so the two halves run on two xdist workers."""
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


def answers_every_generated_request_as_documented(api_schema, api_token, role: str) -> None:
    """Every operation, valid and invalid requests by the schema, as `role`; all findings reported at once."""
    headers = _token_of(role, api_token)
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case):
                case.call_and_validate(headers=headers)

            try:
                call()
            except (Exception, ExceptionGroup) as exc:  # collect every operation's finding, then fail once with all of them
                failures.append(f"{operation.label} [{mode}]: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
