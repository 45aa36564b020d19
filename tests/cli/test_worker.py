"""Scale-out shape: ``serve --no-worker`` enqueues into Redis, separate ``cloudtap worker``
processes run the jobs against the deployment's one sandbox, and the API sees the outcome.

Two workers on one queue never log into one Apple ID at once (the login lock holds across
processes), and a login handled by one worker is usable by a poll on the other (one
sandbox per deployment, not one per worker)."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cloudtap.config import Settings
from tests.cli.serve_process import cloudtap_command, cloudtap_env, served_api
from tests.support.postgres import POSTGRES_ENV, fresh_postgres_database

pytestmark = pytest.mark.services
REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"


def test_separate_worker_runs_jobs_from_redis(tmp_path: Path) -> None:
    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} is not set (run `source scripts/services`)")
    data_dir = tmp_path / "data"
    env = {"CLOUDTAP_QUEUE_URL": f"{redis_url}?queue=cloudtap-test-{uuid.uuid4().hex[:8]}"}
    with served_api(data_dir, extra_env=env, extra_args=("--no-worker",)) as api:
        headers = {"Authorization": f"Token {api.token}", "Ricloud-Await": "30"}
        client = httpx.Client(base_url=api.url, headers=headers, timeout=60)
        user = client.post("/users", json={"identifier": "me"}).json()
        body = {
            "source": {"user": user["id"], "identifier": "no2fa@sandbox.cloudtap.dev"},
            "payload": {"password": "sandbox-password"},
        }
        # Nobody consumes the queue yet: the session stays pending.
        waiting = client.post("/sessions", json=body, headers={"Ricloud-Await": "1"}).json()
        assert waiting["state"] == "pending"
        with open(tmp_path / "worker.log", "w") as log:
            worker = subprocess.Popen(
                [*cloudtap_command(), "worker", "--workers", "1"],
                env=cloudtap_env(data_dir, env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            settled = client.get(f"/sessions/{waiting['id']}").json()
            assert settled["state"] == "active", (tmp_path / "worker.log").read_text()
            # The worker started no sandbox: it used the one serve published.
            assert "published by `cloudtap serve`" in (tmp_path / "worker.log").read_text()
            poll = client.post(
                "/polls", json={"session": settled["id"], "payload": {"info_types": ["*"]}}
            ).json()
            assert poll["state"] == "completed" and poll["results"]["total_count"] > 0
        finally:
            worker.terminate()
            worker.wait(timeout=20)
    # serve published its sandbox while it ran, and withdrew it when it stopped.
    assert not (data_dir / "sandbox" / "endpoint.json").exists()


APPLE_ID = "2fa-device@sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
LEASE_LINE = re.compile(r"lease login:\w+ held from ([\d.]+) to ([\d.]+)")
AUTH_HOSTS = {"idmsa.apple.com", "setup.icloud.com"}


@dataclass
class Worker:
    name: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def workers(data_dir: Path, env: dict[str, str], names: tuple[str, ...]) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        for name in names:
            log_path = data_dir.parent / f"worker-{name}.log"
            with open(log_path, "w") as log:
                process = subprocess.Popen(
                    [*cloudtap_command(), "worker", "--workers", "1"],
                    env=cloudtap_env(data_dir, env),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            started.append(Worker(name, log_path, process))
        yield started
    finally:
        for worker in started:
            worker.stop()


def _hold_intervals(logs: list[str]) -> list[tuple[float, float]]:
    return sorted(
        (float(start), float(end)) for text in logs for start, end in LEASE_LINE.findall(text)
    )


def test_two_workers_never_overlap_logins_and_share_one_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtap.sandbox import runtime as sandbox_runtime

    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} is not set (run `source scripts/services`)")
    # The deployment's one sandbox, run apart from serve and the workers (as with
    # `cloudtap sandbox serve`), here so the test can read its request log. Latency makes
    # each login last long enough that unlocked logins would surely overlap.
    monkeypatch.setenv("CLOUDTAP_SANDBOX_LATENCY_MS", "80")
    sandbox_settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path / "sandbox")})
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        sandbox = stack.enter_context(sandbox_runtime.start_sandbox(sandbox_settings))
        monkeypatch.delenv("CLOUDTAP_SANDBOX_LATENCY_MS")
        env = {
            "CLOUDTAP_QUEUE_URL": f"{redis_url}?queue=cloudtap-test-{uuid.uuid4().hex[:8]}",
            "CLOUDTAP_SANDBOX_PROXY_URL": sandbox.proxy_url,
            "CLOUDTAP_SANDBOX_CA_FILE": str(sandbox.ca_file),
        }
        postgres = os.environ.get(POSTGRES_ENV)
        if postgres:  # the full scale-out shape; else all share the data dir's SQLite file
            database = contextmanager(fresh_postgres_database)(postgres)
            env["CLOUDTAP_DATABASE_URL"] = stack.enter_context(database)
        account = sandbox.world.account(APPLE_ID)
        assert account is not None
        code = account.code
        with (
            served_api(data_dir, extra_env=env, extra_args=("--no-worker",)) as api,
            workers(data_dir, env, ("a", "b")) as (worker_a, worker_b),
        ):
            assert not (data_dir / "sandbox" / "endpoint.json").exists()  # serve ran none
            headers = {"Authorization": f"Token {api.token}", "Ricloud-Await": "30"}
            client = httpx.Client(base_url=api.url, headers=headers, timeout=90)
            user = client.post("/users", json={"identifier": "me"}).json()

            def create_session(payload: dict[str, str]) -> dict[str, object]:
                body = {
                    "source": {"user": user["id"], "identifier": APPLE_ID},
                    "payload": {"password": PASSWORD, **payload},
                }
                response = client.post("/sessions", json=body)
                assert response.status_code in (200, 201), response.text
                session = dict(response.json())
                # A loaded machine may outlast one await (30 s at most): await again, a
                # bounded number of times, on the session itself.
                for _ in range(4):
                    if session["state"] != "pending" or session["error"] is not None:
                        break
                    session = dict(client.get(f"/sessions/{session['id']}").json())
                return session

            # Three logins of one 2FA Apple ID at once, then two more with the code.
            with ThreadPoolExecutor(max_workers=3) as pool:
                first = list(pool.map(create_session, [{}, {}, {}]))
                assert [s["error"] for s in first] == ["code-required"] * 3, first
                second = list(pool.map(create_session, [{"code": code}, {"code": code}]))
            assert [s["state"] for s in second] == ["active", "active"], second
            logins_done = time.time()
            logs = [worker_a.log(), worker_b.log()]

            # The sandbox never served two sign-in requests of this Apple ID at once (each
            # login is sequential, so overlapping logins would show up here)...
            auth = [
                e for e in sandbox.exchanges() if e.host in AUTH_HOSTS and e.started < logins_done
            ]
            assert auth
            spans = sorted((e.started, e.finished) for e in auth)
            for (_, previous_end), (start, _) in itertools.pairwise(spans):
                assert start >= previous_end, "two logins of one Apple ID ran at once"
            # ...every login job took the lock, on both workers, and no two holds overlapped.
            assert all("login job for " in text for text in logs), logs
            holds = _hold_intervals(logs)
            assert len(holds) == 5, logs
            for (_, previous_end), (start, _) in itertools.pairwise(holds):
                assert start >= previous_end, f"two logins of {APPLE_ID} overlapped: {holds}"
            # And every sign-in request the sandbox saw fell inside one of those holds.
            for exchange in auth:
                assert any(
                    start <= exchange.started and exchange.finished <= end for start, end in holds
                ), f"{exchange} outside every lock hold {holds}"

            # The active session's login ran on one worker; stop it, and the other one
            # (which never saw that login) handles the poll.
            session_id = str(second[0]["id"])
            login_worker, other = (
                (worker_a, worker_b)
                if f"login job for {session_id}" in worker_a.log()
                else (worker_b, worker_a)
            )
            assert f"login job for {session_id}" in login_worker.log()
            login_worker.stop()
            poll = client.post(
                "/polls", json={"session": session_id, "payload": {"info_types": ["*"]}}
            ).json()
            assert poll["state"] == "completed", (poll, other.log())
            assert poll["results"]["total_count"] > 0
            assert f"poll job for {poll['id']}" in other.log()
