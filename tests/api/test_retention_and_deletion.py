"""Results expire after their TTL (files removed); deleting a user or a session removes
everything below it, checked on disk and in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from cloudtap.config import Settings
from cloudtap.publish.retention import expire_due_results
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Event, Poll, Result, Session, Source, Subscription, Task, User
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, FakeConnector


def local_path(url: str) -> Path:
    return Path(url.removeprefix("local://"))


def rows(settings: Settings, model: Any, column: Any, values: list[str]) -> int:
    with transaction(settings.database_url) as db:
        query = select(func.count()).select_from(model).where(column.in_(values))
        return int(db.execute(query).scalar_one())


def events_about(settings: Settings, user_id: str, poll_ids: list[str]) -> int:
    """Counted in Python, independently of the JSON queries the deletion uses."""
    with transaction(settings.database_url) as db:
        return sum(
            1
            for data in db.scalars(select(Event.data))
            if data.get("user") == user_id
            or data.get("poll") in poll_ids
            or data.get("id") in poll_ids
        )


def test_results_expire_after_their_ttl(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    results = poll["results"]["data"]
    consumed, kept = results[0], results[1:]
    ack = client.post(f"/results/{consumed['id']}/ack", content=b"null", headers=tenant.headers)
    assert ack.json()["state"] == "consumed"
    assert all(r["date_expires"] for r in results)
    assert expire_due_results(settings) == 0  # nothing is due yet: the TTL is a week

    with transaction(settings.database_url) as db:
        db.execute(
            update(Result)
            .where(Result.id.in_([r["id"] for r in results]))
            .values(date_expires=utcnow() - timedelta(seconds=1))
        )
    assert expire_due_results(settings) == len(results)  # consumed ones expire too
    assert expire_due_results(settings) == 0  # and only once
    assert not any(local_path(r["url"]).exists() for r in results)
    for result in results:
        row = client.get(f"/results/{result['id']}", headers=tenant.headers).json()
        assert row["state"] == "expired" and row["signed_url"] is None
    assert client.get(kept[0]["signed_url"]["url"]).status_code == 404
    listed = client.get("/results", headers=tenant.headers).json()
    assert listed["total_count"] == 0  # expired results are hidden by default
    expired = client.get("/results", params={"state": "expired"}, headers=tenant.headers).json()
    assert expired["total_count"] == len(results)


def test_deleting_a_user_removes_everything_below_it(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    user = create_user(client, tenant)
    sessions = [create_session(client, tenant, user["id"]) for _ in range(2)]
    polls = [
        create_poll(client, tenant, s["id"], {"info_types": ["*"], "files": [FILE_ID]})
        for s in sessions
    ]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    subscription = client.post(
        "/subscriptions",
        json={
            "session": sessions[0]["id"],
            "poll_payload": {"info_types": ["*"]},
            "date_start": later,  # no run yet, so the counts below are exact
        },
        headers=tenant.headers,
    ).json()
    results = [r for p in polls for r in p["results"]["data"]]
    files = [local_path(r["url"]) for r in results]
    assert files and all(f.exists() for f in files)
    poll_ids = [p["id"] for p in polls]
    task_count = rows(settings, Task, Task.poll_id, poll_ids)
    other = create_session(client, tenant, create_user(client, tenant, "someone-else")["id"])
    other_poll = create_poll(client, tenant, other["id"], {"files": [FILE_ID]})

    events_about_user = events_about(settings, user["id"], poll_ids)
    assert events_about_user > 0
    response = client.delete(f"/users/{user['id']}", headers=tenant.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["resource"], body["deleted"]) == ("user", True)
    removed = body["removed"]
    # Events embed the objects (and the Apple ID): every one about this user goes too.
    assert removed.pop("events") == events_about_user
    assert removed == {
        "users": 1,
        "sources": 1,
        "sessions": 2,
        "subscriptions": 1,
        "polls": 2,
        "tasks": task_count,
        "results": len(results),
    }
    assert not any(f.exists() for f in files)
    assert rows(settings, User, User.id, [user["id"]]) == 0
    assert rows(settings, Source, Source.user_id, [user["id"]]) == 0
    assert rows(settings, Session, Session.user_id, [user["id"]]) == 0
    assert rows(settings, Subscription, Subscription.id, [subscription["id"]]) == 0
    assert rows(settings, Poll, Poll.id, poll_ids) == 0
    assert rows(settings, Task, Task.poll_id, poll_ids) == 0
    assert rows(settings, Result, Result.id, [r["id"] for r in results]) == 0
    assert events_about(settings, user["id"], poll_ids) == 0
    assert events_about(settings, other["user"], [other_poll["id"]]) > 0
    # Another user's data is untouched.
    other_file = local_path(other_poll["results"]["data"][0]["url"])
    assert other_file.exists()
    assert client.get(f"/polls/{other_poll['id']}", headers=tenant.headers).status_code == 200


def test_deleting_a_session_removes_its_polls_results_and_subscriptions(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    user = create_user(client, tenant)
    session = create_session(client, tenant, user["id"])
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    client.post(
        "/subscriptions",
        json={
            "session": session["id"],
            "poll_payload": {"info_types": ["*"]},
            "date_start": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
        headers=tenant.headers,
    )
    files = [local_path(r["url"]) for r in poll["results"]["data"]]
    response = client.delete(f"/sessions/{session['id']}", headers=tenant.headers).json()
    assert response["removed"]["subscriptions"] == 1
    assert response["removed"]["results"] == len(files)
    assert not any(f.exists() for f in files)
    assert rows(settings, Poll, Poll.session_id, [session["id"]]) == 0
    assert rows(settings, Subscription, Subscription.session_id, [session["id"]]) == 0
    assert rows(settings, Result, Result.poll_id, [poll["id"]]) == 0
    # The user and source stay: only the session's data went.
    assert client.get(f"/users/{user['id']}", headers=tenant.headers).status_code == 200
