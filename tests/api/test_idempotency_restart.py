"""An idempotent request in flight when ``cloudtap serve`` is killed (-9) does not block
its retry after the restart: the claim names its process, and a claim of a process that
is gone is abandoned at once (not 409 ``idempotency-key-in-progress`` for 5 minutes)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from tests.cli.serve_process import served_api

CLAIM_DEADLINE_SECONDS = 30.0
APPLE_ID = "no2fa@sandbox.cloudtap.dev"


def _in_flight_claims(database: Path) -> int:
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT count(*) FROM idempotency_keys WHERE status_code IS NULL"
        ).fetchone()
    return int(row[0])


def _send_and_forget(url: str, headers: dict[str, str], body: dict[str, object]) -> None:
    # Its answer never comes: the server dies under it.
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{url}/sessions", json=body, headers=headers, timeout=60)


def test_a_request_in_flight_at_kill_9_can_be_retried_after_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    database = data_dir / "cloudtap.db"
    # Without a worker the login never settles: the request waits (Ricloud-Await) in flight.
    with served_api(data_dir, extra_args=("--no-worker",)) as first:
        token = {"Authorization": f"Token {first.token}"}
        user = httpx.post(f"{first.url}/users", json={"identifier": "me"}, headers=token).json()
        body = {
            "source": {"user": user["id"], "type": "icloud.account", "identifier": APPLE_ID},
            "payload": {"password": "sandbox-password"},
        }
        headers = {**token, "Idempotency-Key": "log-in", "Ricloud-Await": "30"}
        sender = threading.Thread(target=_send_and_forget, args=(first.url, headers, body))
        sender.start()
        deadline = time.monotonic() + CLAIM_DEADLINE_SECONDS
        while _in_flight_claims(database) == 0:
            assert time.monotonic() < deadline, "the request never claimed its key"
            time.sleep(0.05)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)
        sender.join(timeout=60)
    assert _in_flight_claims(database) == 1  # left behind by the dead process

    with served_api(data_dir, expect_token=False) as second:
        retried = httpx.post(f"{second.url}/sessions", json=body, headers=headers, timeout=60)
        assert retried.status_code == 201, retried.text
        again = httpx.post(f"{second.url}/sessions", json=body, headers=headers, timeout=60)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == retried.json()["id"]
