"""``/results``: published result files; ack marks them consumed.

A result's ``url`` is ``local:///abs/path`` (ricloud-py copies it natively) and its
``signed_url`` is an expiring, HMAC-signed link that this API serves itself.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate, settings_of
from cloudtap.api.common import (
    ListOut,
    ListParams,
    json_response,
    list_params,
    list_resource,
    load_scoped,
    unit_of_work,
)
from cloudtap.api.errors import ApiError, invalid_parameter, not_found
from cloudtap.api.routing import WireRoute
from cloudtap.config import Settings
from cloudtap.publish.s3 import S3Error
from cloudtap.publish.signing import SignedLink, check_signature, sign_download
from cloudtap.publish.stores import load_config, open_for_read, presigned_url
from cloudtap.store.db import transaction
from cloudtap.store.ids import isoformat, utcnow
from cloudtap.store.models import Result
from cloudtap.wire.results import RESULT_COLUMNS, Signer, cached_isoformat, serialize_result

router = APIRouter(tags=["results"], route_class=WireRoute)

HIDDEN_BY_DEFAULT = ("consumed", "expired")
# A constant: a list's statements are kept per its conditions (``list_in_environment``).
_NOT_HIDDEN = (Result.state.not_in(HIDDEN_BY_DEFAULT),)


class SignedUrlOut(BaseModel):
    url: str
    date_expires: str | None


class ResultOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "result"
    organisation: str
    poll: str | None
    task: str | None
    identifier: str
    type: str
    url: str
    signed_url: SignedUrlOut | None
    size: int
    checksum: str
    state: str
    date_created: str | None
    date_expires: str | None
    incremental: bool | None = None
    changes_since: str | None = None


class BatchAck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str]


def _base_url(settings: Settings, request: Request | None) -> str | None:
    """Where signed links point: the configured public URL, else the address ``serve``
    listens on. The request's own base URL (its Host header, the caller's to choose) only
    when neither is known: the app mounted in another server, the tests' client."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if settings.bind_url:
        return settings.bind_url
    if request is not None:
        return str(request.base_url).rstrip("/")
    return None


def _link_lifetime(settings: Settings, row: Result) -> int | None:
    """Seconds a signed link to ``row`` lives, or None if its storage config wants none.

    A tenant's storage config decides (``signed_urls_enabled``, off by default as
    documented; ``signed_urls_expiry``); results in the server's own store always get one.
    """
    if row.storage_config_id is None:
        return settings.signed_url_ttl_seconds
    try:
        config = load_config(settings, row.storage_config_id)
    except ValueError:
        return None
    if not config.signed_urls_enabled:
        return None
    return config.signed_urls_expiry or settings.signed_url_ttl_seconds


def signer(request: Request | None) -> Signer | None:
    """Signs results' links for this request (None: no links, as in event payloads)."""
    if request is None:
        return None
    settings = settings_of(request)
    base = _base_url(settings, request)
    # One request signs many results (a poll's): each storage config is read once.
    lifetimes: dict[str | None, int | None] = {}

    def lifetime_of(row: Result) -> int | None:
        if row.storage_config_id not in lifetimes:
            lifetimes[row.storage_config_id] = _link_lifetime(settings, row)
        return lifetimes[row.storage_config_id]

    return lambda row: _signed_url(settings, row, base, lifetime_of(row))


def links_key(request: Request) -> Hashable:
    """What this request's links to results in the server's own store depend on: the base
    URL and the minute they expire (``sign_download`` rounds to it)."""
    settings = settings_of(request)
    ttl = settings.signed_url_ttl_seconds
    return (_base_url(settings, request), (int(time.time()) + ttl + 59) // 60 * 60)


def _signed_url(
    settings: Settings, row: Result, base: str | None, lifetime: int | None
) -> dict[str, Any] | None:
    if lifetime is None:
        return None
    if row.storage == "s3" and row.storage_config_id is not None:
        # Straight from the bucket: the download never passes through this server.
        try:
            url, ttl = presigned_url(settings, row.storage_config_id, row.location, lifetime)
        except (ValueError, *S3Error):
            return None
        expires = utcnow() + timedelta(seconds=ttl)
        return {"url": url, "date_expires": isoformat(expires)}
    if base is None:
        return None
    link: SignedLink = sign_download(settings, row.id, base, lifetime)
    return {"url": link.url, "date_expires": cached_isoformat(link.expires)}


def _load(db: DbSession, caller: Caller, result_id: str) -> Result:
    return load_scoped(db, Result, caller, result_id, "result")


@router.get("/results", response_model=ListOut[ResultOut])
def list_results(
    request: Request,
    params: ListParams = Depends(list_params),
    task: str | None = Query(None),
    poll: str | None = Query(None),
    state: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> Response:
    filters = {"task_id": task, "poll_id": poll, "state": state}
    extra = () if state else _NOT_HIDDEN
    sign = signer(request)
    page = list_resource(
        request,
        caller,
        params,
        Result,
        lambda db, r: serialize_result(r, sign),
        filters=filters,
        extra=extra,
        columns=RESULT_COLUMNS,
    )
    # Built as the response model says (tests/api/test_list_answers.py): validating
    # and re-encoding a page of objects through it costs more than building it.
    return json_response(page)


@router.post("/results/ack", response_model=ListOut[ResultOut])
def ack_many(
    request: Request,
    body: BatchAck | list[str] = Body(...),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    ids = body if isinstance(body, list) else body.ids
    if len(ids) > 1000:
        raise invalid_parameter("ids", "at most 1000 ids")
    with unit_of_work(caller) as db:
        rows = [_load(db, caller, result_id) for result_id in ids]
        for row in rows:
            if row.state == "available":
                row.state = "consumed"
        db.flush()
        sign = signer(request)
        return {
            "resource": "list",
            "data": [serialize_result(r, sign) for r in rows],
            "has_more": False,
            "total_count": len(rows),
            "url": request.url.path,
        }


@router.get("/results/{result_id}", response_model=ResultOut)
def retrieve_result(
    result_id: str, request: Request, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_result(_load(db, caller, result_id), signer(request))


def _ack(result_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, result_id)
        if row.state == "available":
            row.state = "consumed"
        db.flush()
        return serialize_result(row, signer(request))


# ricloud-py POSTs the ack with a literal ``null`` body; one doc snapshot says GET. Both work.
@router.post("/results/{result_id}/ack", response_model=ResultOut)
def ack_result(
    result_id: str, request: Request, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    return _ack(result_id, request, caller)


@router.get("/results/{result_id}/ack", response_model=ResultOut)
def ack_result_get(
    result_id: str, request: Request, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    return _ack(result_id, request, caller)


# Files up to this size (a data type's JSON, a contact image) are answered whole.
WHOLE_DOWNLOAD_BYTES = 256 * 1024

# Built once, its value bound per call: every signed link's download runs it.
_RESULT_BY_ID = select(Result).where(Result.id == bindparam("result_id"))


@router.get(
    "/results/{result_id}/download",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_result(
    result_id: str,
    request: Request,
    expires: int = Query(...),
    signature: str = Query(...),
) -> Response:
    """The target of ``signed_url``: no token needed, the signature is the authority."""
    settings = settings_of(request)
    if not check_signature(settings, result_id, expires, signature):
        raise ApiError(403, "invalid-signature", "The link is invalid or has expired.")
    with transaction(settings.database_url) as db:
        row = db.scalars(_RESULT_BY_ID, {"result_id": result_id}).first()
        if row is None or row.state == "expired":
            raise not_found("result", result_id)
        storage, location, size, kind = row.storage, row.location, row.size, row.type
        config_id = row.storage_config_id
    media = "application/json" if kind == "json" else "application/octet-stream"
    try:
        body = open_for_read(settings, storage, location, config_id)
        if size <= WHOLE_DOWNLOAD_BYTES:
            # Read here, in the handler's thread: streamed, its one chunk and the end of
            # the stream would each be another hop to the thread pool.
            return Response(b"".join(body), media_type=media)
    except (OSError, ValueError) as exc:  # removed from disk, or its store is gone
        raise not_found("result", result_id) from exc
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Length": str(size)},
    )
