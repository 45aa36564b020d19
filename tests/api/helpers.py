"""Small helpers for API tests: create a logged-in session and a completed poll."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Tenant
from tests.jobs.fake_connector import PASSWORD

AWAIT = {"Ricloud-Await": "20"}


def create_user(client: TestClient, tenant: Tenant, identifier: str = "user-1") -> dict[str, Any]:
    response = client.post("/users", json={"identifier": identifier}, headers=tenant.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def create_session(
    client: TestClient,
    tenant: Tenant,
    user_id: str,
    apple_id: str = "plain@example.com",
    **payload: Any,
) -> dict[str, Any]:
    body = {
        "source": {"user": user_id, "type": "icloud.account", "identifier": apple_id},
        "payload": payload or {"password": PASSWORD},
    }
    response = client.post("/sessions", json=body, headers={**tenant.headers, **AWAIT})
    assert response.status_code == 201, response.text
    return response.json()


def create_poll(
    client: TestClient, tenant: Tenant, session_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    response = client.post(
        "/polls",
        json={"session": session_id, "payload": payload},
        headers={**tenant.headers, **AWAIT},
    )
    assert response.status_code == 201, response.text
    return response.json()


def finished_task(
    client: TestClient, tenant: Tenant, task_id: str, *, attempts: int, interval: float
) -> dict[str, Any]:
    """The task once ``succeeded`` or ``failed``, looked at ``attempts`` times ``interval``
    seconds apart."""
    for _ in range(attempts):
        task = client.get(f"/tasks/{task_id}", headers=tenant.headers).json()
        if task["state"] in ("succeeded", "failed"):
            return task
        time.sleep(interval)
    raise AssertionError("task did not finish")


def wait_for(read: Callable[[], Any], timeout: float = 30.0) -> Any:
    """``read()``'s first truthy value, polled every 0.1 s for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
