"""``/sources``: the accounts a user links (``icloud.account``, identifier = Apple ID).

A new source (here or nested in ``POST /sessions``) is made only within the count limits
of the caller's ``source_type`` scopes (``cloudtap.api.scopes``): counted while holding
the organisation's write lock, so racing creates cannot pass a limit together.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    find_scoped,
    list_params,
    list_resource,
    load_scoped,
    unit_of_work,
)
from cloudtap.api.errors import invalid_parameter
from cloudtap.api.routing import WireRoute
from cloudtap.api.scopes import count_limits, limit_exceeded, require_scopes
from cloudtap.store.accounts import (
    find_source,
    get_or_create_source,
    lock_organisation,
    source_counts,
)
from cloudtap.store.models import Source, User
from cloudtap.wire.sessions import serialize_source

router = APIRouter(tags=["sources"], route_class=WireRoute)

SourceType = Literal["icloud.account", "mocks.mock"]
SOURCE_TYPES = ("icloud.account", "mocks.mock")
# ricloud-py's own integration test logs into this made-up service (cloudtap.mocks).
TEST_SOURCE_TYPES = ("mocks.mock",)


class SourceOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "source"
    user: str
    type: str
    identifier: str
    parent: str | None
    children: ListOut[Any]
    state: str
    date_created: str | None


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str
    type: SourceType = "icloud.account"
    identifier: str = Field(min_length=1, max_length=500)


class SourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["active", "deactivated"] | None = None
    # Accepted so that a change can be refused with its reason (see update_source).
    identifier: str | None = Field(default=None, max_length=500)


def check_source_type(caller: Caller, source_type: str, field: str = "type") -> None:
    """Test sources answer made-up data: live keys may not open them."""
    if source_type in TEST_SOURCE_TYPES and caller.environment != "sandbox":
        raise invalid_parameter(field, f"{source_type} is a test source for sandbox keys only")


def user_of(db: DbSession, caller: Caller, user_id: str, field: str = "user") -> User:
    user = find_scoped(db, User, caller, user_id)
    if user is None:
        raise invalid_parameter(field, "no such user")
    return user


def check_source_limits(db: DbSession, caller: Caller, user_id: str, source_type: str) -> None:
    """403 ``limit-exceeded`` if one more source of ``source_type`` for ``user_id`` would
    pass a count limit binding the caller (sources of the caller's environment count)."""
    counts: dict[str, dict[str, int]] = {}
    for limit in count_limits(db, caller, "source_type", source_type):
        if limit.level not in counts:
            counts[limit.level] = source_counts(
                db,
                caller.organisation_id,
                caller.environment,
                key_id=caller.key_id if limit.level == "key" else None,
                user_id=user_id if limit.level == "user" else None,
            )
        existing = sum(n for t, n in counts[limit.level].items() if fnmatchcase(t, limit.pattern))
        if existing >= limit.value:
            raise limit_exceeded(limit, "sources")


def source_within_limits(
    db: DbSession, caller: Caller, user: User, source_type: str, identifier: str
) -> Source:
    """The user's source of this type and identifier; made (by the caller's key) if new
    and within the caller's limits."""
    existing = find_source(db, user.id, source_type, identifier)
    if existing is not None:
        return existing
    lock_organisation(db, caller.organisation_id)
    # A racing request may have made this very source while we waited for the lock.
    existing = find_source(db, user.id, source_type, identifier)
    if existing is not None:
        return existing
    check_source_limits(db, caller, user.id, source_type)
    return get_or_create_source(
        db, caller.organisation_id, user.id, source_type, identifier, key_id=caller.key_id
    )


@router.get("/sources", response_model=ListOut[SourceOut])
def list_sources(
    request: Request,
    params: ListParams = Depends(list_params),
    user: str | None = Query(None),
    identifier: str | None = Query(None),
    type: str | None = Query(None),
    state: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"user_id": user, "identifier": identifier, "type": type, "state": state}
    return list_resource(
        request, caller, params, Source, lambda db, s: serialize_source(db, s), filters=filters
    )


@router.post("/sources", response_model=SourceOut, status_code=201)
def create_source(body: SourceCreate, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    check_source_type(caller, body.type)
    with unit_of_work(caller) as db:
        require_scopes(db, caller, [f"source_type:{body.type}"])  # as POST /sessions does
        user = user_of(db, caller, body.user)
        source = source_within_limits(db, caller, user, body.type, body.identifier)
        return serialize_source(db, source)


def _load(db: DbSession, caller: Caller, source_id: str) -> Source:
    return load_scoped(db, Source, caller, source_id, "source")


@router.get("/sources/{source_id}", response_model=SourceOut)
def retrieve_source(source_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_source(db, _load(db, caller, source_id))


@router.post("/sources/{source_id}", response_model=SourceOut)
def update_source(
    source_id: str, body: SourceUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, source_id)
        if body.identifier is not None and body.identifier != row.identifier:
            raise invalid_parameter(
                "identifier",
                "a source's identifier is its account's id (the Apple ID) and cannot change: "
                "create a source for the other account instead",
            )
        if body.state is not None:
            row.state = body.state
        db.flush()
        return serialize_source(db, row)
