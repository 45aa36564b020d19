"""Subscriptions: recurring polls scheduled by the job queue, stopped by DELETE."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.jobs import subscriptions as runs
from cloudtap.jobs.subscriptions import due_stamp, run_subscription
from cloudtap.store.db import transaction
from cloudtap.store.models import Subscription
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.jobs.fake_connector import FakeConnector


@pytest.fixture(autouse=True)
def _short_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDTAP_SUBSCRIPTION_MIN_INTERVAL", "1")


def subscription_polls(client: TestClient, tenant: Tenant, sub_id: str) -> list[dict[str, Any]]:
    listed = client.get(
        "/polls", params={"subscription": sub_id, "limit": 100}, headers=tenant.headers
    ).json()
    return listed["data"]


def subscribe(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = client.post("/subscriptions", json=fields, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_subscription_polls_every_interval_until_deleted(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    sub = subscribe(
        client, tenant, session=session["id"], poll_payload={"info_types": ["*"]}, interval=1
    )
    assert (sub["resource"], sub["state"], sub["interval"]) == ("subscription", "pending", 1)
    assert sub["session"] == session["id"] and sub["source"] == session["source"]["id"]

    # Successive runs, not one burst: polls at three moments at least (a run a loaded
    # machine started late may share its second, as the API writes dates, with the next
    # one, so the wait is for three moments, not three polls).
    deadline = time.monotonic() + 30
    polls = subscription_polls(client, tenant, sub["id"])
    while len({p["date_created"] for p in polls}) < 3:
        assert time.monotonic() < deadline, "the subscription did not poll at three moments"
        time.sleep(0.2)
        polls = subscription_polls(client, tenant, sub["id"])
    assert all(p["subscription"] == sub["id"] and p["session"] == session["id"] for p in polls)
    created = sorted(p["date_created"] for p in polls)
    assert len(set(created)) >= 3 and len(polls) >= 3, created
    current = client.get(f"/subscriptions/{sub['id']}", headers=tenant.headers).json()
    assert current["state"] == "active" and current["date_last_poll"] is not None
    by_requestor = client.get(
        "/polls", params={"requestor": "subscription"}, headers=tenant.headers
    ).json()
    assert by_requestor["total_count"] >= 3

    deleted = client.delete(f"/subscriptions/{sub['id']}", headers=tenant.headers)
    assert deleted.status_code == 200 and deleted.json()["state"] == "deleted"
    assert deleted.json()["date_next_poll"] is None
    count = len(subscription_polls(client, tenant, sub["id"]))
    # The run the queue may still hold for the next due time makes no poll: run it now.
    run_subscription(sub["id"], due_stamp(datetime.fromisoformat(current["date_next_poll"])))
    assert len(subscription_polls(client, tenant, sub["id"])) == count
    listed = client.get("/subscriptions", headers=tenant.headers).json()
    assert [s["state"] for s in listed["data"]] == ["deleted"]


def test_a_subscription_stops_at_its_end_date(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    end = datetime.now(UTC) + timedelta(seconds=2.5)
    sub = subscribe(
        client,
        tenant,
        session=session["id"],
        poll_payload={"info_types": ["*"]},
        interval=1,
        date_end=end.isoformat(),
    )
    deadline = time.monotonic() + 30
    while (client.get(f"/subscriptions/{sub['id']}", headers=tenant.headers).json())[
        "date_next_poll"
    ] is not None:
        assert time.monotonic() < deadline, "the subscription was still scheduled past its end"
        time.sleep(0.2)  # polling a condition, bounded by the deadline
    polls = subscription_polls(client, tenant, sub["id"])
    # Runs due at its start and each second before the end: at most three.
    assert 1 <= len(polls) <= 3


def test_subscription_input_is_checked(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    for fields, param in (
        ({"session": session["id"], "poll_payload": {}}, "poll_payload"),
        ({"session": "nope", "poll_payload": {"info_types": ["*"]}}, "session"),
        ({"session": session["id"], "poll_payload": {"info_types": ["*"]}, "interval": 0}, None),
        (
            {
                "session": session["id"],
                "poll_payload": {"info_types": ["*"]},
                "date_end": "2001-01-01T00:00:00Z",
            },
            "date_end",
        ),
    ):
        response = client.post("/subscriptions", json=fields, headers=tenant.headers)
        assert response.status_code == 400, fields
        if param is not None:
            assert param in response.json()["params"]
    missing = client.delete("/subscriptions/unknown", headers=tenant.headers)
    assert missing.status_code == 404 and missing.json()["error"]


def test_a_delete_racing_a_due_run_makes_no_poll(
    settings: Settings,
    client: TestClient,
    tenant: Tenant,
    worker: FakeConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run reads the subscription, then a DELETE commits, then the run would write:
    the run must notice and make no poll (its read is not a lock)."""

    session = create_session(client, tenant, create_user(client, tenant)["id"])
    later = datetime.now(UTC) + timedelta(hours=1)
    sub = subscribe(
        client,
        tenant,
        session=session["id"],
        poll_payload={"info_types": ["*"]},
        interval=3600,
        date_start=later.isoformat(),
    )
    due = client.get(f"/subscriptions/{sub['id']}", headers=tenant.headers).json()
    assert due["date_next_poll"] is not None and subscription_polls(client, tenant, sub["id"]) == []

    real_next_run_after = runs.next_run_after

    def delete_meanwhile(row: Any, now: datetime) -> datetime | None:
        deleted = client.delete(f"/subscriptions/{sub['id']}", headers=tenant.headers)
        assert deleted.status_code == 200
        return real_next_run_after(row, now)

    monkeypatch.setattr(runs, "next_run_after", delete_meanwhile)
    with transaction(settings.database_url) as db:
        row = db.scalars(select(Subscription).where(Subscription.id == sub["id"])).one()
        assert row is not None and row.date_next_poll is not None
        stamp = due_stamp(row.date_next_poll)
    run_subscription(sub["id"], stamp)
    assert subscription_polls(client, tenant, sub["id"]) == []
    final = client.get(f"/subscriptions/{sub['id']}", headers=tenant.headers).json()
    assert final["state"] == "deleted" and final["date_next_poll"] is None
