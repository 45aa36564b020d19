"""Webhook receivers that never answer hold no job thread: logins and polls go on."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from tests.api.conftest import Tenant
from tests.api.helpers import PASSWORD, create_user
from tests.jobs.fake_connector import FakeConnector

RECEIVER_TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def _slow_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the settings are read: loopback receivers, a timeout longer than a login."""
    monkeypatch.setenv("CLOUDTAP_OUTBOUND_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_TIMEOUT", str(RECEIVER_TIMEOUT))


@pytest.fixture
def black_holes() -> Iterator[list[socket.socket]]:
    """Three listeners that accept connections and never answer."""
    sockets = [socket.create_server(("127.0.0.1", 0), backlog=16) for _ in range(3)]
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def connected(listener: socket.socket, within: float) -> socket.socket:
    """The first connection a listener receives (held open, never answered)."""
    listener.settimeout(within)
    connection, _ = listener.accept()
    return connection


def test_config_tests_of_black_holes_leave_the_job_thread_free(
    settings: Settings,
    client: TestClient,
    tenant: Tenant,
    fake_connector: FakeConnector,
    black_holes: list[socket.socket],
) -> None:
    consumer = start_embedded_consumer(settings, workers=1)  # one job thread in all
    try:
        configs = []
        for listener in black_holes:
            port = listener.getsockname()[1]
            created = client.post(
                "/configs/webhook",
                json={"url": f"http://127.0.0.1:{port}/hooks"},
                headers=tenant.headers,
            )
            assert created.status_code == 201
            configs.append(created.json()["id"])
        # Every config test has reached its receiver (and now waits on it) before the login.
        held = [connected(listener, within=30) for listener in black_holes]
        user = create_user(client, tenant)["id"]
        started = time.monotonic()
        session = client.post(
            "/sessions",
            json={
                "source": {"user": user, "type": "icloud.account", "identifier": "a@example.com"},
                "payload": {"password": PASSWORD},
            },
            headers={**tenant.headers, "Ricloud-Await": "30"},
        ).json()
        took = time.monotonic() - started
        assert session["state"] == "active"
        assert took < RECEIVER_TIMEOUT / 2, f"the login waited {took:.1f}s behind receivers"
        # The tests themselves still end, as failures of the receivers.
        deadline = time.monotonic() + 3 * RECEIVER_TIMEOUT
        states: list[str] = []
        while time.monotonic() < deadline:
            states = [
                client.get(f"/configs/webhook/{c}", headers=tenant.headers).json()["state"]
                for c in configs
            ]
            if all(state == "invalid" for state in states):
                break
            time.sleep(0.2)
        assert states == ["invalid"] * 3
        for connection in held:
            connection.close()
    finally:
        stop_consumer(consumer)
