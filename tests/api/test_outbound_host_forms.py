"""Saving a webhook URL or an S3 endpoint refuses every spelling of a forbidden host:
the numeric forms resolvers accept (``inet_aton``: one number, short dotted, hex, octal),
IPv6 forms that embed an IPv4 address, and names that mean this machine."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Tenant

KEYS = {"access_key_id": "AKIDTESTKEY", "secret_access_key": "test-secret-key"}

FORBIDDEN_HOSTS = [
    "2130706433",  # 127.0.0.1 as one number
    "127.1",
    "0x7f.0.0.1",
    "0177.0.0.1",  # octal
    "0x7f000001",
    "0",
    "10.1",  # 10.0.0.1
    "169.254.43518",  # 169.254.169.254, the cloud metadata address
    "[::127.0.0.1]",  # IPv4-compatible IPv6
    "[::ffff:7f00:1]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "localhost.localdomain",
    "localhost6",
    "ip6-localhost",
    "printer.local",
    "db.internal",
]


def _save_webhook(client: TestClient, tenant: Tenant, host: str) -> Any:
    return client.post(
        "/configs/webhook", json={"url": f"http://{host}/hook"}, headers=tenant.headers
    )


def _save_storage(client: TestClient, tenant: Tenant, host: str) -> Any:
    credentials = {**KEYS, "endpoint_url": f"http://{host}:9000"}
    return client.post(
        "/configs/storage",
        json={"url": "s3://bucket/prefix", "credentials": credentials},
        headers=tenant.headers,
    )


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_every_spelling_of_a_forbidden_host_is_refused_at_save(
    client: TestClient, tenant: Tenant, host: str
) -> None:
    webhook = _save_webhook(client, tenant, host)
    assert webhook.status_code == 400, webhook.text
    assert webhook.json()["error"] == "invalid-parameter" and "url" in webhook.json()["params"]
    storage = _save_storage(client, tenant, host)
    assert storage.status_code == 400, storage.text
    assert "credentials.endpoint_url" in storage.json()["params"], storage.text
    assert client.get("/configs/webhook", headers=tenant.headers).json()["total_count"] == 0
    assert client.get("/configs/storage", headers=tenant.headers).json()["total_count"] == 0


@pytest.mark.parametrize("host", ["hooks.example.com", "8.8.8.8", "134744072", "[2606:4700::1]"])
def test_public_hosts_are_still_saved(client: TestClient, tenant: Tenant, host: str) -> None:
    assert _save_webhook(client, tenant, host).status_code == 201
