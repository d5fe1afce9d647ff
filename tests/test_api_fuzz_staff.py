"""The API answers what schemathesis generates from its OpenAPI document as Rendatin and the Sekretaris."""
from __future__ import annotations

import pytest

from tests.api_fuzz import answers_every_generated_request_as_documented, api_schema  # noqa: F401 - a fixture


@pytest.mark.parametrize("role", ("rendatin", "sekretaris"))
def test_the_api_answers_every_generated_request_as_documented(api_schema, api_token, role):
    answers_every_generated_request_as_documented(api_schema, api_token, role)
