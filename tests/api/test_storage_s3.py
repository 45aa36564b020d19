"""Publishing results to an S3 bucket on a real S3 API server (moto, 127.0.0.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user, finished_task
from tests.jobs.fake_connector import FILE_ID, FakeConnector, file_bytes
from tests.support.s3_server import LocalS3, local_s3


@pytest.fixture(autouse=True)
def _loopback_endpoints_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto listens on 127.0.0.1: the operator's allow-list lets tenants reach it."""
    monkeypatch.setenv("CLOUDTAP_OUTBOUND_ALLOW_HOSTS", "127.0.0.1")


@pytest.fixture
def s3() -> Iterator[LocalS3]:
    with local_s3() as server:
        yield server


def create_s3_config(
    client: TestClient, tenant: Tenant, s3: LocalS3, credentials: dict[str, str]
) -> dict[str, Any]:
    response = client.post(
        "/configs/storage",
        json={
            "url": f"s3://{s3.bucket}/exports",
            "credentials": credentials,
            "signed_urls_enabled": True,
        },
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_results_are_published_to_the_bucket_and_downloadable(
    client: TestClient, tenant: Tenant, worker: FakeConnector, s3: LocalS3
) -> None:
    config = create_s3_config(client, tenant, s3, s3.credentials)
    assert config["type"] == "s3" and config["credentials"] == {}  # secrets never come back
    task = client.post(f"/configs/storage/{config['id']}/test", headers=tenant.headers).json()
    assert (
        finished_task(client, tenant, task["id"], attempts=200, interval=0.1)["state"]
        == "succeeded"
    )
    stored = client.get(f"/configs/storage/{config['id']}", headers=tenant.headers).json()
    assert stored["state"] == "valid" and stored["credentials"] == {}
    org = client.get("/organisation", headers=tenant.headers).json()
    assert org["storage_config_default"] == config["id"]

    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    assert poll["state"] == "completed" and poll["tasks_failed"] == []
    results = poll["results"]["data"]
    assert results and all(r["url"].startswith(f"s3://{s3.bucket}/exports/") for r in results)
    assert sorted(s3.keys()) == sorted(r["url"].split("/", 3)[3] for r in results)

    [photo] = [r for r in results if r["identifier"] == FILE_ID]
    signed = photo["signed_url"]["url"]
    assert signed.startswith(s3.endpoint_url)  # straight from the bucket, not via the API
    downloaded = httpx.get(signed).content
    assert downloaded == file_bytes(FILE_ID)
    assert hashlib.md5(downloaded).hexdigest() == photo["checksum"]
    assert photo["size"] == len(downloaded)

    removed = client.delete(f"/sessions/{session['id']}", headers=tenant.headers).json()
    assert removed["removed"]["results"] == len(results)
    assert s3.keys() == []


def test_a_bucket_that_refuses_makes_the_config_invalid(
    client: TestClient, tenant: Tenant, worker: FakeConnector, s3: LocalS3
) -> None:
    wrong = {**s3.credentials, "endpoint_url": "http://127.0.0.1:9"}  # nothing listens there
    config = create_s3_config(client, tenant, s3, wrong)
    task = client.post(f"/configs/storage/{config['id']}/test", headers=tenant.headers).json()
    done = finished_task(client, tenant, task["id"], attempts=200, interval=0.1)
    assert (done["state"], done["error"]) == ("failed", "storage-unreachable")
    stored = client.get(f"/configs/storage/{config['id']}", headers=tenant.headers).json()
    assert stored["state"] == "invalid"


def test_s3_configs_need_explicit_credentials(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/configs/storage", json={"url": "s3://bucket/prefix"}, headers=tenant.headers
    )
    assert response.status_code == 400 and "credentials" in response.json()["params"]
