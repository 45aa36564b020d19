"""Scale-out shape: ``serve --no-worker`` enqueues into Redis, a separate ``cloudtap worker``
process runs the jobs (against its own sandbox), and the API sees the outcome."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.cli.serve_process import cloudtap_command, cloudtap_env, served_api

pytestmark = pytest.mark.services
REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"


def test_separate_worker_runs_jobs_from_redis(tmp_path: Path) -> None:
    pytest.importorskip("cloudtap.sandbox.runtime")
    pytest.importorskip("cloudtap.icloud.client.connector")
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
            poll = client.post(
                "/polls", json={"session": settled["id"], "payload": {"info_types": ["*"]}}
            ).json()
            assert poll["state"] == "completed" and poll["results"]["total_count"] > 0
        finally:
            worker.terminate()
            worker.wait(timeout=20)
