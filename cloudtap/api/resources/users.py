"""``/users``: the organisation's end users; ``POST`` with a known identifier returns it."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    DeletedOut,
    ListOut,
    ListParams,
    find_scoped,
    list_params,
    list_resource,
    load_scoped,
    unit_of_work,
)
from cloudtap.api.errors import ApiError, invalid_parameter
from cloudtap.api.routing import WireRoute
from cloudtap.publish.cleanup import delete_stored_results
from cloudtap.store.accounts import get_or_create_user, identifier_taken
from cloudtap.store.ids import isoformat
from cloudtap.store.models import User
from cloudtap.store.removal import delete_user

router = APIRouter(tags=["users"], route_class=WireRoute)


class UserOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "user"
    organisation: str
    key: str | None
    identifier: str
    state: str
    date_created: str | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str = Field(min_length=1, max_length=500)
    key: str | None = None
    organisation: str | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str | None = Field(default=None, min_length=1, max_length=500)
    state: Literal["active", "deactivated"] | None = None


def serialize_user(row: User) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "user",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "identifier": row.identifier,
        "state": row.state,
        "date_created": isoformat(row.date_created),
    }


@router.get("/users", response_model=ListOut[UserOut])
def list_users(
    request: Request,
    params: ListParams = Depends(list_params),
    identifier: str | None = Query(None),
    state: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"identifier": identifier, "state": state}
    return list_resource(
        request, caller, params, User, lambda _db, row: serialize_user(row), filters=filters
    )


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    responses={200: {"model": UserOut, "description": "The user with that identifier exists"}},
)
def create_user(body: UserCreate, caller: Caller = Depends(authenticate)) -> Any:
    if body.organisation is not None and body.organisation != caller.organisation_id:
        raise invalid_parameter("organisation", "only super organisations may set this")
    if body.key is not None and body.key != caller.key_id:
        raise invalid_parameter("key", "must be the calling key")
    with unit_of_work(caller) as db:
        user, created = get_or_create_user(
            db, caller.organisation_id, body.identifier, caller.key_id
        )
        if find_scoped(db, User, caller, user.id) is None:  # the other environment's user
            raise ApiError(
                409,
                "identifier-in-use",
                "This identifier names a user of the other environment (sandbox/live).",
                {"identifier": "in use"},
            )
        payload = serialize_user(user)
    return JSONResponse(payload, status_code=201 if created else 200)


def _load(db: DbSession, caller: Caller, user_id: str) -> User:
    return load_scoped(db, User, caller, user_id, "user")


@router.get("/users/{user_id}", response_model=UserOut)
def retrieve_user(user_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_user(_load(db, caller, user_id))


@router.post("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: str, body: UserUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = _load(db, caller, user_id)
        if body.identifier is not None and body.identifier != row.identifier:
            if identifier_taken(db, caller.organisation_id, body.identifier):
                raise identifier_in_use()
            row.identifier = body.identifier
        if body.state is not None:
            row.state = body.state
        try:
            db.flush()
        except IntegrityError as exc:  # another request took the identifier meanwhile
            raise identifier_in_use() from exc
        return serialize_user(row)


def identifier_in_use() -> ApiError:
    return ApiError(
        409,
        "identifier-in-use",
        "Another user of this organisation has this identifier.",
        {"identifier": "in use"},
    )


@router.delete("/users/{user_id}", response_model=DeletedOut)
def remove_user(user_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    """Deletes the user and everything below it: sources, sessions, polls, results, files."""
    with unit_of_work(caller) as db:
        row = _load(db, caller, user_id)
        removed = delete_user(db, row)
    delete_stored_results(caller.settings, removed.result_locations)
    return {
        "id": user_id,
        "resource": "user",
        "deleted": True,
        "state": "deleted",
        "removed": removed.counts,
    }
