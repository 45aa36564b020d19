"""Events delivered as signed webhooks to real HTTP receivers on 127.0.0.1.

Delivery runs in the job consumer with a fast backoff (``CLOUDTAP_WEBHOOK_BACKOFF_BASE``)
so retries take seconds; huey's scheduler wakes once a second, which bounds the pace.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudtap.app import create_app
from cloudtap.config import Settings, get_settings, set_settings
from cloudtap.jobs.queue import queue_for
from cloudtap.publish.events import emit
from cloudtap.publish.webhooks.signature import verify
from cloudtap.store.db import transaction
from cloudtap.store.models import Key
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user, wait_for
from tests.cli.serve_process import free_port
from tests.jobs.fake_connector import FakeConnector
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _fast_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_BACKOFF_BASE", "0.2")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_TIMEOUT", "0.5")


def create_webhook_config(client: TestClient, tenant: Tenant, url: str) -> dict[str, Any]:
    response = client.post("/configs/webhook", json={"url": url}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()


def config_state(client: TestClient, tenant: Tenant, config_id: str) -> str:
    state = client.get(f"/configs/webhook/{config_id}", headers=tenant.headers).json()["state"]
    return str(state)


def session_active_event(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    events = client.get(
        "/events", params={"type": "session", "action": "active"}, headers=tenant.headers
    ).json()["data"]
    assert len(events) == 1
    return events[0]


def event(client: TestClient, tenant: Tenant, event_id: str) -> dict[str, Any]:
    return client.get(f"/events/{event_id}", headers=tenant.headers).json()


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_events_are_signed_and_delivered_to_the_config(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    with WebhookReceiver() as receiver:
        config = create_webhook_config(client, tenant, receiver.url)
        # Creating a config queues its test delivery, which moves it to ``valid``.
        wait_for(lambda: config_state(client, tenant, config["id"]) == "valid")
        session = create_session(client, tenant, create_user(client, tenant)["id"])
        assert session["state"] == "active"
        delivered = wait_for(
            lambda: (e := session_active_event(client, tenant))["state"] == "delivered" and e
        )
    [attempt] = delivered["attempts"]
    assert attempt["status_code"] == 200 and attempt["error"] is None
    assert delivered["retries"] == 0 and delivered["date_delivered"]
    by_id = {r.path.rsplit("/", 1)[-1]: r for r in receiver.received}
    request = by_id[delivered["id"]]
    assert request.path == f"/webhooks/{delivered['id']}"
    assert request.headers["ricloud-event-id"] == delivered["id"]
    assert verify(config["secret"], request.body, request.headers["ricloud-signature"])
    body = json.loads(request.body)
    assert (body["type"], body["action"], body["data"]["id"]) == (
        "session",
        "active",
        session["id"],
    )
    # The test event went to the receiver too, and is listed as delivered.
    tests = client.get(
        "/events", params={"type": "webhook_config", "state": "delivered"}, headers=tenant.headers
    ).json()["data"]
    assert [t["id"] for t in tests] and tests[0]["id"] in by_id


def test_a_receiver_down_at_first_gets_the_event_later(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    port = free_port()
    config = create_webhook_config(client, tenant, f"http://127.0.0.1:{port}/webhooks")
    wait_for(lambda: config_state(client, tenant, config["id"]) == "invalid")
    create_session(client, tenant, create_user(client, tenant)["id"])
    event_id = session_active_event(client, tenant)["id"]
    wait_for(lambda: len(event(client, tenant, event_id)["attempts"]) >= 2)
    with WebhookReceiver(port=port) as receiver:
        delivered = wait_for(
            lambda: (e := event(client, tenant, event_id))["state"] == "delivered" and e
        )
    attempts = delivered["attempts"]
    assert 3 <= len(attempts) <= 5
    assert all(a["status_code"] is None and "Connect" in a["error"] for a in attempts[:2])
    assert attempts[-1]["status_code"] == 200
    assert delivered["retries"] == len(attempts) - 1
    assert [r.path for r in receiver.received] == [f"/webhooks/{event_id}"]


def test_a_receiver_that_never_answers_fails_after_five_attempts_then_redelivery(
    client: TestClient, tenant: Tenant, worker: FakeConnector, black_hole: int
) -> None:
    config = create_webhook_config(client, tenant, f"http://127.0.0.1:{black_hole}/webhooks")
    create_session(client, tenant, create_user(client, tenant)["id"])
    event_id = session_active_event(client, tenant)["id"]
    failed = wait_for(lambda: (e := event(client, tenant, event_id))["state"] == "failed" and e)
    attempts = failed["attempts"]
    assert len(attempts) == 5 and failed["retries"] == 5
    assert all(a["status_code"] is None and "Timeout" in a["error"] for a in attempts)
    assert failed["date_delivered"] is None
    listed = client.get("/events", params={"state": "failed"}, headers=tenant.headers).json()
    assert event_id in [e["id"] for e in listed["data"]]

    with WebhookReceiver() as receiver:
        moved = client.post(
            f"/configs/webhook/{config['id']}", json={"url": receiver.url}, headers=tenant.headers
        )
        assert moved.status_code == 200
        again = client.post(f"/events/{event_id}/redeliver", headers=tenant.headers)
        assert again.status_code == 200 and again.json()["state"] == "pending"
        delivered = wait_for(
            lambda: (e := event(client, tenant, event_id))["state"] == "delivered" and e
        )
    assert len(delivered["attempts"]) == 6 and delivered["attempts"][-1]["status_code"] == 200
    assert receiver.received[0].headers["ricloud-event-id"] == event_id


def test_the_keys_config_wins_over_the_organisation_default(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    with WebhookReceiver() as org_receiver, WebhookReceiver() as key_receiver:
        org_config = create_webhook_config(client, tenant, org_receiver.url)
        key_config = create_webhook_config(client, tenant, key_receiver.url)
        org = client.get("/organisation", headers=tenant.headers).json()
        assert org["webhook_config_default"] == org_config["id"]  # the first one created
        key = client.post("/key", json={"webhook_config": key_config["id"]}, headers=tenant.headers)
        assert key.status_code == 200, key.text
        create_session(client, tenant, create_user(client, tenant)["id"])
        event_id = session_active_event(client, tenant)["id"]
        wait_for(lambda: event(client, tenant, event_id)["state"] == "delivered")
    paths = [r.path for r in key_receiver.received]
    assert f"/webhooks/{event_id}" in paths
    assert f"/webhooks/{event_id}" not in [r.path for r in org_receiver.received]


def test_webhook_urls_are_checked_when_configured(client: TestClient, tenant: Tenant) -> None:
    for url in (
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "not a url",
        "http://example.com:99999/x",
    ):
        response = client.post("/configs/webhook", json={"url": url}, headers=tenant.headers)
        assert response.status_code == 400, url
        assert "url" in response.json()["params"]


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data", "http://10.1.2.3/x", "http://localhost:8080/x"],
)
def test_private_and_metadata_addresses_are_refused_at_save(
    client: TestClient, tenant: Tenant, url: str
) -> None:
    response = client.post("/configs/webhook", json={"url": url}, headers=tenant.headers)
    assert response.status_code == 400, response.text
    assert "url" in response.json()["params"]


def test_an_address_no_longer_allowed_is_refused_at_delivery(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant, worker: FakeConnector
) -> None:
    """Saved while the operator allowed it; once the allow-list changes, delivery is
    refused before any connection (the guard runs again at every attempt)."""
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_ALLOW_HOSTS", "10.1.2.3")
    set_settings(None)
    saved_under = get_settings()
    # The jobs read the settings of the moment: no longer allowed, before anything runs.
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    set_settings(None)
    with TestClient(create_app(saved_under)) as client:
        config = create_webhook_config(client, tenant, "http://10.1.2.3/x")
        wait_for(lambda: config_state(client, tenant, config["id"]) == "invalid")
        [test_event] = client.get("/events", headers=tenant.headers).json()["data"]
        [attempt] = test_event["attempts"]
        assert attempt["status_code"] is None and "private or reserved" in attempt["error"]


def test_no_delivery_job_is_queued_while_no_config_could_receive_it(
    client: TestClient, tenant: Tenant, fake_connector: FakeConnector
) -> None:
    """Each commit that records events queued a delivery job even with no webhook config
    anywhere (api-mix: several per poll, each reading its events to deliver nothing).
    Without a config the events stay pending, as before; once one is saved, the next
    commit's events are queued for delivery."""
    from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
    from cloudtap.jobs.queue import queue_for

    settings = get_settings()
    consumer = start_embedded_consumer(settings, workers=1)
    try:  # the login job runs; from here on, queued jobs stay in the queue to be counted
        session = create_session(client, tenant, create_user(client, tenant)["id"])
    finally:
        stop_consumer(consumer)
    queue = queue_for(settings)
    body = {"session": session["id"], "payload": {"data_types": ["fmip.devices"]}}

    def queued_by_a_poll() -> int:
        before = queue.pending_count()
        assert client.post("/polls", json=body, headers=tenant.headers).status_code == 201
        return int(queue.pending_count() - before)

    assert queued_by_a_poll() == 1  # its job's message only
    created = client.get("/events", params={"action": "created"}, headers=tenant.headers)
    assert [e["state"] for e in created.json()["data"]] == ["pending"]
    with WebhookReceiver() as receiver:
        create_webhook_config(client, tenant, receiver.url)
        assert queued_by_a_poll() == 2  # and the delivery of its "created" event


def _queued_deliveries(settings: Settings) -> list[Any]:
    """The webhook delivery jobs waiting on the job queue (nothing runs them here)."""
    return [
        queued
        for queued in queue_for(settings).pending()
        if queued.name in ("cloudtap.deliver_event", "cloudtap.deliver_events")
    ]


def _record_event(settings: Settings, tenant: Tenant) -> str:
    with transaction(settings.database_url) as db:
        key_id = db.scalars(
            select(Key.id).where(Key.organisation_id == tenant.organisation_id)
        ).one()
        return emit(db, tenant.organisation_id, key_id, "poll", "created", {}).id


def test_events_nobody_receives_queue_no_delivery_job(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    settings = get_settings()
    with WebhookReceiver() as receiver:
        create_webhook_config(client, tenant, receiver.url)
    before = len(_queued_deliveries(settings))
    # The organisation without a webhook config: its event is kept, no job queued for it
    # (a files poll records events with every commit; each job would take a job thread).
    unreceived = _record_event(settings, other_tenant)
    assert len(_queued_deliveries(settings)) == before
    assert event(client, other_tenant, unreceived)["state"] == "pending"
    # The organisation with one: its event's first attempt is queued.
    received = _record_event(settings, tenant)
    [queued] = _queued_deliveries(settings)[before:]
    assert queued.args[0] in (received, [received])
