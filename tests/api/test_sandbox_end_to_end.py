"""The job layer with the real iCloud connector against the built-in sandbox (no fakes).

Proves the seam: sandbox keys reach the sandbox through ``connector_for`` and the
sandbox's proxy and CA, sessions and polls settle, and files stream into results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloudtap.app import create_app
from cloudtap.cli.runtime import start_sandbox, stop_sandbox
from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from tests.api.conftest import Tenant, make_tenant

DOMAIN = "sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
AWAIT = {"Ricloud-Await": "30"}


@pytest.fixture
def live_client(settings: Settings) -> Iterator[tuple[TestClient, Tenant]]:
    running = start_sandbox(settings)
    consumer = start_embedded_consumer(settings)
    try:
        with TestClient(create_app(settings)) as client:
            yield client, make_tenant(settings, "Acme")
    finally:
        stop_consumer(consumer)
        stop_sandbox(running)


def _session(client: TestClient, tenant: Tenant, user: str, apple_id: str, **payload: str) -> dict:
    body = {
        "source": {"user": user, "type": "icloud.account", "identifier": apple_id},
        "payload": {"password": PASSWORD, **payload},
    }
    return client.post("/sessions", json=body, headers={**tenant.headers, **AWAIT}).json()


def test_sandbox_login_poll_and_file(live_client: tuple[TestClient, Tenant]) -> None:
    client, tenant = live_client
    user = client.post("/users", json={"identifier": "me"}, headers=tenant.headers).json()["id"]
    session = _session(client, tenant, user, f"no2fa@{DOMAIN}")
    assert session["state"] == "active", session

    poll = client.post(
        "/polls",
        json={"session": session["id"], "payload": {"data_types": ["icpl.photos"]}},
        headers={**tenant.headers, **AWAIT},
    ).json()
    assert poll["state"] == "completed" and poll["tasks_failed"] == []
    [photos] = poll["results"]["data"]
    items = json.loads(Path(photos["url"].removeprefix("local://")).read_bytes())["data"]
    assert items and items[0]["files"]

    file_id = items[0]["files"][0]["id"]
    files = client.post(
        "/polls",
        json={"session": session["id"], "payload": {"files": [file_id]}},
        headers={**tenant.headers, **AWAIT},
    ).json()
    [stored] = files["results"]["data"]
    downloaded = client.get(stored["signed_url"]["url"]).content
    assert len(downloaded) == stored["size"] > 0
    assert hashlib.md5(downloaded).hexdigest() == stored["checksum"]
