"""``/audit``: the organisation's append-only record of key, config and deletion actions.

Read-only: entries are written by ``cloudtap.api.audit_trail`` and never changed. A
live key sees every entry of its organisation (what sandbox keys did to shared configs
matters to it); a sandbox key sees only what sandbox keys did.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import ListOut, ListParams, list_out, list_params, paged, unit_of_work
from cloudtap.api.errors import not_found
from cloudtap.api.routing import WireRoute
from cloudtap.store.ids import isoformat
from cloudtap.store.listing import list_scoped
from cloudtap.store.models import AuditEntry

router = APIRouter(tags=["audit"], route_class=WireRoute)


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "audit_entry"
    organisation: str
    key: str | None
    environment: str | None
    action: str
    object_type: str
    object_id: str | None
    details: dict[str, Any]
    date_created: str | None


def serialize_entry(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "audit_entry",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "environment": row.environment,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "details": row.details or {},
        "date_created": isoformat(row.date_created),
    }


def _visible(caller: Caller) -> list[Any]:
    if caller.environment == "live":
        return []
    return [AuditEntry.environment == caller.environment]


@router.get("/audit", response_model=ListOut[AuditEntryOut])
def list_audit(
    request: Request,
    params: ListParams = Depends(list_params),
    action: str | None = Query(None),
    object_id: str | None = Query(None),
    key: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"action": action, "object_id": object_id, "key_id": key}
    with unit_of_work(caller) as db:
        page = paged(
            lambda **kw: list_scoped(
                db,
                AuditEntry,
                caller.organisation_id,
                filters=filters,
                scope=_visible(caller),
                **kw,
            ),
            params,
        )
        return list_out(page, request, serialize_entry)


@router.get("/audit/{entry_id}", response_model=AuditEntryOut)
def retrieve_audit_entry(entry_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = db.scalars(
            select(AuditEntry).where(
                AuditEntry.id == entry_id,
                AuditEntry.organisation_id == caller.organisation_id,
                *_visible(caller),
            )
        ).first()
        if row is None:
            raise not_found("audit entry", entry_id)
        return serialize_entry(row)
