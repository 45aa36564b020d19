"""The FastAPI application: ricloud v3 resources, JSON errors, OpenAPI at /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI

from cloudtap.api.audit_trail import AuditTrail
from cloudtap.api.body import JsonBodyMiddleware
from cloudtap.api.errors import DatabaseUnavailableMiddleware, install_error_handlers
from cloudtap.api.idempotency import IdempotencyMiddleware
from cloudtap.api.openapi_spec import install_openapi
from cloudtap.api.operations.endpoints import RequestObserver, install_operations
from cloudtap.api.ratelimit import RateLimit, RateLimitMiddleware, buckets_for
from cloudtap.api.resources import (
    audit,
    events,
    keys,
    organisation,
    permissions,
    polls,
    results,
    sessions,
    sources,
    storage_configs,
    subscriptions,
    tasks,
    users,
    webhook_configs,
)
from cloudtap.config import Settings, get_settings
from cloudtap.jobs.webhooks import install_webhook_delivery

RESOURCE_MODULES = (
    organisation,
    keys,
    users,
    sources,
    sessions,
    polls,
    subscriptions,
    tasks,
    results,
    events,
    storage_configs,
    webhook_configs,
    permissions,
    audit,
)


def create_api(settings: Settings | None = None) -> FastAPI:
    """The API alone; ``cloudtap.app.create_app`` mounts the dashboard on it."""
    app = FastAPI(
        title="cloudtap",
        version="0.1.0",
        description="A self-hostable iCloud data API, wire-compatible with ricloud API v3.",
        docs_url="/docs",
        redoc_url=None,
    )
    settings = settings or get_settings()
    app.state.settings = settings
    # Events the API records (poll.created, ...) are queued for webhook delivery.
    install_webhook_delivery()
    install_operations(app, settings)  # /healthz, /readyz, /metrics
    for module in RESOURCE_MODULES:
        app.include_router(module.router)
    install_error_handlers(app)
    install_openapi(app)
    # Inside idempotency: a replayed answer is not a second action.
    app.add_middleware(AuditTrail, settings=settings)
    # Inside the body cap: a replayed POST was a body of an allowed size.
    app.add_middleware(IdempotencyMiddleware, settings=settings)
    app.add_middleware(JsonBodyMiddleware, max_bytes=settings.max_body_bytes)
    # Outermost: a key (or an address without one) over its rate is refused before its
    # body is read.
    limit, anonymous = RateLimit.from_env(), RateLimit.anonymous_from_env()
    if limit.enabled or anonymous.enabled:
        app.add_middleware(
            RateLimitMiddleware,
            buckets=buckets_for(settings.queue_url, limit) if limit.enabled else None,
            anonymous=(
                buckets_for(settings.queue_url, anonymous, "anonymous")
                if anonymous.enabled
                else None
            ),
        )
    app.add_middleware(DatabaseUnavailableMiddleware)
    app.add_middleware(RequestObserver)  # outermost: ids, logs and metrics see every answer
    return app
