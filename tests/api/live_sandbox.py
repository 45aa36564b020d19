"""The API with the real iCloud connector, the built-in sandbox and an in-process worker.

No fakes: sandbox keys reach the sandbox through ``connector_for`` and the sandbox's
TLS proxy and CA, exactly as under ``cloudtap serve``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudtap.app import create_app
from cloudtap.cli.runtime import start_sandbox, stop_sandbox
from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.store.db import transaction
from cloudtap.store.models import Event
from tests.api.conftest import Tenant, make_tenant

DOMAIN = "sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
CODE = "123456"
AWAIT = {"Ricloud-Await": "60"}


def apple_id(name: str) -> str:
    return f"{name}@{DOMAIN}"


@dataclass
class LiveAPI:
    client: TestClient
    tenant: Tenant
    sandbox: RunningSandbox
    settings: Settings
    user: str

    @property
    def headers(self) -> dict[str, str]:
        return {**self.tenant.headers, **AWAIT}

    def session(self, name: str, **payload: Any) -> dict[str, Any]:
        """``POST /sessions`` for the sandbox account ``name`` (password unless given)."""
        body = {
            "source": {"user": self.user, "type": "icloud.account", "identifier": apple_id(name)},
            "payload": {"password": PASSWORD, **payload},
        }
        response = self.client.post("/sessions", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()

    def active_session(self, name: str) -> dict[str, Any]:
        session = self.session(name)
        if session["error"] == "code-required":
            session = self.session(name, code=CODE)
        assert session["state"] == "active", session
        return session

    def poll(self, session_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(
            "/polls", json={"session": session_id, "payload": payload}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        poll: dict[str, Any] = response.json()
        deadline = time.monotonic() + 600  # big listings outlast one (capped) await
        while poll["state"] in ("pending", "processing") and time.monotonic() < deadline:
            poll = self.client.get(f"/polls/{poll['id']}", headers=self.headers).json()
        return poll

    def events(self, type_: str, action: str) -> list[dict[str, Any]]:
        with transaction(self.settings.database_url) as db:
            rows = db.scalars(
                select(Event).where(Event.type == type_, Event.action == action).order_by(Event.pk)
            )
            return [dict(row.data) for row in rows]


@pytest.fixture(name="live")
def live_api(settings: Settings) -> Iterator[LiveAPI]:
    running = start_sandbox(settings)
    assert running is not None
    consumer = start_embedded_consumer(settings, workers=4)
    try:
        with TestClient(create_app(settings)) as client:
            tenant = make_tenant(settings, "Acme")
            user = client.post("/users", json={"identifier": "me"}, headers=tenant.headers)
            yield LiveAPI(client, tenant, running, settings, user.json()["id"])
    finally:
        stop_consumer(consumer)
        stop_sandbox(running)
