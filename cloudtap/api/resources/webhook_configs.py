"""``/configs/webhook``: where events are POSTed (delivery itself lives in publish.webhooks)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    DeletedOut,
    ListOut,
    ListParams,
    list_params,
    list_resource,
    load_scoped,
    unit_of_work,
)
from cloudtap.api.errors import invalid_parameter
from cloudtap.api.resources.tasks import TaskOut, create_config_test_task
from cloudtap.api.routing import WireRoute
from cloudtap.api.shared import takes_the_default
from cloudtap.config import Settings
from cloudtap.publish.webhooks.ssrf import UnsafeWebhookURL, WebhookURLGuard
from cloudtap.store.models import Key, Organisation, WebhookConfig
from cloudtap.wire.webhook_configs import serialize_webhook_config

router = APIRouter(tags=["configs"], route_class=WireRoute)


class WebhookConfigOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "webhook_config"
    organisation: str
    url: str
    secret: str
    state: str
    date_created: str | None


class WebhookConfigCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str


class WebhookConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None


def _checked_url(settings: Settings, url: str) -> str:
    """The URL's shape, and no forbidden literal address or internal name (the outbound
    guard's save-time check). Where a name points is vetted at each delivery, when the
    addresses it resolves to are known (and the allow-list of the moment applies)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid_parameter("url", "must be an http:// or https:// URL with a host")
    try:
        WebhookURLGuard(settings.outbound_allow_hosts).check_static(url)
    except UnsafeWebhookURL as exc:
        raise invalid_parameter("url", str(exc)) from exc
    return url


def _organisation(db: DbSession, caller: Caller) -> Organisation | None:
    return db.scalars(select(Organisation).where(Organisation.id == caller.organisation_id)).first()


def _load(db: DbSession, caller: Caller, config_id: str) -> WebhookConfig:
    return load_scoped(db, WebhookConfig, caller, config_id, "webhook_config")


@router.get("/configs/webhook", response_model=ListOut[WebhookConfigOut])
def list_webhook_configs(
    request: Request,
    params: ListParams = Depends(list_params),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    return list_resource(
        request, caller, params, WebhookConfig, lambda _db, row: serialize_webhook_config(row)
    )


@router.post("/configs/webhook", response_model=WebhookConfigOut, status_code=201)
def create_webhook_config(
    body: WebhookConfigCreate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    url = _checked_url(caller.settings, body.url)
    with unit_of_work(caller) as db:
        row = WebhookConfig(
            organisation_id=caller.organisation_id,
            environment=caller.environment,
            url=url,
            secret=secrets.token_urlsafe(32),
        )
        db.add(row)
        db.flush()
        org = _organisation(db, caller)
        if org is not None and takes_the_default(db, caller, WebhookConfig, org):
            org.webhook_config_default = row.id  # the first config becomes the default
        # ricloud queues a test delivery on create.
        create_config_test_task(db, caller, "webhook_config.test", row.id)
        db.flush()
        return serialize_webhook_config(row)


@router.get("/configs/webhook/{config_id}", response_model=WebhookConfigOut)
def retrieve_webhook_config(
    config_id: str, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_webhook_config(_load(db, caller, config_id))


@router.post("/configs/webhook/{config_id}", response_model=WebhookConfigOut)
def update_webhook_config(
    config_id: str, body: WebhookConfigUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, config_id)
        if body.url is not None:
            row.url, row.state = _checked_url(caller.settings, body.url), "new"
        db.flush()
        return serialize_webhook_config(row)


@router.delete("/configs/webhook/{config_id}", response_model=DeletedOut)
def delete_webhook_config(config_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, config_id)
        org = _organisation(db, caller)
        if org is not None and org.webhook_config_default == row.id:
            org.webhook_config_default = None
        for key in db.scalars(select(Key).where(Key.webhook_config_id == row.id)):
            key.webhook_config_id = None
        db.delete(row)
        return {"id": config_id, "resource": "webhook_config", "deleted": True, "state": "deleted"}


@router.post("/configs/webhook/{config_id}/test", response_model=TaskOut, status_code=201)
def test_webhook_config(config_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, config_id)
        # The test event carries the config, secret included, to the caller's events: a
        # config of the caller's own environment (another's is a 404 above).
        return create_config_test_task(db, caller, "webhook_config.test", row.id)
