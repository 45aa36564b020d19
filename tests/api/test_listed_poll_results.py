"""``GET /polls`` lists each poll with all its results, encoded once per poll and kept
while the poll's results stay the same (``wire.encoded.encoded_page_results``): a page of
files polls read again costs an aggregate, not hundreds of signed links. These check a
listed poll's results are always the ones it has now: after an ack, an expiry and a
write by another process, with no age bound to wait for."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from cloudtap.config import Settings
from cloudtap.publish.retention import expire_due_results
from cloudtap.store.ids import utcnow
from cloudtap.wire import encoded
from tests.api.conftest import Tenant
from tests.api.test_kept_poll_answers import settled_poll
from tests.jobs.fake_connector import FakeConnector


def _listed(client: TestClient, tenant: Tenant, poll_id: str) -> dict[str, Any]:
    answer = client.get("/polls?limit=20", headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    [listed] = [p for p in answer.json()["data"] if p["id"] == poll_id]
    return dict(listed["results"])


def _states(client: TestClient, tenant: Tenant, poll_id: str) -> dict[str, str]:
    return {r["id"]: r["state"] for r in _listed(client, tenant, poll_id)["data"]}


def _kept(poll_id: str) -> bool:
    return any(key[0] == poll_id for key in list(encoded._cache))  # type: ignore[index]


def test_a_listed_polls_results_are_kept_and_as_read_alone(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    poll = settled_poll(client, tenant)
    first = _listed(client, tenant, poll["id"])
    assert first["total_count"] == len(first["data"]) >= 2  # info and a file
    assert _kept(poll["id"])
    assert _listed(client, tenant, poll["id"]) == first
    alone = client.get(f"/polls/{poll['id']}", headers=tenant.headers).json()["results"]
    assert [r["id"] for r in alone["data"]] == [r["id"] for r in first["data"]]
    assert alone["total_count"] == first["total_count"]


def test_an_ack_shows_in_the_list_at_once(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    poll = settled_poll(client, tenant)
    acked = next(iter(_states(client, tenant, poll["id"])))
    answer = client.post(f"/results/{acked}/ack", content=b"null", headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    assert _states(client, tenant, poll["id"])[acked] == "consumed"


def test_expired_results_leave_the_list(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    poll = settled_poll(client, tenant)
    assert _states(client, tenant, poll["id"])
    expire_due_results(settings, now=utcnow() + timedelta(days=3650))
    listed = _listed(client, tenant, poll["id"])
    assert listed["data"] == [] and listed["total_count"] == 0


def test_another_processs_write_shows_in_the_list_at_once(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    poll = settled_poll(client, tenant)
    assert set(_states(client, tenant, poll["id"]).values()) == {"available"}
    path = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as other:  # not through this process's engine
        other.execute("UPDATE results SET state = 'consumed' WHERE poll_id = ?", (poll["id"],))
    assert set(_states(client, tenant, poll["id"]).values()) == {"consumed"}
