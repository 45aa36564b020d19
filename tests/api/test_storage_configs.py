"""Which store results go to: the key's storage config, else the organisation's default,
else the server's own store."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloudtap.config import Settings
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, FakeConnector, file_bytes


def create_local_config(client: TestClient, tenant: Tenant, root: Path) -> str:
    response = client.post(
        "/configs/storage",
        json={"url": f"local://{root}", "signed_urls_enabled": True},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def published_file(client: TestClient, tenant: Tenant, session_id: str) -> dict[str, Any]:
    poll = create_poll(client, tenant, session_id, {"files": [FILE_ID]})
    [result] = poll["results"]["data"]
    return result


def test_results_follow_the_key_config_then_the_org_default(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    default_store = settings.data_dir / "results"
    assert published_file(client, tenant, session["id"])["url"].startswith(
        f"local://{default_store}/"
    )

    # Tenant-chosen local paths must lie inside the results folder (see test_local_storage_roots).
    org_root, key_root = default_store / "org-store", default_store / "key-store"
    create_local_config(client, tenant, org_root)  # the first one: the org default
    key_config = create_local_config(client, tenant, key_root)
    org_result = published_file(client, tenant, session["id"])
    assert org_result["url"].startswith(f"local://{org_root}/")

    key = client.post("/key", json={"storage_config": key_config}, headers=tenant.headers)
    assert key.status_code == 200, key.text
    key_result = published_file(client, tenant, session["id"])
    path = Path(key_result["url"].removeprefix("local://"))
    assert path.is_relative_to(key_root) and path.read_bytes() == file_bytes(FILE_ID)
    # The signed link reads through the same config's store.
    downloaded = client.get(key_result["signed_url"]["url"]).content
    assert hashlib.md5(downloaded).hexdigest() == key_result["checksum"]

    # A config still holding results cannot be deleted (they would become unreachable).
    refused = client.delete(f"/configs/storage/{key_config}", headers=tenant.headers)
    assert refused.status_code == 400 and refused.json()["error"] == "storage-config-in-use"
    client.delete(f"/sessions/{session['id']}", headers=tenant.headers)
    assert not path.exists()
    deleted = client.delete(f"/configs/storage/{key_config}", headers=tenant.headers)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True


def test_an_s3_storage_config_without_the_extra_is_a_400_naming_it(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, tenant: Tenant
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as without the [s3] extra
    refused = client.post(
        "/configs/storage",
        json={
            "url": "s3://bucket/prefix",
            "credentials": {"access_key_id": "a", "secret_access_key": "b"},
        },
        headers=tenant.headers,
    )
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["error"] == "invalid-parameter" and "cloudtap[s3]" in body["params"]["url"]
