"""Per-key ceilings on logins in progress and open polls: 429 with a clear error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.jobs.fake_connector import FakeConnector


def start_login(client: TestClient, tenant: Tenant, user_id: str, apple_id: str) -> int:
    body = {
        "source": {"user": user_id, "type": "icloud.account", "identifier": apple_id},
        "payload": {"password": "pw"},
    }
    response = client.post("/sessions", json=body, headers=tenant.headers)
    return response.status_code


def test_logins_in_progress_per_key_are_capped(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    monkeypatch.setenv("CLOUDTAP_MAX_PENDING_SESSIONS_PER_KEY", "2")
    user = create_user(client, tenant)["id"]
    # No worker runs: every login stays pending.
    assert [start_login(client, tenant, user, f"a{n}@example.com") for n in range(2)] == [201, 201]
    body = {
        "source": {"user": user, "type": "icloud.account", "identifier": "a3@example.com"},
        "payload": {"password": "pw"},
    }
    refused = client.post("/sessions", json=body, headers=tenant.headers)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too-many-sessions"
    assert refused.json()["params"] == {"limit": 2}
    other_user = create_user(client, other_tenant)["id"]
    assert start_login(client, other_tenant, other_user, "b@example.com") == 201


def test_open_polls_per_key_are_capped(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    client: TestClient,
    tenant: Tenant,
    fake_connector: FakeConnector,
) -> None:
    monkeypatch.setenv("CLOUDTAP_MAX_OPEN_POLLS_PER_KEY", "2")
    consumer = start_embedded_consumer(settings, workers=1)
    try:
        session = create_session(client, tenant, create_user(client, tenant)["id"])
        assert session["state"] == "active"
    finally:
        stop_consumer(consumer)
    body = {"session": session["id"], "payload": {"info_types": ["*"]}}
    # The worker has stopped: the polls stay pending.
    assert [client.post("/polls", json=body, headers=tenant.headers).status_code for _ in "ab"] == [
        201,
        201,
    ]
    refused = client.post("/polls", json=body, headers=tenant.headers)
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "too-many-polls",
        "message": "This key already has 2 polls pending or processing; retry once some finish.",
        "params": {"limit": 2},
    }
