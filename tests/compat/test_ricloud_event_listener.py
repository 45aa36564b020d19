"""ricloud-py's own webhook receiver (``ricloud event listen``, unmodified, in its own
venv) receives a live ``cloudtap serve``'s webhooks for a real sandbox poll and accepts
every signature; a tampered body is rejected."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudtap.publish.webhooks.signature import sign
from tests.cli.serve_process import ServedAPI, free_port, served_api
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

SANDBOX_ACCOUNT = "no2fa@sandbox.cloudtap.dev"
SANDBOX_PASSWORD = "sandbox-password"


@pytest.fixture(scope="module")
def ricloud_cli() -> str:
    # Flask<2's Jinja2 needs MarkupSafe 2.0 (3.x dropped soft_unicode).
    venv = client_venv(
        "ricloud-event",
        ["ricloud[event]==3.2.0", "MarkupSafe==2.0.1"],
        build_constraints=["setuptools<81"],
    )
    return venv_bin(venv, "ricloud")


def wait_for(read: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not met in time")


@contextmanager
def ricloud_listener(cli: str, port: int, secret: str, log_path: Path) -> Iterator[Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
    env.update({"RICLOUD_SECRET": secret, "PYTHONUNBUFFERED": "1", "HOME": str(log_path.parent)})
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [cli, "event", "listen", "127.0.0.1", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def listening() -> bool:
            assert process.poll() is None, log_path.read_text()
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, what="ricloud event listen accepting connections")
        yield log_path
    finally:
        process.terminate()
        process.wait(timeout=20)


def all_events(api: httpx.Client) -> list[dict[str, Any]]:
    return api.get("/events", params={"limit": 1000}).json()["data"]


def run_sandbox_poll(api: httpx.Client) -> dict[str, Any]:
    wait = {"Ricloud-Await": "30"}
    user = api.post("/users", json={"identifier": "listener-user"}).json()
    session = api.post(
        "/sessions",
        json={
            "source": {"user": user["id"], "type": "icloud.account", "identifier": SANDBOX_ACCOUNT},
            "payload": {"password": SANDBOX_PASSWORD},
        },
        headers=wait,
    ).json()
    assert session["state"] == "active", session
    poll = api.post(
        "/polls", json={"session": session["id"], "payload": {"info_types": ["*"]}}, headers=wait
    ).json()
    poll = wait_for(
        lambda: (p := api.get(f"/polls/{poll['id']}").json())["state"] == "completed" and p,
        what="poll completed",
    )
    assert poll["tasks_succeeded"] and not poll["tasks_failed"]
    return poll


def client_for(served: ServedAPI) -> httpx.Client:
    return httpx.Client(
        base_url=served.url, headers={"Authorization": f"Token {served.token}"}, timeout=60
    )


def test_ricloud_event_listen_accepts_cloudtap_webhooks(ricloud_cli: str, tmp_path: Path) -> None:
    listen_port = free_port()
    extra_env = {
        "CLOUDTAP_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "CLOUDTAP_WEBHOOK_BACKOFF_BASE": "0.5",
    }
    with served_api(tmp_path / "data", extra_env=extra_env) as served, client_for(served) as api:
        config = api.post(
            "/configs/webhook", json={"url": f"http://127.0.0.1:{listen_port}/webhooks"}
        ).json()
        # Its automatic test ran before anyone listened: one failed attempt, config invalid.
        wait_for(lambda: api.get(f"/configs/webhook/{config['id']}").json()["state"] == "invalid")
        [early] = all_events(api)
        log_path = tmp_path / "listener.log"
        with ricloud_listener(ricloud_cli, listen_port, config["secret"], log_path):
            task = api.post(f"/configs/webhook/{config['id']}/test", content=b"null").json()
            assert task["resource"] == "task"
            wait_for(
                lambda: api.get(f"/configs/webhook/{config['id']}").json()["state"] == "valid",
                what="webhook config valid",
            )
            poll = run_sandbox_poll(api)
            events = wait_for(
                lambda: (
                    (found := [e for e in all_events(api) if e["id"] != early["id"]])
                    and all(e["state"] != "pending" for e in found)
                    and found
                ),
                what="every event settled",
            )
            tampered = post_tampered(listen_port, config["secret"], events[0])
        listener_output = log_path.read_text()

    assert early["state"] == "failed" and early["attempts"][0]["status_code"] is None
    slugs = {f"{e['type']}.{e['action']}" for e in events}
    assert {
        "webhook_config.test",
        "session.active",
        "poll.created",
        "task.created",
        "task.succeeded",
        "result.created",
        "poll.completed",
    } <= slugs
    assert any(e["type"] == "poll" and e["data"]["id"] == poll["id"] for e in events)
    for event in events:
        assert event["state"] == "delivered", event
        assert [a["status_code"] for a in event["attempts"]] == [200], event
        assert str(uuid.UUID(event["id"])) == event["id"]
        assert event["id"] in listener_output  # ricloud echoes each event it accepted
    assert "Test event received!" in listener_output
    assert tampered == (200, 400)
    assert listener_output.count("Event signature verification failed") == 1


def post_tampered(port: int, secret: str, event: dict[str, Any]) -> tuple[int, int]:
    """The same signed request twice: intact (accepted), then with one byte of the body
    changed (rejected by ricloud's signature check)."""
    url = f"http://127.0.0.1:{port}/webhooks/{event['id']}"
    body = json.dumps({k: v for k, v in event.items() if k != "attempts"}).encode()
    headers = {"Content-Type": "application/json", "Ricloud-Signature": sign(secret, body)}
    intact = httpx.post(url, content=body, headers=headers).status_code
    forged = body.replace(b'"action": "', b'"action": "x', 1)
    assert forged != body
    return intact, httpx.post(url, content=forged, headers=headers).status_code
