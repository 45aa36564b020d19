"""The ``mocks.mock`` test source answers made-up data: live keys may not open it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cloudtap.config import Settings
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import transaction
from tests.api.conftest import Tenant
from tests.api.helpers import create_user


def _live(settings: Settings, tenant: Tenant) -> Tenant:
    with transaction(settings.database_url) as db:
        return Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)


def test_live_keys_cannot_open_the_mock_source(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    live = _live(settings, tenant)
    user = create_user(client, live, "live-user")["id"]
    for path, body, field in [
        ("/sources", {"user": user, "type": "mocks.mock", "identifier": "m@x.y"}, "type"),
        (
            "/sessions",
            {
                "source": {"user": user, "type": "mocks.mock", "identifier": "m@x.y"},
                "payload": {"password": "x"},
            },
            "source.type",
        ),
    ]:
        answer = client.post(path, json=body, headers=live.headers)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid-parameter"
        assert "sandbox keys only" in answer.json()["params"][field]
    sandbox_user = create_user(client, tenant, "sandbox-user")["id"]
    made = client.post(
        "/sources",
        json={"user": sandbox_user, "type": "mocks.mock", "identifier": "m@x.y"},
        headers=tenant.headers,
    )
    assert made.status_code == 201 and made.json()["type"] == "mocks.mock"
