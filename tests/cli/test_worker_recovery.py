"""A worker SIGKILLed in the middle of a task: after a restart the task is taken back
and run again, and its poll completes with each result published once (the embedded
SQLite database and SQLite huey queue, shared by ``serve --no-worker`` and a worker)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from cloudtap.config import Settings
from cloudtap.sandbox import runtime as sandbox_runtime
from tests.cli.recovery_checks import (
    active_session,
    assert_published_once,
    partial_files,
    photo_files,
    post_poll,
    settle,
)
from tests.cli.serve_process import served_api
from tests.cli.worker_process import WorkerProcess

if TYPE_CHECKING:
    from cloudtap.sandbox.runtime import RunningSandbox


APPLE_ID = "no2fa@sandbox.cloudtap.dev"
# Short leases so a dead worker's task is taken back within seconds.
LEASE_ENV = {"CLOUDTAP_TASK_LEASE_SECONDS": "2"}


@pytest.fixture(name="sandbox")
def slow_link_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    # Downloads share a 100 kB/s link, so a photo takes seconds: long enough to be killed.
    monkeypatch.setenv("CLOUDTAP_SANDBOX_LINK_BPS", "100000")
    settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path / "sandbox")})
    with sandbox_runtime.start_sandbox(settings) as running:
        monkeypatch.delenv("CLOUDTAP_SANDBOX_LINK_BPS")
        yield running


def _wait_for_partial(data_dir: Path, seconds: float) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = [p for p in partial_files(data_dir) if p.stat().st_size > 0]
        if started:
            return started[0]
        time.sleep(0.05)
    raise AssertionError("no task started writing its result")


def test_killed_worker_task_is_resumed_after_restart(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    data_dir = tmp_path / "data"
    env = {
        "CLOUDTAP_SANDBOX_PROXY_URL": sandbox.proxy_url,
        "CLOUDTAP_SANDBOX_CA_FILE": str(sandbox.ca_file),
        **LEASE_ENV,
    }
    with served_api(data_dir, extra_env=env, extra_args=("--no-worker",)) as api:
        worker = WorkerProcess(data_dir, env, "only", threads=1).start()
        try:
            client = httpx.Client(
                base_url=api.url, headers={"Authorization": f"Token {api.token}"}, timeout=90
            )
            user = client.post("/users", json={"identifier": "me"}).json()
            session_id = active_session(client, user["id"], APPLE_ID, None)
            files = photo_files(client, session_id, 2)
            poll = post_poll(client, session_id, {"files": files})
            _wait_for_partial(data_dir, 60)
            worker.kill()
            assert client.get(f"/polls/{poll['id']}").json()["state"] == "processing"
            worker.start()
            poll = settle(client, poll, 90)
            assert poll["state"] == "completed", (poll, worker.log())
            assert_published_once(
                client, api_database(data_dir), sandbox, data_dir, [(APPLE_ID, poll)]
            )
        finally:
            worker.stop()


def api_database(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'cloudtap.db'}"
