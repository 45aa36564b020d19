"""``/healthz`` answers while the process lives; ``/readyz`` names what is unreachable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi.testclient import TestClient

from cloudtap.app import create_app
from cloudtap.config import Settings
from tests.cli.serve_process import free_port


def test_healthz_and_readyz_on_a_working_install(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "queue": "ok", "storage": "ok"},
    }


def test_readyz_is_503_naming_the_queue_and_storage_that_fail(
    settings: Settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    broken = dataclasses.replace(
        settings,
        # Nothing listens there: the Redis queue cannot be reached.
        queue_url=f"redis://127.0.0.1:{free_port()}/0?queue=readyz",
        storage_url=f"file://{blocker / 'results'}",
    )
    with TestClient(create_app(broken)) as client:
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["error"] == "not-ready"
    assert body["message"] == "Not ready: queue, storage unreachable."
    assert body["params"]["database"] == "ok"
    assert body["params"]["queue"].startswith("unreachable: ")
    assert body["params"]["storage"].startswith("unreachable: ")


def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    port = free_port()
    broken = dataclasses.replace(
        settings, database_url=f"postgresql+psycopg://cloudtap@127.0.0.1:{port}/none"
    )
    with TestClient(create_app(broken)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["params"]["database"].startswith("unreachable: ")
    assert ready.json()["params"]["queue"] == "ok"
