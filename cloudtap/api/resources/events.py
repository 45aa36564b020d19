"""``/events``: what happened, newest first; webhooks deliver the same objects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
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
from cloudtap.store.db import on_commit
from cloudtap.store.ids import isoformat
from cloudtap.store.models import Event

router = APIRouter(tags=["events"])


class EventOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "event"
    organisation: str
    key: str | None
    type: str
    action: str
    data: dict[str, Any]
    state: str
    retries: int
    date_created: str | None
    date_delivered: str | None
    attempts: list[dict[str, Any]]


def serialize_event(row: Event) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "event",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "type": row.type,
        "action": row.action,
        "data": row.data,
        "state": row.state,
        "retries": row.retries,
        "date_created": isoformat(row.date_created),
        "date_delivered": isoformat(row.date_delivered),
        # Webhook delivery attempts: {date, url, status_code, error, duration_ms}.
        "attempts": list(row.attempts or []),
    }


@router.get("/events", response_model=ListOut[EventOut])
def list_events(
    request: Request,
    params: ListParams = Depends(list_params),
    type: str | None = Query(None),
    action: str | None = Query(None),
    state: str | None = Query(None),
    key: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"type": type, "action": action, "state": state, "key_id": key}
    return list_resource(
        request, caller, params, Event, lambda _db, row: serialize_event(row), filters=filters
    )


@router.get("/events/{event_id}", response_model=EventOut)
def retrieve_event(event_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = find_scoped(db, Event, caller, event_id)
        if row is None:
            raise not_found("event", event_id)
        return serialize_event(row)


@router.post("/events/{event_id}/redeliver", response_model=EventOut)
def redeliver_event(event_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    """Delivers the event again, with a fresh budget of attempts (past ones stay listed)."""
    from cloudtap.jobs.webhooks import schedule_delivery

    with unit_of_work(caller) as db:
        row = find_scoped(db, Event, caller, event_id)
        if row is None:
            raise not_found("event", event_id)
        row.state = "pending"
        db.flush()
        settings = caller.settings
        on_commit(db, lambda: schedule_delivery(settings, event_id, 1, 0))
        return serialize_event(row)
