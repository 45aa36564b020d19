"""``/configs/storage``: where results are published (local store now; S3 later)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
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
from cloudtap.api.errors import ApiError, invalid_parameter
from cloudtap.api.resources.tasks import TaskOut, create_config_test_task
from cloudtap.api.routing import WireRoute
from cloudtap.api.shared import takes_the_default
from cloudtap.config import Settings
from cloudtap.crypto.sealing import Sealer
from cloudtap.extras import MissingExtra, require
from cloudtap.publish.local_roots import LocalPathRefused, checked_local_path
from cloudtap.publish.outbound import UnsafeURL
from cloudtap.publish.s3 import check_credentials, parse_s3_url, usable_credentials
from cloudtap.publish.stores import credentials_context, s3_guard
from cloudtap.store.ids import isoformat
from cloudtap.store.models import Key, Organisation, Result, StorageConfig

router = APIRouter(tags=["configs"], route_class=WireRoute)

STORAGE_SCHEMES = ("local", "file", "s3", "gs")


class StorageConfigOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "storage_config"
    organisation: str
    type: str
    url: str
    credentials: dict[str, Any]
    signed_urls_enabled: bool
    signed_urls_expiry: int | None
    state: str
    date_created: str | None


class StorageConfigCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    credentials: dict[str, Any] = Field(default_factory=dict)
    signed_urls_enabled: bool = False
    signed_urls_expiry: int | None = Field(default=None, ge=1)


class StorageConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    credentials: dict[str, Any] | None = None
    signed_urls_enabled: bool | None = None
    signed_urls_expiry: int | None = Field(default=None, ge=1)


def _storage_type(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in STORAGE_SCHEMES or not url.split("://", 1)[-1]:
        raise invalid_parameter(
            "url", f"must be one of {', '.join(s + '://' for s in STORAGE_SCHEMES)}"
        )
    return "local" if scheme == "file" else scheme


def _checked_location(settings: Settings, kind: str, url: str) -> None:
    """A local path must lie inside the allowed roots (see ``publish.local_roots``)."""
    if kind != "local":
        return
    try:
        checked_local_path(settings, url)
    except LocalPathRefused as exc:
        raise invalid_parameter("url", str(exc)) from exc


def _checked_credentials(
    settings: Settings, kind: str, url: str, given: dict[str, Any]
) -> dict[str, Any]:
    """The credentials to keep, checked."""
    if kind != "s3":
        return given
    try:
        require("boto3")
    except MissingExtra as exc:
        raise invalid_parameter("url", str(exc)) from exc
    credentials = usable_credentials(given)
    try:
        parse_s3_url(url)
    except ValueError as exc:
        raise invalid_parameter("url", str(exc)) from exc
    try:
        check_credentials(credentials)
    except ValueError as exc:
        raise invalid_parameter("credentials", str(exc)) from exc
    endpoint = credentials.get("endpoint_url")
    if endpoint:
        # The same guard as webhooks: refused now if it names a forbidden address, and
        # vetted again at every connection (DNS may answer differently later).
        try:
            s3_guard(settings).check_static(endpoint)
        except UnsafeURL as exc:
            raise invalid_parameter("credentials.endpoint_url", str(exc)) from exc
    return credentials


def _credentials_context(config_id: str) -> str:
    return credentials_context(config_id)


def serialize_storage_config(row: StorageConfig) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "storage_config",
        "organisation": row.organisation_id,
        "type": row.type,
        "url": row.url,
        # Credentials are write-only: sealed at rest and never echoed back.
        "credentials": {},
        "signed_urls_enabled": row.signed_urls_enabled,
        "signed_urls_expiry": row.signed_urls_expiry,
        "state": row.state,
        "date_created": isoformat(row.date_created),
    }


def _seal_credentials(caller: Caller, row: StorageConfig, credentials: dict[str, Any]) -> None:
    sealed = Sealer(caller.settings.master_key).seal_json(credentials, _credentials_context(row.id))
    row.credentials_sealed, row.credentials_key_id = sealed.blob, sealed.key_id


@router.get("/configs/storage", response_model=ListOut[StorageConfigOut])
def list_storage_configs(
    request: Request,
    params: ListParams = Depends(list_params),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    return list_resource(
        request, caller, params, StorageConfig, lambda _db, row: serialize_storage_config(row)
    )


@router.post("/configs/storage", response_model=StorageConfigOut, status_code=201)
def create_storage_config(
    body: StorageConfigCreate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    kind = _storage_type(body.url)
    _checked_location(caller.settings, kind, body.url)
    credentials = _checked_credentials(caller.settings, kind, body.url, body.credentials)
    with unit_of_work(caller) as db:
        row = StorageConfig(
            organisation_id=caller.organisation_id,
            environment=caller.environment,
            type=kind,
            url=body.url,
            signed_urls_enabled=body.signed_urls_enabled,
            signed_urls_expiry=body.signed_urls_expiry,
        )
        db.add(row)
        db.flush()
        _seal_credentials(caller, row, credentials)
        org = _organisation(db, caller)
        if org is not None and takes_the_default(db, caller, StorageConfig, org):
            org.storage_config_default = row.id
        db.flush()
        return serialize_storage_config(row)


def _organisation(db: DbSession, caller: Caller) -> Organisation | None:
    return db.scalars(select(Organisation).where(Organisation.id == caller.organisation_id)).first()


def _load(db: DbSession, caller: Caller, config_id: str) -> StorageConfig:
    return load_scoped(db, StorageConfig, caller, config_id, "storage_config")


@router.get("/configs/storage/{config_id}", response_model=StorageConfigOut)
def retrieve_storage_config(
    config_id: str, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_storage_config(_load(db, caller, config_id))


@router.post("/configs/storage/{config_id}", response_model=StorageConfigOut)
def update_storage_config(
    config_id: str, body: StorageConfigUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, config_id)
        if body.url is not None:
            kind = _storage_type(body.url)
            _checked_location(caller.settings, kind, body.url)
            row.type, row.url, row.state = kind, body.url, "new"
        if body.credentials is not None:
            credentials = _checked_credentials(caller.settings, row.type, row.url, body.credentials)
            _seal_credentials(caller, row, credentials)
            row.state = "new"
        if body.signed_urls_enabled is not None:
            row.signed_urls_enabled = body.signed_urls_enabled
        if body.signed_urls_expiry is not None:
            row.signed_urls_expiry = body.signed_urls_expiry
        db.flush()
        return serialize_storage_config(row)


@router.delete("/configs/storage/{config_id}", response_model=DeletedOut)
def delete_storage_config(config_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, config_id)
        # Its results could no longer be read, signed or deleted (their files would leak).
        in_use = db.scalar(
            select(func.count()).where(
                Result.storage_config_id == row.id, Result.state != "expired"
            )
        )
        if in_use:
            raise ApiError(
                400,
                "storage-config-in-use",
                "Results are still stored through this config; delete their sessions or "
                "let them expire first.",
                {"results": in_use},
            )
        org = _organisation(db, caller)
        if org is not None and org.storage_config_default == row.id:
            org.storage_config_default = None
        for key in db.scalars(select(Key).where(Key.storage_config_id == row.id)):
            key.storage_config_id = None
        db.delete(row)
        return {"id": config_id, "resource": "storage_config", "deleted": True, "state": "deleted"}


@router.post("/configs/storage/{config_id}/test", response_model=TaskOut, status_code=201)
def test_storage_config(config_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, config_id)
        return create_config_test_task(db, caller, "storage_config.test", row.id)
