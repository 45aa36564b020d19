"""schemathesis against ``/openapi.json``: authenticated, a few thousand requests.

Every operation of the published document is called with generated inputs (valid ones
and invalid ones, half each) by a key of a tenant that owns real
objects; no answer may be a 5xx, and every status code, content type and body must be
one the document declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err

from cloudtap.app import create_app
from cloudtap.config import Settings
from tests.api.conftest import Tenant, make_tenant
from tests.api.conftest import settings as settings  # the fixture

EXAMPLES_PER_OPERATION = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[tuple[Any, Tenant]]:
    # Thousands of requests from one key: the rate limits are tested elsewhere.
    monkeypatch.setenv("CLOUDTAP_RATE_LIMIT_PER_SECOND", "0")
    monkeypatch.setenv("CLOUDTAP_ANONYMOUS_RATE_LIMIT_PER_SECOND", "0")
    tenant = make_tenant(settings, "Schemathesis")
    app = create_app(settings)
    with TestClient(app) as client:  # objects for the generated ids to run into
        user = client.post("/users", json={"identifier": "u"}, headers=tenant.headers).json()
        client.post(
            "/configs/webhook", json={"url": "https://hooks.example.com/x"}, headers=tenant.headers
        )
        client.post(
            "/sessions",
            json={
                "source": {"user": user["id"], "identifier": "a@example.com"},
                "payload": {"password": "pw"},
            },
            headers=tenant.headers,
        )
    yield app, tenant


def test_the_api_answers_as_its_openapi_document_says(api: tuple[Any, Tenant]) -> None:
    app, tenant = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    calls = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()

        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers={**tenant.headers}, checks=CHECKS)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # try all; report every failure
            failures[operation.label] = str(exc)[:1500]
    print(f"{calls} requests")
    assert calls > 2000
    assert not failures, "\n\n".join(f"{label}:\n{why}" for label, why in failures.items())
