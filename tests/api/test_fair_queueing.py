"""One tenant's backlog never holds another's small poll behind it (issue 25, item 2).

Through the HTTP API, the built-in sandbox and 2 job threads (as ``cloudtap serve``):
organisation A (or one key of an organisation) queues 8 files polls of a whole photo
library, then B (another organisation, or another key of A's) asks for a one-task
``fmip.devices`` poll. B's poll must complete while most of A's backlog is still
unfinished: order and progress are asserted, not wall time. A's polls then complete
with every file published once (a batch that gave its turn up lost nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloudtap.app import create_app
from cloudtap.cli.runtime import start_sandbox, stop_sandbox
from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import transaction
from tests.api.conftest import Tenant, make_tenant
from tests.api.helpers import wait_for
from tests.api.live_sandbox import PASSWORD, apple_id

AWAIT = {"Ricloud-Await": "60"}
BACKLOG_POLLS = 8
FILES_PER_POLL = 40
# Each request to the sandbox takes this long, so A's backlog lasts a few seconds.
LATENCY_MS = "15"


@dataclass
class Served:
    client: TestClient
    settings: Settings


@pytest.fixture
def served(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("CLOUDTAP_SANDBOX_LATENCY_MS", LATENCY_MS)
    running = start_sandbox(settings)
    consumer = start_embedded_consumer(settings, workers=2)  # as ``cloudtap serve``
    try:
        with TestClient(create_app(settings)) as client:
            yield Served(client, settings)
    finally:
        stop_consumer(consumer)
        stop_sandbox(running)


def _headers(tenant: Tenant) -> dict[str, str]:
    return {**tenant.headers, **AWAIT}


def active_session(client: TestClient, tenant: Tenant, name: str) -> str:
    user = client.post("/users", json={"identifier": name}, headers=tenant.headers).json()
    body = {
        "source": {"user": user["id"], "type": "icloud.account", "identifier": apple_id(name)},
        "payload": {"password": PASSWORD},
    }
    session = client.post("/sessions", json=body, headers=_headers(tenant)).json()
    assert session["state"] == "active", session
    return str(session["id"])


def library_files(client: TestClient, tenant: Tenant, session: str) -> list[str]:
    body = {"session": session, "payload": {"data_types": ["icpl.photos"]}}
    poll = client.post("/polls", json=body, headers=_headers(tenant)).json()
    assert poll["state"] == "completed", poll
    [listing] = poll["results"]["data"]
    items = json.loads(Path(listing["url"].removeprefix("local://")).read_bytes())["data"]
    return [file["id"] for item in items for file in item["files"]]


def queue_backlog(client: TestClient, tenant: Tenant, session: str, files: list[str]) -> list[str]:
    """A's files polls, all queued, and their files being downloaded."""
    body = {"session": session, "payload": {"files": files}}
    polls = [
        client.post("/polls", json=body, headers=tenant.headers).json()["id"]
        for _ in range(BACKLOG_POLLS)
    ]
    wait_for(lambda: files_done(client, tenant, polls) > 0)
    return polls


def files_done(client: TestClient, tenant: Tenant, polls: list[str]) -> int:
    done = 0
    for poll_id in polls:
        poll = client.get(f"/polls/{poll_id}", headers=tenant.headers).json()
        done += len(poll["tasks_succeeded"]) + len(poll["tasks_failed"])
    return done


def one_task_poll(client: TestClient, tenant: Tenant, session: str) -> dict[str, Any]:
    body = {"session": session, "payload": {"data_types": ["fmip.devices"]}}
    poll: dict[str, Any] = client.post("/polls", json=body, headers=_headers(tenant)).json()
    return poll


def assert_backlog_completes(
    client: TestClient, tenant: Tenant, polls: list[str], files: list[str]
) -> None:
    for poll_id in polls:

        def settled(poll_id: str = poll_id) -> dict[str, Any] | None:
            got: dict[str, Any] = client.get(f"/polls/{poll_id}", headers=_headers(tenant)).json()
            return got if got["state"] == "completed" else None

        poll = wait_for(settled, timeout=120)
        assert poll["tasks_failed"] == [] and len(poll["tasks_succeeded"]) == len(files)
        identifiers = [result["identifier"] for result in poll["results"]["data"]]
        assert sorted(identifiers) == sorted(files)  # each file published once


def run_race(served: Served, a: Tenant, b: Tenant) -> None:
    client = served.client
    a_session = active_session(client, a, "no2fa")
    b_session = active_session(client, b, "shared")
    files = library_files(client, a, a_session)[:FILES_PER_POLL]
    assert len(files) == FILES_PER_POLL
    polls = queue_backlog(client, a, a_session, files)
    backlog = BACKLOG_POLLS * len(files)

    b_poll = one_task_poll(client, b, b_session)
    left = backlog - files_done(client, a, polls)

    assert b_poll["state"] == "completed" and b_poll["tasks_failed"] == [], b_poll
    assert len(b_poll["tasks_succeeded"]) == 1
    # B did not wait for A's backlog: most of it was still to do when B was done.
    assert left >= backlog // 2, f"{left} of A's {backlog} file tasks left when B completed"
    assert_backlog_completes(client, a, polls, files)


def test_another_organisations_backlog_does_not_hold_a_one_task_poll(
    served: Served, settings: Settings
) -> None:
    run_race(served, make_tenant(settings, "Backlog"), make_tenant(settings, "Small"))


def test_another_keys_backlog_does_not_hold_a_one_task_poll(
    served: Served, settings: Settings
) -> None:
    first = make_tenant(settings, "Two keys")
    with transaction(settings.database_url) as db:
        second = Tenant(
            first.organisation_id, issue_key(db, first.organisation_id, "sandbox").token
        )
    run_race(served, first, second)
