"""The API answers what schemathesis generates from its OpenAPI document as the ASN and the Kasubag (Rendatin and
the Sekretaris: test_api_fuzz_staff.py), and the document itself is valid."""
from __future__ import annotations

import pytest
import schemathesis

from tests.api_fuzz import answers_every_generated_request_as_documented, api_schema  # noqa: F401 - a fixture


@pytest.mark.parametrize("role", ("asn", "kasubag"))
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
