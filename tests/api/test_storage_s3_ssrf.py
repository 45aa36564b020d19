"""A tenant's S3 ``endpoint_url`` goes through the same outbound guard as webhooks.

Loopback, private, link-local (cloud metadata) and reserved endpoints are refused when
the config is saved, and again when it is tested or published to: no request reaches a
listener on loopback. Only the operator's allow-list (``CLOUDTAP_OUTBOUND_ALLOW_HOSTS``,
or the older ``CLOUDTAP_WEBHOOK_ALLOW_HOSTS``) lets such an endpoint through.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloudtap.app import create_app
from cloudtap.config import get_settings, set_settings
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user, finished_task
from tests.jobs.fake_connector import FILE_ID, FakeConnector
from tests.support.tcp_listener import CountingListener

KEYS = {"access_key_id": "AKIDTESTKEY", "secret_access_key": "test-secret-key"}


@pytest.fixture
def target() -> Iterator[CountingListener]:
    with CountingListener() as listener:
        yield listener


def _endpoints(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}",
        f"http://127.1.2.3:{port}",
        f"http://localhost:{port}",
        f"http://[::1]:{port}",
        f"http://[::ffff:127.0.0.1]:{port}",
        f"http://0.0.0.0:{port}",
        "http://169.254.169.254",  # cloud metadata
        "http://10.0.0.1:9000",
        "http://192.168.1.10",
        "http://172.16.0.1",
        "http://metadata.google.internal",
        "ftp://s3.example.com",
        "http://user:pw@s3.example.com",
    ]


def _save(client: TestClient, tenant: Tenant, endpoint: str) -> Any:
    return client.post(
        "/configs/storage",
        json={"url": "s3://bucket/prefix", "credentials": {**KEYS, "endpoint_url": endpoint}},
        headers=tenant.headers,
    )


def test_private_endpoints_are_refused_at_save(
    client: TestClient, tenant: Tenant, target: CountingListener
) -> None:
    for endpoint in _endpoints(target.port):
        response = _save(client, tenant, endpoint)
        assert response.status_code == 400, (endpoint, response.text)
        assert "credentials.endpoint_url" in response.json()["params"], response.text
    assert client.get("/configs/storage", headers=tenant.headers).json()["total_count"] == 0
    assert target.connections == 0


def test_private_endpoints_are_refused_on_update(
    client: TestClient, tenant: Tenant, target: CountingListener
) -> None:
    created = _save(client, tenant, "https://s3.example.com")
    assert created.status_code == 201, created.text
    response = client.post(
        f"/configs/storage/{created.json()['id']}",
        json={"credentials": {**KEYS, "endpoint_url": f"http://127.0.0.1:{target.port}"}},
        headers=tenant.headers,
    )
    assert response.status_code == 400, response.text
    assert target.connections == 0


@pytest.mark.parametrize(
    "variable", ["CLOUDTAP_OUTBOUND_ALLOW_HOSTS", "CLOUDTAP_WEBHOOK_ALLOW_HOSTS"]
)
def test_the_operator_allow_list_admits_an_endpoint(
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    tenant: Tenant,
    target: CountingListener,
) -> None:
    monkeypatch.setenv(variable, "127.0.0.1")
    set_settings(None)
    with TestClient(create_app(get_settings())) as client:
        assert _save(client, tenant, f"http://127.0.0.1:{target.port}").status_code == 201
        assert _save(client, tenant, "http://169.254.169.254").status_code == 400


def test_an_endpoint_no_longer_allowed_is_refused_at_test_and_publish(
    monkeypatch: pytest.MonkeyPatch,
    tenant: Tenant,
    target: CountingListener,
    worker: FakeConnector,
) -> None:
    """Saved while the operator allowed loopback; the allow-list then changed. The test
    task and the poll are refused before any connection is made."""
    monkeypatch.setenv("CLOUDTAP_OUTBOUND_ALLOW_HOSTS", "127.0.0.1")
    set_settings(None)
    with TestClient(create_app(get_settings())) as client:
        created = _save(client, tenant, f"http://127.0.0.1:{target.port}")
        assert created.status_code == 201, created.text
    config_id = created.json()["id"]
    monkeypatch.delenv("CLOUDTAP_OUTBOUND_ALLOW_HOSTS")
    set_settings(None)
    with TestClient(create_app(get_settings())) as client:
        # The poll first: while the config still reads valid, the publish itself refuses.
        session = create_session(client, tenant, create_user(client, tenant)["id"])
        poll = create_poll(client, tenant, session["id"], {"files": [FILE_ID]})
        assert poll["state"] == "completed" and poll["results"]["total_count"] == 0, poll
        [failed] = poll["tasks_failed"]
        task = client.get(f"/tasks/{failed}", headers=tenant.headers).json()
        assert task["error"] == "storage-unavailable", task

        task = client.post(f"/configs/storage/{config_id}/test", headers=tenant.headers).json()
        done = finished_task(client, tenant, task["id"], attempts=300, interval=0.05)
        assert (done["state"], done["error"]) == ("failed", "storage-refused"), done
        config = client.get(f"/configs/storage/{config_id}", headers=tenant.headers).json()
        assert config["state"] == "invalid"
        # Once tested invalid, the organisation is unconfigured: no poll is accepted.
        refused = client.post(
            "/polls",
            json={"session": session["id"], "payload": {"files": [FILE_ID]}},
            headers=tenant.headers,
        )
        assert (refused.status_code, refused.json()["error"]) == (403, "unconfigured")
    assert target.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://169.254.169.254/latest",
        "http://[::1]/h",
        "http://localhost/h",
    ],
)
def test_webhook_urls_are_refused_at_save_by_the_same_guard(
    client: TestClient, tenant: Tenant, url: str
) -> None:
    response = client.post("/configs/webhook", json={"url": url}, headers=tenant.headers)
    assert response.status_code == 400, response.text
    assert "url" in response.json()["params"]
