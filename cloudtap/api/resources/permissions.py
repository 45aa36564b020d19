"""``/permissions``: scopes of an organisation or one key (enforced by ``cloudtap.api.scopes``).

Each scope's limits must be ``{"level": "organisation" | "key" | "user", "type": "count",
"value": <integer above 0>}``; anything else is 400 ``invalid-parameter`` naming it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    find_scoped,
    list_params,
    list_resource,
    unit_of_work,
)
from cloudtap.api.errors import not_found
from cloudtap.api.routing import WireRoute
from cloudtap.api.scopes import Limit
from cloudtap.store.ids import isoformat
from cloudtap.store.models import Permissions

router = APIRouter(tags=["permissions"], route_class=WireRoute)


class PermissionsOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "permissions"
    organisation: str
    identifier: str
    scopes: dict[str, Any]
    date_created: str | None


class PermissionsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str
    scopes: dict[str, list[Limit]] = {}


class PermissionsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str | None = None
    scopes: dict[str, list[Limit]] | None = None


def stored_scopes(scopes: dict[str, list[Limit]]) -> dict[str, list[dict[str, Any]]]:
    return {scope: [limit.model_dump() for limit in limits] for scope, limits in scopes.items()}


def serialize_permissions(row: Permissions) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "permissions",
        "organisation": row.organisation_id,
        "identifier": row.identifier,
        "scopes": row.scopes or {},
        "date_created": isoformat(row.date_created),
    }


@router.get("/permissions", response_model=ListOut[PermissionsOut])
def list_permissions(
    request: Request,
    params: ListParams = Depends(list_params),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    return list_resource(
        request, caller, params, Permissions, lambda _db, row: serialize_permissions(row)
    )


@router.post("/permissions", response_model=PermissionsOut, status_code=201)
def create_permissions(
    body: PermissionsCreate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = Permissions(
            organisation_id=caller.organisation_id,
            identifier=body.identifier,
            scopes=stored_scopes(body.scopes),
        )
        db.add(row)
        db.flush()
        return serialize_permissions(row)


@router.get("/permissions/{permissions_id}", response_model=PermissionsOut)
def retrieve_permissions(
    permissions_id: str, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = find_scoped(db, Permissions, caller, permissions_id)
        if row is None:
            raise not_found("permissions", permissions_id)
        return serialize_permissions(row)


@router.post("/permissions/{permissions_id}", response_model=PermissionsOut)
def update_permissions(
    permissions_id: str, body: PermissionsUpdate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = find_scoped(db, Permissions, caller, permissions_id)
        if row is None:
            raise not_found("permissions", permissions_id)
        if body.identifier is not None:
            row.identifier = body.identifier
        if body.scopes is not None:
            row.scopes = stored_scopes(body.scopes)
        db.flush()
        return serialize_permissions(row)
