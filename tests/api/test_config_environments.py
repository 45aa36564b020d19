"""Storage and webhook configs belong to an environment, like every other object.

A config belongs to the environment of the key that created it. A key of the other
environment cannot list, read, update, test or delete it (404, as for another
organisation's object), nor attach it to a key or make it the organisation's default
(the same 400 as an unknown id); delivery and result storage only ever use a config of
the event's or poll's own environment.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cloudtap.config import Settings
from cloudtap.jobs.webhooks import webhook_config_for
from cloudtap.publish.stores import default_store, publishing_store, results_config
from cloudtap.store.accounts import issue_key, key_for_token
from cloudtap.store.db import transaction
from cloudtap.store.models import Event, Key
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user, wait_for
from tests.jobs.fake_connector import FakeConnector
from tests.support.webhook_receiver import WebhookReceiver

S3_CONFIG = {
    "url": "s3://bucket/prefix",
    "credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "s"},
}
HOOK = {"url": "https://hooks.example.com/h"}


@pytest.fixture(autouse=True)
def _fast_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_BACKOFF_BASE", "0.2")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_TIMEOUT", "0.5")


def _live(settings: Settings, tenant: Tenant) -> Tenant:
    with transaction(settings.database_url) as db:
        return Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(params=["live-owns", "sandbox-owns"])
def sides(
    request: pytest.FixtureRequest, settings: Settings, tenant: Tenant
) -> tuple[Tenant, Tenant]:
    """(owner, intruder): two keys of one organisation, in different environments."""
    live = _live(settings, tenant)
    return (live, tenant) if request.param == "live-owns" else (tenant, live)


@pytest.fixture
def configs(client: TestClient, sides: tuple[Tenant, Tenant]) -> dict[str, str]:
    """One storage and one webhook config, made with the owner's key."""
    owner, _intruder = sides
    storage = _created(client.post("/configs/storage", json=S3_CONFIG, headers=owner.headers))
    webhook = _created(client.post("/configs/webhook", json=HOOK, headers=owner.headers))
    return {"storage": storage["id"], "webhook": webhook["id"]}


@pytest.mark.parametrize("kind", ["storage", "webhook"])
def test_retrieve_is_404_across_environments(
    client: TestClient, sides: tuple[Tenant, Tenant], configs: dict[str, str], kind: str
) -> None:
    owner, intruder = sides
    path = f"/configs/{kind}/{configs[kind]}"
    assert client.get(path, headers=owner.headers).status_code == 200
    response = client.get(path, headers=intruder.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not-found"


@pytest.mark.parametrize("kind", ["storage", "webhook"])
def test_lists_hide_the_other_environment(
    client: TestClient, sides: tuple[Tenant, Tenant], configs: dict[str, str], kind: str
) -> None:
    owner, intruder = sides
    mine = client.get(f"/configs/{kind}?limit=1000", headers=owner.headers).json()
    assert configs[kind] in {item["id"] for item in mine["data"]}
    theirs = client.get(f"/configs/{kind}?limit=1000", headers=intruder.headers).json()
    assert configs[kind] not in {item["id"] for item in theirs["data"]}
    assert theirs["total_count"] == 0
    cursor = client.get(f"/configs/{kind}?after_id={configs[kind]}", headers=intruder.headers)
    assert cursor.status_code == 400, cursor.text


def test_the_organisation_shows_only_the_callers_configs(
    client: TestClient, sides: tuple[Tenant, Tenant], configs: dict[str, str]
) -> None:
    owner, intruder = sides
    mine = client.get("/organisation", headers=owner.headers).json()
    assert [c["id"] for c in mine["storage_configs"]["data"]] == [configs["storage"]]
    assert [c["id"] for c in mine["webhook_configs"]["data"]] == [configs["webhook"]]
    theirs = client.get("/organisation", headers=intruder.headers)
    assert theirs.status_code == 200, theirs.text
    for value in configs.values():
        assert value not in theirs.text
    assert theirs.json()["storage_configs"]["data"] == []
    assert theirs.json()["webhook_configs"]["data"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/configs/storage/{storage}", {"signed_urls_enabled": True}),
        ("POST", "/configs/storage/{storage}", {"url": "s3://attacker/bucket"}),
        ("POST", "/configs/storage/{storage}", {"credentials": S3_CONFIG["credentials"]}),
        ("POST", "/configs/storage/{storage}/test", None),
        ("DELETE", "/configs/storage/{storage}", None),
        ("POST", "/configs/webhook/{webhook}", {"url": "https://evil.example.com/h"}),
        ("POST", "/configs/webhook/{webhook}/test", None),
        ("DELETE", "/configs/webhook/{webhook}", None),
    ],
)
def test_changes_are_404_across_environments(
    client: TestClient,
    sides: tuple[Tenant, Tenant],
    configs: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    owner, intruder = sides
    paths = {kind: f"/configs/{kind}/{config_id}" for kind, config_id in configs.items()}
    before = {kind: client.get(p, headers=owner.headers).json() for kind, p in paths.items()}
    tasks_before = client.get("/tasks?limit=1000", headers=owner.headers).json()["total_count"]
    response = client.request(method, path.format_map(configs), json=body, headers=intruder.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not-found"
    after = {kind: client.get(p, headers=owner.headers).json() for kind, p in paths.items()}
    assert after == before
    # No test task (which would carry the config, secret included) was made for anyone.
    assert client.get("/tasks?limit=1000", headers=owner.headers).json()["total_count"] == (
        tasks_before
    )
    assert client.get("/tasks?limit=1000", headers=intruder.headers).json()["total_count"] == 0


@pytest.mark.parametrize(
    ("path", "field", "kind"),
    [
        ("/key", "storage_config", "storage"),
        ("/key", "webhook_config", "webhook"),
        ("/keys", "storage_config", "storage"),
        ("/keys", "webhook_config", "webhook"),
        ("/organisation", "storage_config_default", "storage"),
        ("/organisation", "webhook_config_default", "webhook"),
    ],
)
def test_cannot_attach_the_other_environments_config(
    client: TestClient,
    sides: tuple[Tenant, Tenant],
    configs: dict[str, str],
    path: str,
    field: str,
    kind: str,
) -> None:
    owner, intruder = sides
    org_before = client.get("/organisation", headers=owner.headers).json()
    response = client.post(path, json={field: configs[kind]}, headers=intruder.headers)
    if path == "/organisation" and response.status_code == 403:
        # A sandbox key of an organisation with live keys chooses no defaults at all.
        assert response.json()["error"] == "live-key-required"
    else:
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid-parameter"
        assert field in response.json()["params"]
    key = client.get("/key", headers=intruder.headers).json()
    assert key["storage_config"] is None and key["webhook_config"] is None
    keys = client.get("/keys?limit=1000", headers=intruder.headers).json()["data"]
    assert all(k["storage_config"] is None and k["webhook_config"] is None for k in keys)
    assert client.get("/organisation", headers=owner.headers).json() == org_before


def test_a_live_key_cannot_give_a_new_sandbox_key_a_live_config(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    """The config must be of the environment of the key it is attached to, whoever asks."""
    live = _live(settings, tenant)
    storage = _created(client.post("/configs/storage", json=S3_CONFIG, headers=live.headers))
    webhook = _created(client.post("/configs/webhook", json=HOOK, headers=live.headers))
    for field, config in (("storage_config", storage), ("webhook_config", webhook)):
        response = client.post(
            "/keys", json={"environment": "sandbox", field: config["id"]}, headers=live.headers
        )
        assert response.status_code == 400, response.text
        assert field in response.json()["params"]
    made = client.post(
        "/keys", json={"environment": "live", "webhook_config": webhook["id"]}, headers=live.headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["webhook_config"] == webhook["id"]


def test_each_environment_manages_its_own_configs(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    """A config is its environment's own business: attach, change, test, delete."""
    live = _live(settings, tenant)
    for owner in (tenant, live):
        storage = _created(client.post("/configs/storage", json=S3_CONFIG, headers=owner.headers))
        webhook = _created(client.post("/configs/webhook", json=HOOK, headers=owner.headers))
        assert webhook["secret"]
        attached = client.post(
            "/key",
            json={"storage_config": storage["id"], "webhook_config": webhook["id"]},
            headers=owner.headers,
        )
        assert attached.status_code == 200, attached.text
        changed = client.post(
            f"/configs/webhook/{webhook['id']}",
            json={"url": "https://hooks.example.com/v2"},
            headers=owner.headers,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["secret"] == webhook["secret"]
        tested = client.post(f"/configs/webhook/{webhook['id']}/test", headers=owner.headers)
        assert tested.status_code == 201, tested.text
        gone = client.delete(f"/configs/storage/{storage['id']}", headers=owner.headers)
        assert gone.status_code == 200, gone.text


def test_the_default_applies_only_to_keys_of_its_environment(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    """One default field serves the organisation: live keys choose it once there are any,
    and a sandbox key is not shown, and does not fall back to, a live default."""
    live = _live(settings, tenant)
    storage = _created(client.post("/configs/storage", json=S3_CONFIG, headers=live.headers))
    webhook = _created(client.post("/configs/webhook", json=HOOK, headers=live.headers))
    org = client.get("/organisation", headers=live.headers).json()
    assert org["storage_config_default"] == storage["id"]
    assert org["webhook_config_default"] == webhook["id"]
    seen = client.get("/organisation", headers=tenant.headers).json()
    assert seen["storage_config_default"] is None and seen["webhook_config_default"] is None
    with transaction(settings.database_url) as db:
        sandbox_key = key_for_token(db, tenant.token)
        live_key = key_for_token(db, live.token)
        assert sandbox_key is not None and live_key is not None
        assert results_config(db, tenant.organisation_id, sandbox_key.id) is None
        found = results_config(db, tenant.organisation_id, live_key.id)
        assert found is not None and found.id == storage["id"]


def test_a_sandbox_poll_never_publishes_to_a_live_storage_config(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    live = _live(settings, tenant)
    storage = _created(client.post("/configs/storage", json=S3_CONFIG, headers=live.headers))
    with transaction(settings.database_url) as db:
        sandbox_key = key_for_token(db, tenant.token)
        assert sandbox_key is not None
        # Even a stale attachment (a row written before configs had an environment).
        db.execute(
            update(Key).where(Key.id == sandbox_key.id).values(storage_config_id=storage["id"])
        )
        db.flush()
        assert results_config(db, tenant.organisation_id, sandbox_key.id) is None
        store, config_id = publishing_store(db, settings, tenant.organisation_id, sandbox_key.id)
        assert config_id is None
        assert type(store) is type(default_store(settings))


def test_a_sandbox_event_never_goes_to_a_live_webhook_config(
    client: TestClient, settings: Settings, tenant: Tenant, worker: FakeConnector
) -> None:
    live = _live(settings, tenant)
    webhook = _created(client.post("/configs/webhook", json=HOOK, headers=live.headers))
    create_session(client, tenant, create_user(client, tenant, "sandbox-user")["id"])
    create_session(client, live, create_user(client, live, "live-user")["id"])
    with transaction(settings.database_url) as db:
        sandbox_key = key_for_token(db, tenant.token)
        live_key = key_for_token(db, live.token)
        assert sandbox_key is not None and live_key is not None
        sandbox_events = db.scalars(select(Event).where(Event.key_id == sandbox_key.id)).all()
        live_events = db.scalars(
            select(Event).where(Event.key_id == live_key.id, Event.type == "session")
        ).all()
        assert sandbox_events and live_events
        # The live default is the live events' destination and never the sandbox's.
        for live_event in live_events:
            found = webhook_config_for(db, live_event)
            assert found is not None and found.id == webhook["id"]
        for sandbox_event in sandbox_events:
            assert webhook_config_for(db, sandbox_event) is None
        # Nor through a stale attachment on the sandbox key.
        db.execute(
            update(Key).where(Key.id == sandbox_key.id).values(webhook_config_id=webhook["id"])
        )
        db.flush()
        for sandbox_event in sandbox_events:
            assert webhook_config_for(db, sandbox_event) is None


def _session_event(client: TestClient, owner: Tenant) -> dict[str, Any]:
    events = client.get(
        "/events", params={"type": "session", "action": "active"}, headers=owner.headers
    ).json()["data"]
    key_id = client.get("/key", headers=owner.headers).json()["id"]
    mine = [event for event in events if event["key"] == key_id]
    assert len(mine) == 1, events
    event: dict[str, Any] = mine[0]
    return event


def test_events_are_delivered_only_to_their_environments_receiver(
    client: TestClient, settings: Settings, tenant: Tenant, worker: FakeConnector
) -> None:
    """Real deliveries: the live default's receiver gets the live key's events and never a
    sandbox event; the sandbox key's own config gets its events; a second sandbox key with
    no config of its own falls back to no default (the default is live) and delivers
    nowhere."""
    live = _live(settings, tenant)
    with transaction(settings.database_url) as db:
        bare = Tenant(
            tenant.organisation_id, issue_key(db, tenant.organisation_id, "sandbox").token
        )
    with WebhookReceiver() as live_receiver, WebhookReceiver() as sandbox_receiver:
        live_hook = _created(
            client.post("/configs/webhook", json={"url": live_receiver.url}, headers=live.headers)
        )
        org = client.get("/organisation", headers=live.headers).json()
        assert org["webhook_config_default"] == live_hook["id"]
        sandbox_hook = _created(
            client.post(
                "/configs/webhook", json={"url": sandbox_receiver.url}, headers=tenant.headers
            )
        )
        attached = client.post(
            "/key", json={"webhook_config": sandbox_hook["id"]}, headers=tenant.headers
        )
        assert attached.status_code == 200, attached.text
        create_session(client, bare, create_user(client, bare, "bare-user")["id"])
        create_session(client, tenant, create_user(client, tenant, "sandbox-user")["id"])
        create_session(client, live, create_user(client, live, "live-user")["id"])
        bare_event = _session_event(client, bare)
        sandbox_event = wait_for(
            lambda: (e := _session_event(client, tenant))["state"] == "delivered" and e
        )
        live_event = wait_for(
            lambda: (e := _session_event(client, live))["state"] == "delivered" and e
        )
        live_paths = {r.path.rsplit("/", 1)[-1] for r in live_receiver.received}
        sandbox_paths = {r.path.rsplit("/", 1)[-1] for r in sandbox_receiver.received}
    assert live_event["id"] in live_paths and sandbox_event["id"] in sandbox_paths
    assert sandbox_event["id"] not in live_paths and bare_event["id"] not in live_paths
    assert live_event["id"] not in sandbox_paths
    assert [a["url"] for a in sandbox_event["attempts"]] == [
        f"{sandbox_receiver.url}/{sandbox_event['id']}"
    ]
    bare_now = client.get(f"/events/{bare_event['id']}", headers=bare.headers).json()
    assert bare_now["state"] == "pending" and bare_now["attempts"] == []
