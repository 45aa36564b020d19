"""The Prometheus metrics cloudtap keeps, in one registry of their own.

Low in the stack (only prometheus-client), so the API, the jobs and the publishers can
all count into it; ``jobs.connectors`` hands :func:`observe_apple` to the icloud
transport's observer hook. Gauges that describe the
database or the queue are read at scrape time (``cloudtap.api.operations.collectors``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "cloudtap_http_requests",
    "API requests answered, by method, route template and status code.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "cloudtap_http_request_duration_seconds",
    "Time to answer an API request, by method and route template.",
    ("method", "route"),
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
APPLE_SECONDS = Histogram(
    "cloudtap_apple_request_duration_seconds",
    "Time to the response head of a request to Apple (or the sandbox), by host.",
    ("host",),
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
APPLE_REQUESTS = Counter(
    "cloudtap_apple_requests",
    "Requests to Apple (or the sandbox) by host and outcome (ok, client-error, "
    "throttled, server-error).",
    ("host", "outcome"),
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "cloudtap_webhook_deliveries",
    "Webhook delivery attempts by outcome (delivered, failed, gave-up, deferred).",
    ("outcome",),
    registry=REGISTRY,
)


def apple_outcome(status: int) -> str:
    if status in (429, 503):
        return "throttled"
    if status >= 500:
        return "server-error"
    if status >= 400:
        return "client-error"
    return "ok"


def observe_apple(host: str, status: int, seconds: float) -> None:
    APPLE_SECONDS.labels(host).observe(seconds)
    APPLE_REQUESTS.labels(host, apple_outcome(status)).inc()
