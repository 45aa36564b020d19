"""``/key`` (the caller's own key) and ``/keys``: API keys, shown once, stored hashed."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    list_params,
    list_resource,
    load_scoped,
    unit_of_work,
)
from cloudtap.api.errors import invalid_parameter
from cloudtap.api.routing import WireRoute
from cloudtap.store.accounts import issue_key, rotate_key, set_key_state
from cloudtap.store.environments import environment_scope
from cloudtap.store.ids import isoformat
from cloudtap.store.listing import get_scoped
from cloudtap.store.models import Key, StorageConfig, WebhookConfig

router = APIRouter(tags=["keys"], route_class=WireRoute)


class KeyOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "key"
    organisation: str
    environment: str
    type: str
    config: dict[str, Any]
    storage_config: str | None
    webhook_config: str | None
    # Only present in the response that creates or rotates the key.
    token: str | None
    token_hint: str
    state: str
    date_created: str | None
    date_expires: str | None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    environment: Literal["sandbox", "live"] | None = None
    config: dict[str, Any] | None = None
    storage_config: str | None = None
    webhook_config: str | None = None


class KeyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] | None = None
    storage_config: str | None = None
    webhook_config: str | None = None
    state: Literal["active", "deactivated"] | None = None


def serialize_key(row: Key, token: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "key",
        "organisation": row.organisation_id,
        "environment": row.environment,
        "type": row.type,
        "config": {"publish_source_files": False, **(row.config or {})},
        "storage_config": row.storage_config_id,
        "webhook_config": row.webhook_config_id,
        "token": token,
        "token_hint": row.token_hint,
        "state": row.state,
        "date_created": isoformat(row.date_created),
        "date_expires": isoformat(row.date_expires),
    }


def _config_of(
    db: DbSession,
    caller: Caller,
    key: Key,
    model: type[StorageConfig] | type[WebhookConfig],
    config_id: str,
) -> object | None:
    scope = environment_scope(model, caller.organisation_id, key.environment)
    return get_scoped(db, model, caller.organisation_id, config_id, scope)


def _apply(db: DbSession, caller: Caller, row: Key, body: KeyCreate | KeyUpdate) -> None:
    if body.config is not None:
        row.config = {**(row.config or {}), **body.config}
    # A config of the key's own environment only (a live key may make sandbox keys).
    if body.storage_config is not None:
        if _config_of(db, caller, row, StorageConfig, body.storage_config) is None:
            raise invalid_parameter("storage_config", "no such storage config")
        row.storage_config_id = body.storage_config
    if body.webhook_config is not None:
        if _config_of(db, caller, row, WebhookConfig, body.webhook_config) is None:
            raise invalid_parameter("webhook_config", "no such webhook config")
        row.webhook_config_id = body.webhook_config
    if isinstance(body, KeyUpdate) and body.state is not None:
        if row.id == caller.key_id and body.state != "active":
            raise invalid_parameter("state", "a key cannot deactivate itself")
        set_key_state(db, row, body.state)


def _load(db: DbSession, caller: Caller, key_id: str) -> Key:
    return load_scoped(db, Key, caller, key_id, "key")


@router.get("/key", response_model=KeyOut)
def current_key(caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_key(_load(db, caller, caller.key_id))


@router.post("/key", response_model=KeyOut)
def update_current_key(body: KeyUpdate, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, caller.key_id)
        _apply(db, caller, row, body)
        db.flush()
        return serialize_key(row)


@router.get("/keys", response_model=ListOut[KeyOut])
def list_keys(
    request: Request,
    params: ListParams = Depends(list_params),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    return list_resource(request, caller, params, Key, lambda _db, row: serialize_key(row))


@router.post("/keys", response_model=KeyOut, status_code=201)
def create_key(body: KeyCreate, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    # A sandbox key can only mint sandbox keys, so a leaked test key never reaches Apple.
    environment = body.environment or caller.environment
    if caller.environment == "sandbox" and environment == "live":
        raise invalid_parameter("environment", "a sandbox key cannot create live keys")
    with unit_of_work(caller) as db:
        issued = issue_key(
            db, caller.organisation_id, "live" if environment == "live" else "sandbox"
        )
        _apply(db, caller, issued.key, body)
        db.flush()
        return serialize_key(issued.key, issued.token)


@router.get("/keys/{key_id}", response_model=KeyOut)
def retrieve_key(key_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_key(_load(db, caller, key_id))


@router.post("/keys/{key_id}", response_model=KeyOut)
def update_key(
    key_id: str, body: KeyUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, key_id)
        _apply(db, caller, row, body)
        db.flush()
        return serialize_key(row)


@router.post("/keys/{key_id}/rotate", response_model=KeyOut)
def rotate(key_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, key_id)
        token = rotate_key(db, row)
        return serialize_key(row, token)
