"""The fault test: ``serve --no-worker`` and two ``cloudtap worker`` processes on
PostgreSQL and Redis run 100 file polls across 10 sandbox accounts while one worker is
SIGKILLed twice in the middle of tasks and restarted. Every poll completes, each task
with exactly one result whose bytes are the sandbox world's, and no partial file stays.

Sandbox latency and a shared download link make each task last long enough to be
killed mid-way; short leases let the survivors take the dead worker's tasks back fast.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cloudtap.config import Settings
from cloudtap.sandbox import runtime as sandbox_runtime
from cloudtap.store.db import transaction
from cloudtap.store.models import Task
from tests.cli.recovery_checks import (
    active_session,
    assert_published_once,
    photo_files,
    post_poll,
    settle,
)
from tests.cli.serve_process import served_api
from tests.cli.worker_process import WorkerProcess
from tests.support.postgres import POSTGRES_ENV, fresh_postgres_database

pytestmark = [pytest.mark.services, pytest.mark.slow]

REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"
DOMAIN = "sandbox.cloudtap.dev"
# Ten accounts with photos (2FA ones log in with the sandbox's code).
ACCOUNTS: dict[str, str | None] = {
    "no2fa": None,
    "s2kfo": None,
    "shared": None,
    "china": None,
    "rich": None,
    "repair": None,
    "slow": None,  # its own knobs: +400 ms per answer, bodies at 200 kB/s
    "2fa-device": "123456",
    "2fa-sms": "123456",
    "photos-10k": None,
}
POLLS_PER_ACCOUNT = 10
FILES_PER_POLL = 2
# A poll's files run as one file-batch job (jobs/file_batches.py), single tasks as tasks.
# What a worker's fair turns log (cloudtap.jobs.fair): the job and the id it works on.
TASK_START = re.compile(r"(?:task|file_batch) job ([0-9a-f-]{36}) started")
TASK_DONE = re.compile(r"(?:task|file_batch) job ([0-9a-f-]{36}) ended")


def busy_tasks(log: str) -> set[str]:
    """Queue messages of tasks the worker's current life started and has not finished."""
    current = log.rsplit("--- start", 1)[-1]
    return set(TASK_START.findall(current)) - set(TASK_DONE.findall(current))


def finished_tasks(database_url: str) -> int:
    with transaction(database_url) as db:
        return int(db.scalar(select(func.count()).where(Task.state == "succeeded")) or 0)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def kill_mid_task(
    worker: WorkerProcess, database_url: str, after_finished: int, sandbox: Any
) -> None:
    """Once ``after_finished`` tasks are done overall, SIGKILL ``worker`` while it runs
    one (past its claim: a download from the sandbox has begun since), then start it
    again."""
    wait_for(lambda: finished_tasks(database_url) >= after_finished, 240, "progress")
    wait_for(lambda: bool(busy_tasks(worker.log())), 60, f"worker {worker.name} to be busy")
    busy_since = time.time()
    wait_for(
        lambda: any(
            "icloud-content" in e.host and e.started >= busy_since for e in sandbox.exchanges()
        ),
        60,
        "a download to begin",
    )
    worker.kill()
    worker.start()


@contextmanager
def sandbox_with_faults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # Knobs are read when the sandbox starts; the processes under test never see them.
    monkeypatch.setenv("CLOUDTAP_SANDBOX_LATENCY_MS", "60")
    monkeypatch.setenv("CLOUDTAP_SANDBOX_LINK_BPS", "3000000")
    settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path / "sandbox")})
    with sandbox_runtime.start_sandbox(settings) as running:
        monkeypatch.delenv("CLOUDTAP_SANDBOX_LATENCY_MS")
        monkeypatch.delenv("CLOUDTAP_SANDBOX_LINK_BPS")
        yield running


def test_polls_survive_a_worker_killed_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_url, postgres_url = os.environ.get(REDIS_ENV), os.environ.get(POSTGRES_ENV)
    if not redis_url or not postgres_url:
        pytest.skip(f"{REDIS_ENV} and {POSTGRES_ENV} are needed (run `source scripts/services`)")
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        sandbox = stack.enter_context(sandbox_with_faults(tmp_path, monkeypatch))
        database_url = stack.enter_context(contextmanager(fresh_postgres_database)(postgres_url))
        env = {
            "CLOUDTAP_QUEUE_URL": f"{redis_url}?queue=cloudtap-test-{uuid.uuid4().hex[:8]}",
            "CLOUDTAP_DATABASE_URL": database_url,
            "CLOUDTAP_SANDBOX_PROXY_URL": sandbox.proxy_url,
            "CLOUDTAP_SANDBOX_CA_FILE": str(sandbox.ca_file),
            "CLOUDTAP_TASK_LEASE_SECONDS": "3",
        }
        api = stack.enter_context(served_api(data_dir, extra_env=env, extra_args=("--no-worker",)))
        victim = WorkerProcess(data_dir, env, "victim").start()
        stack.callback(victim.stop)
        survivor = WorkerProcess(data_dir, env, "survivor").start()
        stack.callback(survivor.stop)
        client = httpx.Client(
            base_url=api.url, headers={"Authorization": f"Token {api.token}"}, timeout=90
        )
        user = client.post("/users", json={"identifier": "me"}).json()

        def prepare(account: tuple[str, str | None]) -> tuple[str, tuple[str, list[str]]]:
            apple_id = f"{account[0]}@{DOMAIN}"
            session_id = active_session(client, user["id"], apple_id, account[1])
            return apple_id, (session_id, photo_files(client, session_id, 6, least=2))

        with ThreadPoolExecutor(max_workers=4) as pool:
            files = dict(pool.map(prepare, ACCOUNTS.items()))
        prepared = time.monotonic()

        posted: list[tuple[str, dict[str, Any]]] = []
        for round_ in range(POLLS_PER_ACCOUNT):
            for apple_id, (session_id, ids) in files.items():
                start = round_ * FILES_PER_POLL
                chosen = [ids[(start + i) % len(ids)] for i in range(FILES_PER_POLL)]
                chosen = list(dict.fromkeys(chosen))
                posted.append((apple_id, post_poll(client, session_id, {"files": chosen})))
        total = sum(len(poll["payload"]["files"]) for _, poll in posted)
        kill_mid_task(victim, database_url, total // 5, sandbox)
        kill_mid_task(victim, database_url, total // 2, sandbox)
        deadline = time.monotonic() + 240  # for all of them together
        settled = [
            (apple_id, settle(client, poll, max(1.0, deadline - time.monotonic())))
            for apple_id, poll in posted
        ]
        print(f"{len(posted)} polls, {total} files: {time.monotonic() - prepared:.0f} s")

        logs = victim.log() + survivor.log()
        assert [p["state"] for _, p in settled].count("completed") == len(settled), logs[-4000:]
        with transaction(database_url) as db:
            reclaimed = int(db.scalar(select(func.sum(Task.reclaims))) or 0)
        # Both kills interrupted running tasks, which the live workers took back.
        assert reclaimed >= 2, reclaimed
        print(f"{reclaimed} interrupted tasks taken back and run again")
        assert "back from a dead worker" in logs
        assert_published_once(client, database_url, sandbox, data_dir, settled)
