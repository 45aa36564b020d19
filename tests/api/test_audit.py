"""The audit log: key, config and deletion actions, who/what/when, never a secret."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from cloudtap.config import Settings
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import transaction
from tests.api.conftest import Tenant
from tests.api.helpers import create_user

S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"


def audit(client: TestClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/audit", params={"limit": 100, **params}, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_key_config_and_deletion_actions_are_recorded_without_secrets(
    client: TestClient, tenant: Tenant
) -> None:
    me = client.get("/key", headers=tenant.headers).json()["id"]
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    rotated = client.post(f"/keys/{created['id']}/rotate", json=None, headers=tenant.headers)
    assert rotated.status_code == 200
    client.post(
        f"/keys/{created['id']}", json={"state": "deactivated"}, headers=tenant.headers
    ).raise_for_status()
    storage = client.post(
        "/configs/storage",
        json={
            "url": "s3://bucket/prefix",
            "credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": S3_SECRET},
        },
        headers=tenant.headers,
    ).json()
    webhook = client.post(
        "/configs/webhook", json={"url": "https://hooks.example.com/x"}, headers=tenant.headers
    ).json()
    assert client.delete(f"/configs/webhook/{webhook['id']}", headers=tenant.headers).is_success
    user = create_user(client, tenant)
    assert client.delete(f"/users/{user['id']}", headers=tenant.headers).is_success
    # Refused requests are not actions.
    assert client.delete("/configs/webhook/nope", headers=tenant.headers).status_code == 404

    entries = audit(client, tenant)
    assert [(e["action"], e["object_id"]) for e in reversed(entries)] == [
        ("key.created", created["id"]),
        ("key.rotated", created["id"]),
        ("key.updated", created["id"]),
        ("storage_config.created", storage["id"]),
        ("webhook_config.created", webhook["id"]),
        ("webhook_config.deleted", webhook["id"]),
        ("user.deleted", user["id"]),
    ]
    assert {e["key"] for e in entries} == {me}
    assert all(e["date_created"] and e["environment"] == "sandbox" for e in entries)
    by_action = {e["action"]: e for e in entries}
    assert by_action["storage_config.created"]["details"] == {"fields": ["credentials", "url"]}
    assert by_action["key.updated"]["details"] == {"fields": ["state"]}
    text = json.dumps(entries)
    for secret in (
        created["token"],
        rotated.json()["token"],
        tenant.token,
        S3_SECRET,
        webhook["secret"],
    ):
        assert secret not in text
    # Listed like other resources, and filterable.
    page = client.get("/audit", params={"limit": 2}, headers=tenant.headers).json()
    assert page["resource"] == "list" and page["has_more"] and page["total_count"] == 7
    assert [e["action"] for e in audit(client, tenant, action="key.rotated")] == ["key.rotated"]
    one = client.get(f"/audit/{entries[0]['id']}", headers=tenant.headers).json()
    assert one == entries[0]


def test_the_log_is_read_only_and_scoped(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, settings: Settings
) -> None:
    client.post("/keys", json={}, headers=tenant.headers).raise_for_status()
    entry = audit(client, tenant)[0]
    # Another organisation sees nothing of it.
    assert audit(client, other_tenant) == []
    assert client.get(f"/audit/{entry['id']}", headers=other_tenant.headers).status_code == 404
    # Append-only: no verb changes an entry.
    for method in ("POST", "DELETE"):
        answer = client.request(method, f"/audit/{entry['id']}", headers=tenant.headers)
        assert answer.status_code == 405
    # A live key sees sandbox keys' actions; a sandbox key does not see live ones.
    with transaction(settings.database_url) as db:
        live = Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)
    client.post("/configs/webhook", json={"url": "https://h.example.com/"}, headers=live.headers)
    assert {e["environment"] for e in audit(client, live)} == {"sandbox", "live"}
    assert {e["environment"] for e in audit(client, tenant)} == {"sandbox"}


def test_a_replayed_request_is_not_a_second_action(client: TestClient, tenant: Tenant) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "one-key"}
    for _ in range(3):
        assert client.post("/keys", json={}, headers=headers).status_code == 201
    assert [e["action"] for e in audit(client, tenant)] == ["key.created"]
