"""poll → tasks → results → ack, end to end over HTTP with the fake connector."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, FILE_SIZE, FakeConnector, file_bytes


def local_path(url: str) -> Path:
    parts = urlsplit(url)
    assert parts.scheme == "local" and parts.netloc == ""
    return Path(parts.path)


def test_poll_makes_one_task_per_item_and_publishes_results(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(
        client,
        tenant,
        session["id"],
        {"info_types": ["*"], "data_types": ["icpl.photos"], "files": [FILE_ID]},
    )
    assert poll["state"] == "completed"
    assert poll["date_completed"] is not None
    # Two info types ("*"), one data type, one file.
    assert len(poll["tasks_succeeded"]) == 4 and poll["tasks_failed"] == []

    tasks = client.get(f"/tasks?poll={poll['id']}", headers=tenant.headers).json()
    assert tasks["total_count"] == 4
    assert {t["type"] for t in tasks["data"]} == {"icloud.info", "icloud.data", "icloud.file"}
    assert all(len(t["results"]["data"]) == 1 for t in tasks["data"])

    results = {r["identifier"]: r for r in poll["results"]["data"]}
    assert set(results) == {"account.info", "devices.info", "icpl.photos", FILE_ID}

    photos = results["icpl.photos"]
    assert photos["type"] == "json"
    on_disk = local_path(photos["url"]).read_bytes()
    assert json.loads(on_disk)["data"][0]["id"] == "icpl.photos-0"
    assert len(json.loads(on_disk)["data"]) == 3
    assert photos["size"] == len(on_disk)
    assert photos["checksum"] == hashlib.md5(on_disk).hexdigest()

    photo = results[FILE_ID]
    assert photo["type"] == "jpg" and photo["size"] == FILE_SIZE
    local_bytes = local_path(photo["url"]).read_bytes()
    assert local_bytes == file_bytes(FILE_ID)
    assert photo["checksum"] == hashlib.md5(local_bytes).hexdigest()
    downloaded = client.get(photo["signed_url"]["url"])
    assert downloaded.status_code == 200
    assert downloaded.content == local_bytes
    assert hashlib.md5(downloaded.content).hexdigest() == photo["checksum"]
    assert photo["signed_url"]["date_expires"].endswith("Z")


def test_ack_consumes_and_hides_results(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"]})
    first, second = (r["id"] for r in poll["results"]["data"])

    acked = client.post(f"/results/{first}/ack", content=b"null", headers=tenant.headers)
    assert acked.status_code == 200 and acked.json()["state"] == "consumed"
    assert acked.json()["signed_url"] is None
    # GET works too (one doc snapshot says GET), and acking twice is harmless.
    assert client.get(f"/results/{first}/ack", headers=tenant.headers).json()["state"] == "consumed"

    listed = client.get(f"/results?poll={poll['id']}", headers=tenant.headers).json()
    assert [r["id"] for r in listed["data"]] == [second]
    consumed = client.get("/results?state=consumed", headers=tenant.headers).json()
    assert [r["id"] for r in consumed["data"]] == [first]

    batch = client.post("/results/ack", json={"ids": [second]}, headers=tenant.headers)
    assert batch.status_code == 200 and batch.json()["data"][0]["state"] == "consumed"


def test_events_record_the_flow(client: TestClient, tenant: Tenant, worker: FakeConnector) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    create_poll(client, tenant, session["id"], {"files": [FILE_ID, "other://missing"]})
    events = client.get("/events?limit=100", headers=tenant.headers).json()["data"]
    kinds = [f"{e['type']}.{e['action']}" for e in events]
    for expected in (
        "session.active",
        "poll.created",
        "task.created",
        "task.succeeded",
        "task.failed",
        "result.created",
        "poll.completed",
    ):
        assert expected in kinds
    assert all(e["resource"] == "event" and e["data"]["resource"] for e in events)
    only_polls = client.get("/events?type=poll&action=completed", headers=tenant.headers).json()
    assert only_polls["total_count"] == 1


def test_failed_task_shows_on_task_and_poll_errors(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"data_types": ["no.such_type"]})
    assert poll["state"] == "completed"
    [task_id] = poll["tasks_failed"]
    task = client.get(f"/tasks/{task_id}", headers=tenant.headers).json()
    assert task["state"] == "failed" and task["error"] == "unsupported-type"
    assert poll["errors"]["data"][0]["error"] == "unsupported-type"


def test_expired_apple_session_expires_the_session(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    worker.expired_tokens.add(worker.token_for("plain@example.com"))
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"]})
    assert poll["state"] == "completed" and poll["tasks_succeeded"] == []
    assert poll["errors"]["data"][0]["error"] == "session-expired"
    again = client.get(f"/sessions/{session['id']}", headers=tenant.headers).json()
    assert again["state"] == "expired"
    refused = client.post(
        "/polls",
        json={"session": session["id"], "payload": {"info_types": ["*"]}},
        headers=tenant.headers,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "session-expired"
    kinds = client.get("/events?type=session&action=expired", headers=tenant.headers).json()
    assert kinds["total_count"] == 1


def test_deleting_a_session_removes_results_on_disk(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"files": [FILE_ID]})
    path = local_path(poll["results"]["data"][0]["url"])
    assert path.exists()
    deleted = client.delete(f"/sessions/{session['id']}", headers=tenant.headers)
    assert deleted.status_code == 200
    body = deleted.json()
    assert body["resource"] == "session" and body["state"] == "expired"
    removed = body["removed"]
    assert removed.pop("events") >= 4  # poll.created, task.*, result.created, poll.completed
    assert removed == {"results": 1, "tasks": 1, "polls": 1, "subscriptions": 0}
    assert not path.exists()
    assert client.get(f"/polls/{poll['id']}", headers=tenant.headers).status_code == 404


def test_deleting_a_user_removes_everything_below(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    user = create_user(client, tenant)
    session = create_session(client, tenant, user["id"])
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"]})
    paths = [local_path(r["url"]) for r in poll["results"]["data"]]
    response = client.delete(f"/users/{user['id']}", headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()["removed"]["sessions"] == 1
    assert not any(p.exists() for p in paths)
    for path in (f"/users/{user['id']}", f"/sessions/{session['id']}", f"/polls/{poll['id']}"):
        assert client.get(path, headers=tenant.headers).status_code == 404


def test_signed_link_to_a_vanished_file_is_404(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"files": [FILE_ID]})
    [result] = poll["results"]["data"]
    local_path(result["url"]).unlink()
    response = client.get(result["signed_url"]["url"])
    assert response.status_code == 404 and response.json()["error"] == "not-found"
