"""Keys are remembered briefly after a lookup (``cloudtap.api.auth``); a key rotated or
deactivated through this process must stop working at once all the same."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Tenant


def _status(client: TestClient, token: str) -> int:
    return client.get("/key", headers={"Authorization": f"Token {token}"}).status_code


def test_a_used_then_rotated_token_stops_working_at_once(
    client: TestClient, tenant: Tenant
) -> None:
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    assert _status(client, created["token"]) == 200  # now remembered
    rotated = client.post(f"/keys/{created['id']}/rotate", json={}, headers=tenant.headers).json()
    assert _status(client, created["token"]) == 401
    assert _status(client, rotated["token"]) == 200


def test_a_used_then_deactivated_key_stops_working_at_once(
    client: TestClient, tenant: Tenant
) -> None:
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    assert _status(client, created["token"]) == 200
    changed = client.post(
        f"/keys/{created['id']}", json={"state": "deactivated"}, headers=tenant.headers
    )
    assert changed.status_code == 200
    assert _status(client, created["token"]) == 401
