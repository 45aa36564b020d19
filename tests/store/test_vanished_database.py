"""A SQLite file deleted or replaced under a running ``cloudtap serve``: ``/readyz`` says
not ready, and no write is answered as a success (it would be lost on restart)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.cli.serve_process import served_api

READY_WITHIN_SECONDS = 10


def _delete(database: Path) -> None:
    for path in (database, *database.parent.glob(f"{database.name}-*")):
        path.unlink()


def _replace(database: Path) -> None:
    # A restored copy put in its place: same content, another file.
    copy = database.with_name("restored.db")
    shutil.copyfile(database, copy)
    copy.replace(database)


def _not_ready_within(http: httpx.Client, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        answer = http.get("/readyz")
        if answer.status_code != 200 or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)  # polling /readyz as a load balancer does, not synchronising


@pytest.mark.parametrize("vanish", [_delete, _replace], ids=["deleted", "replaced"])
def test_a_vanished_database_is_not_ready_and_refuses_writes(
    tmp_path: Path, vanish: Callable[[Path], None]
) -> None:
    data_dir = tmp_path / "data"
    with served_api(data_dir) as api:
        headers = {"Authorization": f"Token {api.token}"}
        with httpx.Client(base_url=api.url, timeout=30, headers=headers) as http:
            assert http.get("/readyz").status_code == 200
            assert http.post("/users", json={"identifier": "before"}).status_code == 201
            vanish(data_dir / "cloudtap.db")

            answer = _not_ready_within(http, READY_WITHIN_SECONDS)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == "not-ready"
            assert answer.json()["params"]["database"] != "ok"

            for identifier in ("after-1", "after-2"):
                written = http.post("/users", json={"identifier": identifier})
                assert written.status_code == 503, written.text
                assert written.json()["error"] == "service-unavailable"
                assert set(written.json()) == {"error", "message", "params"}
            created = http.post("/keys", json={})
            assert created.status_code == 503, created.text
