"""Another organisation's objects do not exist for the caller: 404, absent from lists."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, FakeConnector


@pytest.fixture(autouse=True)
def _loopback_webhooks_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook below points at loopback (nothing listens), so the operator allows it."""
    monkeypatch.setenv("CLOUDTAP_OUTBOUND_ALLOW_HOSTS", "127.0.0.1")


@pytest.fixture
def owned(client: TestClient, tenant: Tenant, worker: FakeConnector) -> dict[str, str]:
    """One object of every resource, all belonging to ``tenant``."""
    user = create_user(client, tenant)
    session = create_session(client, tenant, user["id"])
    assert session["state"] == "active"
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    assert poll["state"] == "completed"
    storage = client.post(
        "/configs/storage",
        json={"url": "s3://b/p", "credentials": {"access_key_id": "a", "secret_access_key": "s"}},
        headers=tenant.headers,
    )
    webhook = client.post(
        "/configs/webhook", json={"url": "http://127.0.0.1:9/hook"}, headers=tenant.headers
    )
    permissions = client.post("/permissions", json={"identifier": "p"}, headers=tenant.headers)
    key = client.post("/keys", json={}, headers=tenant.headers)
    subscription = client.post(
        "/subscriptions",
        json={
            "session": session["id"],
            "poll_payload": {"info_types": ["*"]},
            "date_start": "2999-01-01T00:00:00Z",
        },
        headers=tenant.headers,
    )
    events = client.get("/events", headers=tenant.headers).json()["data"]
    return {
        "users": user["id"],
        "sources": session["source"]["id"],
        "sessions": session["id"],
        "polls": poll["id"],
        "tasks": poll["tasks_succeeded"][0],
        "results": poll["results"]["data"][0]["id"],
        "events": events[0]["id"],
        "configs/storage": storage.json()["id"],
        "configs/webhook": webhook.json()["id"],
        "permissions": permissions.json()["id"],
        "keys": key.json()["id"],
        "subscriptions": subscription.json()["id"],
    }


RESOURCES = [
    "users",
    "sources",
    "sessions",
    "polls",
    "tasks",
    "results",
    "events",
    "configs/storage",
    "configs/webhook",
    "permissions",
    "keys",
    "subscriptions",
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_retrieve_is_404_for_other_organisation(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, owned: dict[str, str], resource: str
) -> None:
    path = f"/{resource}/{owned[resource]}"
    assert client.get(path, headers=tenant.headers).status_code == 200
    response = client.get(path, headers=other_tenant.headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not-found"


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_hide_other_organisation(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, owned: dict[str, str], resource: str
) -> None:
    mine = client.get(f"/{resource}?limit=1000", headers=tenant.headers).json()
    assert owned[resource] in {item["id"] for item in mine["data"]}
    theirs = client.get(f"/{resource}?limit=1000", headers=other_tenant.headers).json()
    assert owned[resource] not in {item["id"] for item in theirs["data"]}
    # A cursor naming another organisation's object is unknown too.
    cursor = client.get(f"/{resource}?after_id={owned[resource]}", headers=other_tenant.headers)
    assert cursor.status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users/{users}", {"identifier": "stolen"}),
        ("/sources/{sources}", {"state": "deactivated"}),
        ("/keys/{keys}", {"config": {"publish_source_files": True}}),
        ("/keys/{keys}/rotate", {}),
        ("/configs/storage/{configs/storage}", {"signed_urls_enabled": True}),
        ("/configs/webhook/{configs/webhook}", {"url": "http://example.com/x"}),
        ("/configs/storage/{configs/storage}/test", None),
        ("/configs/webhook/{configs/webhook}/test", None),
        ("/permissions/{permissions}", {"scopes": {}}),
        ("/results/{results}/ack", None),
    ],
)
def test_updates_and_actions_are_404_for_other_organisation(
    client: TestClient,
    other_tenant: Tenant,
    owned: dict[str, str],
    path: str,
    body: dict[str, Any] | None,
) -> None:
    url = path.format_map(owned)
    response = client.post(url, json=body, headers=other_tenant.headers)
    assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/users/{users}",
        "/sessions/{sessions}",
        "/configs/storage/{configs/storage}",
        "/configs/webhook/{configs/webhook}",
    ],
)
def test_deletes_are_404_for_other_organisation(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, owned: dict[str, str], path: str
) -> None:
    url = path.format_map(owned)
    assert client.delete(url, headers=other_tenant.headers).status_code == 404
    assert client.get(url, headers=tenant.headers).status_code == 200


def test_cannot_reference_other_organisation_objects(
    client: TestClient, other_tenant: Tenant, owned: dict[str, str]
) -> None:
    poll = client.post(
        "/polls",
        json={"session": owned["sessions"], "payload": {"info_types": ["*"]}},
        headers=other_tenant.headers,
    )
    assert poll.status_code == 400
    session = client.post(
        "/sessions",
        json={"source": owned["sources"], "payload": {"password": "x"}},
        headers=other_tenant.headers,
    )
    assert session.status_code == 400
    source = client.post(
        "/sources",
        json={"user": owned["users"], "identifier": "a@b.c"},
        headers=other_tenant.headers,
    )
    assert source.status_code == 400
    key = client.post(
        "/keys", json={"webhook_config": owned["configs/webhook"]}, headers=other_tenant.headers
    )
    assert key.status_code == 400
    org = client.post(
        "/organisation",
        json={"storage_config_default": owned["configs/storage"]},
        headers=other_tenant.headers,
    )
    assert org.status_code == 400
    ack = client.post(
        "/results/ack", json={"ids": [owned["results"]]}, headers=other_tenant.headers
    )
    assert ack.status_code == 404


def test_signed_download_link_is_bound_to_its_result(
    client: TestClient, tenant: Tenant, owned: dict[str, str]
) -> None:
    result = client.get(f"/results/{owned['results']}", headers=tenant.headers).json()
    link = result["signed_url"]["url"]
    assert client.get(link).status_code == 200
    forged = link.replace(owned["results"], owned["tasks"])
    assert client.get(forged).status_code == 403


def test_organisation_is_the_callers_own(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = client.get("/organisation", headers=tenant.headers).json()
    theirs = client.get("/organisation", headers=other_tenant.headers).json()
    assert mine["id"] == tenant.organisation_id
    assert theirs["id"] == other_tenant.organisation_id
