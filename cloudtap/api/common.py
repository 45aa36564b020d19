"""Pieces every resource module shares: list shape, pagination and Ricloud-Await."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError, not_found
from cloudtap.store.db import transaction
from cloudtap.store.listing import (
    Page,
    Row,
    UnknownCursor,
    get_in_environment,
    list_in_environment,
)
from cloudtap.wire.encoded import EncodedJson

T = TypeVar("T")
Item = TypeVar("Item", bound=BaseModel)

MAX_LIMIT = 1000


class ListOut(BaseModel, Generic[Item]):
    resource: str = "list"
    data: list[Item]
    has_more: bool
    total_count: int
    url: str


class DeletedOut(BaseModel):
    """DELETE answers with JSON too: ricloud-py fails on an empty 2xx body."""

    id: str
    resource: str
    deleted: bool = True
    state: str | None = None
    # What went with it (e.g. sessions, polls, results), by kind.
    removed: dict[str, int] | None = None


@dataclass(frozen=True)
class ListParams:
    limit: int
    after_id: str | None
    before_id: str | None


# Async though it awaits nothing: FastAPI runs a plain dependency on the thread pool,
# a hop (and a thread) for every list request just to gather three query parameters.
async def list_params(
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    after_id: str | None = Query(None),
    before_id: str | None = Query(None),
) -> ListParams:
    return ListParams(limit, after_id, before_id)


def _embedded(value: Any) -> Any:
    if isinstance(value, EncodedJson):
        return orjson.Fragment(value.data)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _decoded(value: Any) -> Any:
    if isinstance(value, EncodedJson):
        return orjson.loads(value.data)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_bytes(content: Any) -> bytes:
    """``content`` as JSON, skipping the response model's validation and re-encoding:
    for answers with hundreds of items (a poll's results) that costs more than the rest.
    ``EncodedJson`` parts are written as they are. Keys unknown to the wire models (a
    poll's free-form payload) may hold integers orjson refuses: the standard encoder then.
    """
    try:
        return orjson.dumps(content, default=_embedded, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    except orjson.JSONEncodeError:
        text = json.dumps(
            content,
            default=_decoded,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return text.encode()


def json_response(content: Any, status_code: int = 200) -> Response:
    """``content`` as JSON (see ``json_bytes``)."""
    return Response(json_bytes(content), status_code=status_code, media_type="application/json")


@contextmanager
def unit_of_work(caller: Caller) -> Iterator[DbSession]:
    with transaction(caller.settings.database_url) as db:
        yield db


def find_scoped(db: DbSession, model: type[Row], caller: Caller, object_id: str) -> Row | None:
    """The caller's object, else None. Every lookup by a caller-given id goes through here:
    another organisation's or another environment's object does not exist."""
    return get_in_environment(db, model, caller.organisation_id, caller.environment, object_id)


def load_scoped(
    db: DbSession, model: type[Row], caller: Caller, object_id: str, resource: str
) -> Row:
    """The caller's object, else a 404 (see ``find_scoped``)."""
    row = find_scoped(db, model, caller, object_id)
    if row is None:
        raise not_found(resource, object_id)
    return row


def paged(fetch: Callable[..., Page[T]], params: ListParams, **kwargs: Any) -> Page[T]:
    try:
        return fetch(
            limit=params.limit, after_id=params.after_id, before_id=params.before_id, **kwargs
        )
    except UnknownCursor as exc:
        raise ApiError(
            400,
            "invalid-parameter",
            f"{exc.parameter} names no object in this list.",
            {exc.parameter: "unknown id"},
        ) from exc


def list_out(page: Page[T], request: Request, serialize: Callable[[T], Any]) -> dict[str, Any]:
    return {
        "resource": "list",
        "data": [serialize(item) for item in page.items],
        "has_more": page.has_more,
        "total_count": page.total_count,
        "url": request.url.path,
    }


def state_of(caller: Caller, model: type[Row], object_id: str) -> str | None:
    """The object's current state in a fresh transaction (what ``Ricloud-Await`` polls)."""
    with unit_of_work(caller) as db:
        row: Any = find_scoped(db, model, caller, object_id)
        return str(row.state) if row is not None else None


def list_resource(
    request: Request,
    caller: Caller,
    params: ListParams,
    model: type[Row],
    serialize: Callable[[DbSession, Row], Any],
    *,
    filters: dict[str, Any] | None = None,
    extra: Sequence[Any] = (),
    serialize_page: Callable[[DbSession, list[Any]], list[Any]] | None = None,
    columns: Sequence[Any] = (),
) -> dict[str, Any]:
    """One page of the caller's objects of ``model``, in ricloud's list shape.
    ``serialize_page``: the whole page at once, when its objects' parts are best read
    together (instead of ``serialize`` for each). ``columns``: what the serializers
    read, as plain rows. ``extra``: module-level conditions, its statements are kept
    (see ``list_in_environment``)."""
    with unit_of_work(caller) as db:
        page = paged(
            lambda **kw: list_in_environment(
                db,
                model,
                caller.organisation_id,
                caller.environment,
                filters=filters,
                extra=extra,
                columns=columns,
                **kw,
            ),
            params,
        )
        if serialize_page is not None:
            data = iter(serialize_page(db, list(page.items)))
            return list_out(page, request, lambda _row: next(data))
        return list_out(page, request, lambda row: serialize(db, row))


_SETTLED_POLL_INTERVAL = 0.1


def await_seconds(request: Request, cap: float) -> float:
    """The ``Ricloud-Await`` header, capped; ricloud-py sends "0" on every request."""
    raw = request.headers.get("ricloud-await")
    if not raw:
        return 0.0
    try:
        return max(0.0, min(float(raw), cap))
    except ValueError as exc:
        raise ApiError(
            400,
            "invalid-parameter",
            "Ricloud-Await must be a number of seconds.",
            {"Ricloud-Await": raw},
        ) from exc


def wait_until_settled(
    seconds: float, read_state: Callable[[], str | None], unsettled: tuple[str, ...]
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if read_state() not in unsettled:
            return
        time.sleep(_SETTLED_POLL_INTERVAL)
