"""``/metrics``: Prometheus text, by route template, with queue, tasks, Apple, webhooks."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from cloudtap.app import create_app
from cloudtap.config import Settings
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.api.live_sandbox import LiveAPI, live_api  # noqa: F401  (fixture)
from tests.jobs.fake_connector import FakeConnector
from tests.support.webhook_receiver import WebhookReceiver

LOOPBACK = ("127.0.0.1", 40000)


@pytest.fixture(autouse=True)
def _loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the settings are read: the test receiver listens on loopback."""
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status(
    settings: Settings, tenant: Tenant
) -> None:
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        before = client.get("/metrics").text
        for poll_id in ("a", "b"):
            assert client.get(f"/polls/{poll_id}", headers=tenant.headers).status_code == 404
        assert client.get("/organisation", headers=tenant.headers).status_code == 200
        after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    route_404 = {"method": "GET", "route": "/polls/{poll_id}", "status": "404"}
    org_200 = {"method": "GET", "route": "/organisation", "status": "200"}
    name = "cloudtap_http_requests_total"
    assert value(after.text, name, **route_404) - value(before, name, **route_404) == 2
    assert value(after.text, name, **org_200) - value(before, name, **org_200) == 1
    # Gauges read at scrape time.
    assert ("cloudtap_queue_depth", frozenset()) in samples(after.text)
    assert "# TYPE cloudtap_tasks gauge" in after.text


def test_metrics_need_the_operator_token_or_loopback(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    with TestClient(create_app(settings)) as remote:  # a non-loopback client address
        refused = remote.get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["error"] == "metrics-forbidden"
    monkeypatch.setenv("CLOUDTAP_METRICS_TOKEN", "operator-secret")
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        assert client.get("/metrics").status_code == 403  # with a token set, it is required
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        ok = client.get("/metrics", headers={"Authorization": "Bearer operator-secret"})
        assert ok.status_code == 200 and "cloudtap_http_requests_total" in ok.text


def test_tasks_by_state_and_webhook_deliveries(
    settings: Settings,
    tenant: Tenant,
    worker: FakeConnector,
) -> None:
    with (
        TestClient(create_app(settings), client=LOOPBACK) as client,
        WebhookReceiver() as receiver,
    ):
        before = client.get("/metrics").text
        created = client.post(
            "/configs/webhook", json={"url": receiver.url}, headers=tenant.headers
        )
        assert created.status_code == 201
        session = create_session(client, tenant, create_user(client, tenant)["id"])
        poll = client.post(
            "/polls",
            json={"session": session["id"], "payload": {"info_types": ["*"]}},
            headers={**tenant.headers, "Ricloud-Await": "10"},
        ).json()
        assert poll["state"] == "completed"
        name = "cloudtap_webhook_deliveries_total"
        deadline = time.monotonic() + 20
        delivered = 0.0
        while time.monotonic() < deadline and delivered < 2:
            now = client.get("/metrics").text
            delivered = value(now, name, outcome="delivered") - value(
                before, name, outcome="delivered"
            )
            time.sleep(0.2)
        assert delivered >= 2  # session.active, poll.created, ... reached the receiver
        assert value(now, "cloudtap_tasks", state="succeeded") >= 1
        assert value(now, "cloudtap_polls", state="completed") >= 1


def test_apple_requests_are_timed_and_counted_by_host(
    monkeypatch: pytest.MonkeyPatch, live: LiveAPI
) -> None:
    monkeypatch.setenv("CLOUDTAP_METRICS_TOKEN", "operator-secret")
    scrape = {"Authorization": "Bearer operator-secret"}
    before = live.client.get("/metrics", headers=scrape).text
    live.active_session("no2fa")
    after = live.client.get("/metrics", headers=scrape).text
    host = {"host": "idmsa.apple.com"}
    latency = "cloudtap_apple_request_duration_seconds_count"
    assert value(after, latency, **host) > value(before, latency, **host)
    counted = "cloudtap_apple_requests_total"
    assert value(after, counted, outcome="ok", **host) > value(
        before, counted, outcome="ok", **host
    )
    assert value(after, counted, outcome="ok", host="setup.icloud.com") >= 1
