"""Per-key rate limits: 429 ``rate-limited`` with ``Retry-After``, in memory or on Redis."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from cloudtap.api.ratelimit import MemoryBuckets, RateLimit
from cloudtap.app import create_app
from cloudtap.config import Settings
from tests.api.conftest import Tenant

REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"


@pytest.fixture
def slow_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDTAP_RATE_LIMIT_PER_SECOND", "1")
    monkeypatch.setenv("CLOUDTAP_RATE_LIMIT_BURST", "3")


def burst_then_refused(client: TestClient, tenant: Tenant) -> None:
    for _ in range(3):
        assert client.get("/organisation", headers=tenant.headers).status_code == 200
    refused = client.get("/organisation", headers=tenant.headers)
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "rate-limited",
        "message": "Too many requests for this key; retry after the Retry-After delay.",
        "params": {"retry_after": 1},
    }
    assert refused.headers["Retry-After"] == "1"


def test_a_key_over_its_rate_gets_429_with_retry_after(
    slow_limit: None, settings: Settings, tenant: Tenant, other_tenant: Tenant
) -> None:
    with TestClient(create_app(settings)) as client:
        burst_then_refused(client, tenant)
        # Another key has its own bucket.
        assert client.get("/organisation", headers=other_tenant.headers).status_code == 200
        # POSTs count too, and are refused before their body is looked at.
        assert client.post("/users", content=b"{", headers=tenant.headers).status_code == 429
        time.sleep(1.1)
        assert client.get("/organisation", headers=tenant.headers).status_code == 200


def test_the_limit_is_configurable_and_zero_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant
) -> None:
    monkeypatch.setenv("CLOUDTAP_RATE_LIMIT_PER_SECOND", "0")
    with TestClient(create_app(settings)) as client:
        statuses = {
            client.get("/organisation", headers=tenant.headers).status_code for _ in range(30)
        }
    assert statuses == {200}


def test_the_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = MemoryBuckets(RateLimit(per_second=2, burst=2), clock=lambda: now[0])
    assert [buckets.take("k") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("k") == pytest.approx(0.5)
    now[0] = 0.5
    assert buckets.take("k") == 0.0
    assert buckets.take("k") > 0


def test_replicas_on_redis_share_one_bucket(
    slow_limit: None, monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} is not set (source scripts/services)")
    monkeypatch.setenv("CLOUDTAP_QUEUE_URL", f"{redis_url}?queue=ratelimit-{uuid.uuid4().hex}")
    replica = Settings.from_env()
    with (
        TestClient(create_app(replica)) as first,
        TestClient(create_app(replica)) as second,
    ):
        for client in (first, second, first):
            assert client.get("/organisation", headers=tenant.headers).status_code == 200
        refused = second.get("/organisation", headers=tenant.headers)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert refused.json()["error"] == "rate-limited"


def test_a_rate_limit_store_that_is_down_lets_requests_through(
    slow_limit: None, monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    from tests.cli.serve_process import free_port

    monkeypatch.setenv("CLOUDTAP_QUEUE_URL", f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(Settings.from_env())) as client:
        statuses = [client.get("/organisation", headers=tenant.headers).status_code for _ in "abcd"]
    assert statuses == [200] * 4  # fail open: a Redis outage is not an API outage


def test_invented_names_cannot_grow_the_bucket_table() -> None:
    # Every invalid token and every address gets a bucket; the table stays bounded.
    buckets = MemoryBuckets(RateLimit(per_second=1, burst=5), clock=lambda: 0.0, max_buckets=100)
    for n in range(5_000):
        buckets.take(f"invented-{n}")
    assert len(buckets._buckets) <= 101
    # The most recent names keep their buckets.
    assert "invented-4999" in buckets._buckets
