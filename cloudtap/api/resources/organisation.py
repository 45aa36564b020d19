"""``/organisation``: the caller's organisation, with its configs and permissions."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.sql.elements import BindParameter

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import ListOut, find_scoped, unit_of_work
from cloudtap.api.configured import unusable_config
from cloudtap.api.errors import ApiError, invalid_parameter, not_found
from cloudtap.api.limits import MAX_CONFIG_BYTES, MAX_ID_LENGTH, MAX_NAME_LENGTH
from cloudtap.api.resources.permissions import PermissionsOut, serialize_permissions
from cloudtap.api.resources.storage_configs import StorageConfigOut, serialize_storage_config
from cloudtap.api.resources.webhook_configs import WebhookConfigOut
from cloudtap.api.routing import WireRoute
from cloudtap.api.shared import default_of, may_choose_defaults
from cloudtap.store.environments import environment_scope
from cloudtap.store.ids import isoformat
from cloudtap.store.models import Organisation, Permissions, StorageConfig, WebhookConfig
from cloudtap.wire.webhook_configs import serialize_webhook_config

router = APIRouter(tags=["organisation"], route_class=WireRoute)


class OrganisationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "organisation"
    name: str
    slug: str
    type: str
    state: str
    api_version: str
    config: dict[str, Any]
    permissions: PermissionsOut | None
    storage_configs: ListOut[StorageConfigOut]
    storage_config_default: str | None
    webhook_configs: ListOut[WebhookConfigOut]
    webhook_config_default: str | None
    date_created: str | None


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_LENGTH)
    config: dict[str, Any] | None = None
    storage_config_default: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    webhook_config_default: str | None = Field(default=None, max_length=MAX_ID_LENGTH)


def _nested_list(items: list[Any], url: str) -> dict[str, Any]:
    return {
        "resource": "list",
        "data": items,
        "has_more": False,
        "total_count": len(items),
        "url": url,
    }


def _state(db: DbSession, org: Organisation, caller: Caller) -> str:
    # Where the caller's results would go: its own config, else its environment's default.
    if org.state == "active" and unusable_config(db, org.id, caller.key_id) is not None:
        return "unconfigured"
    return org.state


def _default_id(
    db: DbSession, model: type[StorageConfig] | type[WebhookConfig], org: Organisation, env: str
) -> str | None:
    """The default, shown only to keys of its config's environment (the one it serves)."""
    config = default_of(db, model, org, env)
    return config.id if config is not None else None


_ORGANISATION: BindParameter[str] = bindparam("organisation_id")
_ENVIRONMENT: BindParameter[str] = bindparam("environment")
# Built once, values bound per call: GET /organisation is asked again and again.
_STORAGE_CONFIGS = (
    select(StorageConfig)
    .where(
        StorageConfig.organisation_id == _ORGANISATION,
        *environment_scope(StorageConfig, _ORGANISATION, _ENVIRONMENT),  # type: ignore[arg-type]
    )
    .order_by(StorageConfig.pk.desc())
)
_WEBHOOK_CONFIGS = (
    select(WebhookConfig)
    .where(
        WebhookConfig.organisation_id == _ORGANISATION,
        *environment_scope(WebhookConfig, _ORGANISATION, _ENVIRONMENT),  # type: ignore[arg-type]
    )
    .order_by(WebhookConfig.pk.desc())
)
_PERMISSIONS = (
    select(Permissions).where(Permissions.organisation_id == _ORGANISATION).order_by(Permissions.pk)
)
_BY_ID = select(Organisation).where(Organisation.id == _ORGANISATION)


def serialize_organisation(db: DbSession, org: Organisation, caller: Caller) -> dict[str, Any]:
    # The caller's environment's configs only, like /configs/storage and /configs/webhook.
    values = {"organisation_id": org.id, "environment": caller.environment}
    storage = db.scalars(_STORAGE_CONFIGS, values)
    webhooks = db.scalars(_WEBHOOK_CONFIGS, values)
    permissions = db.scalars(_PERMISSIONS, values).first()
    return {
        "id": org.id,
        "resource": "organisation",
        "name": org.name,
        "slug": org.slug,
        "type": org.type,
        "state": _state(db, org, caller),
        "api_version": "v3",
        "config": {"publish_source_files": False, **(org.config or {})},
        "permissions": serialize_permissions(permissions) if permissions else None,
        "storage_configs": _nested_list(
            [serialize_storage_config(c) for c in storage], "/configs/storage"
        ),
        "storage_config_default": _default_id(db, StorageConfig, org, caller.environment),
        "webhook_configs": _nested_list(
            [serialize_webhook_config(c) for c in webhooks],
            "/configs/webhook",
        ),
        "webhook_config_default": _default_id(db, WebhookConfig, org, caller.environment),
        "date_created": isoformat(org.date_created),
    }


def _load(db: DbSession, caller: Caller) -> Organisation:
    org = db.scalars(_BY_ID, {"organisation_id": caller.organisation_id}).first()
    if org is None:
        raise not_found("organisation")
    return org


@router.get("/organisation", response_model=OrganisationOut)
def retrieve_organisation(caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_organisation(db, _load(db, caller), caller)


@router.post("/organisation", response_model=OrganisationOut)
def update_organisation(
    update: OrganisationUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        org = _load(db, caller)
        if update.name is not None:
            org.name = update.name
        if update.config is not None:
            merged = {**(org.config or {}), **update.config}
            # Served on every read of the organisation: keep it small.
            if len(json.dumps(merged, separators=(",", ":"), default=str)) > MAX_CONFIG_BYTES:
                raise invalid_parameter("config", f"may hold at most {MAX_CONFIG_BYTES} bytes")
            org.config = merged
        for field, model in (
            ("storage_config_default", StorageConfig),
            ("webhook_config_default", WebhookConfig),
        ):
            value = getattr(update, field)
            if value is not None and not may_choose_defaults(db, caller):
                raise ApiError(
                    403,
                    "live-key-required",
                    "Live keys use the defaults: set them with a live key.",
                )
            if value is not None:
                if find_scoped(db, model, caller, value) is None:
                    raise invalid_parameter(field, "no such config")
                setattr(org, field, value)
        db.flush()
        return serialize_organisation(db, org, caller)
