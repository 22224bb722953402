"""Property-based fuzzing of the hub's own OpenAPI description with schemathesis, over real HTTP.

Every operation the hub documents gets requests generated from its schema — valid ones and ones
that break it (wrong types, missing fields, junk strings) — with a device token and without. Any
5xx, any status the description does not list, any body or header outside the documented schema,
and any schema-breaking request the hub accepts fails the test. Bounded to about half a minute per
database (SQLite here, PostgreSQL too when TANDEM_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import MENTEE, MENTOR, World

EXAMPLES = 20  # per operation and mode, with a device token (without one, most requests stop at 401)
EXAMPLES_NO_TOKEN = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, base_url: str,
          headers: dict[str, str], examples: int) -> int:
    """Run `examples` generated requests against one operation; the number of requests made."""
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
    sent = [0]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        sent[0] += 1
        delivered = {key for key, _ in parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)}
        # requests drops a query value of None or []: the schema-breaking part of such a case never left
        # the test, and the hub cannot refuse what it did not receive.
        lost = mode is GenerationMode.NEGATIVE and delivered != set(case.query or {})
        case.validate_response(response, checks=CHECKS if lost else checks, headers=headers)

    run()
    return sent[0]


def _operations(raw: dict[str, Any]) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in schemathesis.openapi.from_dict(raw).get_all_operations()]


def _without_header_parameters(raw: dict[str, Any]) -> dict[str, Any]:
    stripped = {**raw, "paths": {}}
    for path, operations in raw["paths"].items():
        stripped["paths"][path] = {
            method: {**op, "parameters": [p for p in op.get("parameters", []) if p.get("in") != "header"]}
            for method, op in operations.items()}
    return stripped


@pytest.mark.slow  # 25–40 s per database: thousands of generated requests
def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(world: World) -> None:
    alice = world.device(world.structure())
    mentor, mentee = alice.create("mentor", MENTOR), alice.create("mentee", MENTEE)
    alice.push(mentor, mentee, alice.update(mentor, {"capacity": 2}))  # something to pull and sum up
    raw = httpx.get(f"{world.url}/openapi.json", timeout=30).json()
    token_run = _operations(_without_header_parameters(raw))
    operations = _operations(raw)
    assert {op.label for op in operations} == {"GET /v1/hello", "POST /v1/enroll", "GET /v1/device",
                                               "POST /v1/push", "GET /v1/pull", "GET /v1/summary",
                                               "GET /v1/history", "GET /v1/rules", "POST /v1/charters",
                                               "GET /v1/charters", "GET /v1/charters/verify/{number}",
                                               "GET /v1/blobs/{sha256}", "PUT /v1/blobs/{sha256}/chunks/{index}",
                                               "GET /v1/blobs/{sha256}/chunks/{index}"}
    started, sent = time.monotonic(), 0
    # With a token the protocol header is right too, so requests reach validation; without, both are fuzzed.
    # With a token the headers are given, not generated (a header mutation would be undone by them);
    # without one, both headers are fuzzed too.
    for headers in ({"Authorization": f"Bearer {alice.token}", "Tandem-Protocol": "4"}, {}):
        for operation in (token_run if headers else operations):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if mode is GenerationMode.NEGATIVE and operation.label == "GET /v1/hello":
                    continue  # no parameter, no body: nothing to break
                sent += _fuzz(operation, mode, world.url, headers, EXAMPLES if headers else EXAMPLES_NO_TOKEN)
    print(f"fuzz: {sent} requests in {time.monotonic() - started:.1f} s")
    assert sent >= (len(operations) * 2 - 1) * (EXAMPLES + EXAMPLES_NO_TOKEN) // 2
    # The hub still serves honest requests afterwards.
    assert alice.push(alice.create("mentor", MENTOR))["results"][0]["status"] == "applied"


@pytest.mark.parametrize("path", ["/v1/push", "/v1/hello"])
def test_a_wrong_method_gets_405_with_allow(world: World, path: str) -> None:

    response = httpx.delete(f"{world.url}{path}", timeout=30)
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed" and "Méthode non permise" in response.json()["message"]
    assert response.headers["allow"] in ("POST", "GET, HEAD", "GET")


def test_an_unknown_query_parameter_is_refused_not_ignored(world: World) -> None:
    """What schemathesis found: GET /v1/pull?junk=1 answered 200, as if the parameter meant something."""
    device = world.device(world.structure(), protocol=4)
    for path in ("/v1/pull?cursor=0&M9%C3%8B=408", "/v1/summary?seq=3", "/v1/device?x=1", "/v1/hello?%1B=1"):
        response = device.http.get(path, headers=device.headers())
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"] == "bad_request" and "Paramètre inconnu" in response.json()["message"]
        assert "\x1b" not in response.text
    assert device.http.get("/v1/pull?cursor=0&limit=10", headers=device.headers()).status_code == 200


def test_a_malformed_device_table_is_refused_at_every_protocol(world: World) -> None:
    """What schemathesis found: a protocol 4 push with `devices: {"k": []}` and no ops answered 200."""
    for protocol in (4, 5):
        device = world.device(world.structure(), protocol=protocol)
        for table in ({"k": []}, {"1": 5}, []):
            response = device.http.post("/v1/push", json={"ops": [], "devices": table},
                                        headers=device.headers())
            assert response.status_code == 400, (protocol, table, response.text)
            assert response.json()["error"] == "bad_request"
