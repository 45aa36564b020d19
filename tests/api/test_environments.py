"""The environment boundary: a key of one environment never sees or touches the other's.

Sandbox and live share an organisation but not their data (Stripe's test/live modes,
Plaid's environments): keys, users, sources, sessions, subscriptions, polls, tasks,
results and events of the other environment are a 404 exactly like another
organisation's, for every verb, and cannot be referenced when creating objects.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloudtap.config import Settings
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import transaction
from tests.api.conftest import Tenant
from tests.api.helpers import AWAIT, create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, PASSWORD, FakeConnector

PER_ENVIRONMENT = [
    "keys",
    "users",
    "sources",
    "sessions",
    "subscriptions",
    "polls",
    "tasks",
    "results",
    "events",
]


def _objects_of(client: TestClient, owner: Tenant) -> dict[str, str]:
    """One object of every per-environment resource, made with ``owner``'s key."""
    user = create_user(client, owner, "env-user")
    session = create_session(client, owner, user["id"])
    assert session["state"] == "active", session
    poll = create_poll(client, owner, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    assert poll["state"] == "completed", poll
    subscription = client.post(
        "/subscriptions",
        json={
            "session": session["id"],
            "poll_payload": {"info_types": ["*"]},
            "date_start": "2999-01-01T00:00:00Z",
        },
        headers=owner.headers,
    )
    assert subscription.status_code == 201, subscription.text
    events = client.get("/events", headers=owner.headers).json()["data"]
    return {
        "keys": client.get("/key", headers=owner.headers).json()["id"],
        "users": user["id"],
        "sources": session["source"]["id"],
        "sessions": session["id"],
        "subscriptions": subscription.json()["id"],
        "polls": poll["id"],
        "tasks": poll["tasks_succeeded"][0],
        "results": poll["results"]["data"][0]["id"],
        "events": events[0]["id"],
    }


@pytest.fixture(params=["live-owns", "sandbox-owns"])
def sides(
    request: pytest.FixtureRequest, settings: Settings, tenant: Tenant
) -> tuple[Tenant, Tenant]:
    """(owner, intruder): two keys of one organisation, in different environments."""
    with transaction(settings.database_url) as db:
        live = Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)
    return (live, tenant) if request.param == "live-owns" else (tenant, live)


@pytest.fixture
def world(
    client: TestClient, sides: tuple[Tenant, Tenant], worker: FakeConnector
) -> tuple[Tenant, Tenant, dict[str, str]]:
    owner, intruder = sides
    return owner, intruder, _objects_of(client, owner)


def test_keys_are_of_both_environments(sides: tuple[Tenant, Tenant]) -> None:
    owner, intruder = sides
    assert {owner.token[:8], intruder.token[:8]} == {"ct_live_", "ct_sandb"}


@pytest.mark.parametrize("resource", PER_ENVIRONMENT)
def test_retrieve_is_404_across_environments(
    client: TestClient, world: tuple[Tenant, Tenant, dict[str, str]], resource: str
) -> None:
    owner, intruder, objects = world
    path = f"/{resource}/{objects[resource]}"
    assert client.get(path, headers=owner.headers).status_code == 200
    response = client.get(path, headers=intruder.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not-found"


@pytest.mark.parametrize("resource", PER_ENVIRONMENT)
def test_lists_hide_the_other_environment(
    client: TestClient, world: tuple[Tenant, Tenant, dict[str, str]], resource: str
) -> None:
    owner, intruder, objects = world
    mine = client.get(f"/{resource}?limit=1000", headers=owner.headers).json()
    assert objects[resource] in {item["id"] for item in mine["data"]}
    theirs = client.get(f"/{resource}?limit=1000", headers=intruder.headers).json()
    assert objects[resource] not in {item["id"] for item in theirs["data"]}
    cursor = client.get(f"/{resource}?after_id={objects[resource]}", headers=intruder.headers)
    assert cursor.status_code == 400, cursor.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/keys/{keys}", {"state": "deactivated"}),
        ("POST", "/keys/{keys}", {"config": {"publish_source_files": True}}),
        ("POST", "/keys/{keys}/rotate", None),
        ("POST", "/users/{users}", {"identifier": "stolen"}),
        ("DELETE", "/users/{users}", None),
        ("POST", "/sources/{sources}", {"state": "deactivated"}),
        ("DELETE", "/sessions/{sessions}", None),
        ("DELETE", "/subscriptions/{subscriptions}", None),
        ("POST", "/results/{results}/ack", None),
        ("GET", "/results/{results}/ack", None),
        ("POST", "/results/ack", {"ids": ["{results}"]}),
        ("POST", "/events/{events}/redeliver", None),
    ],
)
def test_changes_are_404_across_environments(
    client: TestClient,
    world: tuple[Tenant, Tenant, dict[str, str]],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    owner, intruder, objects = world
    url = path.format_map(objects)
    if body is not None and "ids" in body:
        body = {"ids": [objects["results"]]}
    before = {r: client.get(f"/{r}/{objects[r]}", headers=owner.headers).json() for r in objects}
    response = client.request(method, url, json=body, headers=intruder.headers)
    assert response.status_code == 404, response.text
    # Nothing changed: the owner's key still works and every object reads the same.
    after = {r: client.get(f"/{r}/{objects[r]}", headers=owner.headers).json() for r in objects}
    for resource in ("keys", "users", "sources", "sessions", "subscriptions", "results"):
        assert after[resource] == before[resource], resource


def test_rotating_the_other_environments_key_mints_nothing(
    client: TestClient, world: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    owner, intruder, objects = world
    response = client.post(f"/keys/{objects['keys']}/rotate", headers=intruder.headers)
    assert response.status_code == 404
    assert "token" not in response.json()
    assert client.get("/key", headers=owner.headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/polls", {"session": "{sessions}", "payload": {"info_types": ["*"]}}, "session"),
        (
            "/subscriptions",
            {"session": "{sessions}", "poll_payload": {"info_types": ["*"]}},
            "session",
        ),
        ("/sessions", {"source": "{sources}", "payload": {"password": PASSWORD}}, "source"),
        (
            "/sessions",
            {
                "source": {"user": "{users}", "identifier": "plain@example.com"},
                "payload": {"password": PASSWORD},
            },
            "source.user",
        ),
        ("/sources", {"user": "{users}", "identifier": "x@example.com"}, "user"),
    ],
)
def test_cannot_reference_the_other_environments_objects(
    client: TestClient,
    world: tuple[Tenant, Tenant, dict[str, str]],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    _owner, intruder, objects = world
    filled = _fill(body, objects)
    response = client.post(path, json=filled, headers={**intruder.headers, **AWAIT})
    assert response.status_code == 400, response.text
    assert field in response.json()["params"], response.text


def test_own_session_cannot_be_polled_with_the_other_environments_source_or_subscription(
    client: TestClient, world: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    _owner, intruder, objects = world
    user = create_user(client, intruder, "intruder-user")
    session = create_session(client, intruder, user["id"])
    for extra, field in (
        ({"source": objects["sources"]}, "source"),
        ({"subscription": objects["subscriptions"]}, "subscription"),
    ):
        response = client.post(
            "/polls",
            json={"session": session["id"], "payload": {"info_types": ["*"]}, **extra},
            headers=intruder.headers,
        )
        assert response.status_code == 400, response.text
        assert field in response.json()["params"]


def test_user_identifier_of_the_other_environment_is_refused(
    client: TestClient, world: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    _owner, intruder, objects = world
    # One identifier names one user per organisation, so the other side is refused,
    # never handed the owner's user.
    response = client.post("/users", json={"identifier": "env-user"}, headers=intruder.headers)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "identifier-in-use"
    assert objects["users"] not in response.text


def _fill(body: Any, objects: dict[str, str]) -> Any:
    if isinstance(body, str):
        return body.format_map(objects) if body.startswith("{") else body
    if isinstance(body, dict):
        return {k: _fill(v, objects) for k, v in body.items()}
    return body


# Configs belong to an environment too: every verb and attach path across environments
# is walked in tests/api/test_config_environments.py. The defaults are the live keys'.

S3_CONFIG = {
    "url": "s3://bucket/prefix",
    "credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "s"},
}


@pytest.fixture
def live(settings: Settings, tenant: Tenant) -> Tenant:
    with transaction(settings.database_url) as db:
        return Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def test_sandbox_configs_stay_the_sandbox_keys_own_business(
    client: TestClient, tenant: Tenant, live: Tenant
) -> None:
    """A sandbox key's new config does not become the default live keys fall back to; it
    can attach it to itself and change or delete it freely."""
    mine = _created(client.post("/configs/storage", json=S3_CONFIG, headers=tenant.headers))
    org = client.get("/organisation", headers=live.headers).json()
    assert org["storage_config_default"] is None
    attached = client.post("/key", json={"storage_config": mine["id"]}, headers=tenant.headers)
    assert attached.status_code == 200, attached.text
    updated = client.post(
        f"/configs/storage/{mine['id']}", json={"signed_urls_enabled": True}, headers=tenant.headers
    )
    assert updated.status_code == 200, updated.text
    assert (
        client.delete(f"/configs/storage/{mine['id']}", headers=tenant.headers).status_code == 200
    )
    chosen = client.post(
        "/organisation", json={"storage_config_default": None, "name": "x"}, headers=tenant.headers
    )
    assert chosen.status_code == 200, chosen.text
