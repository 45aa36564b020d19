"""What a recovered deployment must show: every poll completed, each of its tasks with
exactly one result (one row, one ``result created`` and one ``task succeeded`` event),
bytes equal to the sandbox world's own, and no partial file left in the results folder."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.store.db import transaction
from cloudtap.store.models import Event, Result
from tests.api.sandbox_bytes import photo_bytes


def partial_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "results").rglob("*.partial"))


def photo_files(client: httpx.Client, session_id: str, count: int, least: int = 0) -> list[str]:
    """The ids of up to ``count`` (at least ``least``, default all ``count``) original photo
    files of the session's library, largest first."""
    poll = settle(client, post_poll(client, session_id, {"data_types": ["icpl.photos"]}), 120)
    assert poll["state"] == "completed", poll
    [result] = poll["results"]["data"]
    items = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"]
    files = [item["files"][0] for item in items if item["files"]]  # originals come first
    files.sort(key=lambda f: (-int(f.get("size") or 0), f["id"]))
    assert len(files) >= (least or count), f"only {len(files)} original photo files"
    return [f["id"] for f in files[:count]]


def post_poll(client: httpx.Client, session_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/polls",
        json={"session": session_id, "payload": payload},
        headers={"Ricloud-Await": "0"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def settle(client: httpx.Client, poll: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Re-read the poll (awaiting in steps) until it is done or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while poll["state"] in ("pending", "processing") and time.monotonic() < deadline:
        wait = max(1, min(10, int(deadline - time.monotonic())))
        reply = client.get(f"/polls/{poll['id']}", headers={"Ricloud-Await": str(wait)})
        assert reply.status_code == 200, reply.text
        poll = reply.json()
    return poll


def assert_published_once(
    client: httpx.Client,
    database_url: str,
    sandbox: RunningSandbox,
    data_dir: Path,
    polls: list[tuple[str, dict[str, Any]]],
) -> None:
    """``polls``: (Apple ID, settled poll) pairs of file polls."""
    with transaction(database_url) as db:
        rows = db.execute(select(Result.task_id, Result.poll_id)).all()
        events = db.execute(select(Event.type, Event.action, Event.data)).all()
    results_per_task = Counter(task_id for task_id, _ in rows)
    created = Counter(
        data["task"] for kind, action, data in events if (kind, action) == ("result", "created")
    )
    succeeded = Counter(
        data["id"] for kind, action, data in events if (kind, action) == ("task", "succeeded")
    )
    completed = Counter(
        data["id"] for kind, action, data in events if (kind, action) == ("poll", "completed")
    )
    expected: dict[str, bytes] = {}
    for apple_id, poll in polls:
        assert poll["state"] == "completed", poll
        assert poll["errors"]["data"] == [], poll["errors"]
        assert poll["tasks_pending"] == poll["tasks_processing"] == poll["tasks_failed"] == []
        assert completed[poll["id"]] == 1, poll["id"]
        results = poll["results"]["data"]
        assert sorted(r["identifier"] for r in results) == sorted(poll["payload"]["files"])
        assert sorted(r["task"] for r in results) == sorted(poll["tasks_succeeded"])
        for result in results:
            task_id = result["task"]
            assert results_per_task[task_id] == 1, (
                f"task {task_id}: {results_per_task[task_id]} results"
            )
            assert created[task_id] == 1 and succeeded[task_id] == 1, task_id
            if result["identifier"] not in expected:
                expected[result["identifier"]] = photo_bytes(
                    sandbox, apple_id, result["identifier"]
                )
            want = expected[result["identifier"]]
            stored = Path(result["url"].removeprefix("local://")).read_bytes()
            assert stored == want, result["identifier"]
            assert result["size"] == len(want)
            assert result["checksum"] == hashlib.md5(want).hexdigest()
            downloaded = client.get(result["signed_url"]["url"]).content
            assert downloaded == want
    assert partial_files(data_dir) == []


def active_session(client: httpx.Client, user_id: str, apple_id: str, code: str | None) -> str:
    """A session of ``apple_id`` logged in through the API (with the 2FA code if any)."""
    body: dict[str, Any] = {
        "source": {"user": user_id, "identifier": apple_id},
        "payload": {"password": "sandbox-password"},
    }
    session = client.post("/sessions", json=body, headers={"Ricloud-Await": "60"}).json()
    if session.get("error") == "code-required" and code:
        body["payload"]["code"] = code
        session = client.post("/sessions", json=body, headers={"Ricloud-Await": "60"}).json()
    assert session["state"] == "active", session
    return str(session["id"])
