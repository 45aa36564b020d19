"""``/events``: what happened, newest first; webhooks deliver the same objects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    find_scoped,
    json_response,
    list_params,
    list_resource,
    unit_of_work,
)
from cloudtap.api.errors import not_found
from cloudtap.api.routing import WireRoute
from cloudtap.store.db import on_commit
from cloudtap.store.models import Event
from cloudtap.wire.events import EVENT_COLUMNS, serialize_event

router = APIRouter(tags=["events"], route_class=WireRoute)


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


@router.get("/events", response_model=ListOut[EventOut])
def list_events(
    request: Request,
    params: ListParams = Depends(list_params),
    type: str | None = Query(None),
    action: str | None = Query(None),
    state: str | None = Query(None),
    key: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> Response:
    filters = {"type": type, "action": action, "state": state, "key_id": key}
    page = list_resource(
        request,
        caller,
        params,
        Event,
        lambda _db, row: serialize_event(row),
        filters=filters,
        columns=EVENT_COLUMNS,
    )
    # Built as the response model says (tests/api/test_list_answers.py): validating
    # and re-encoding a page of objects through it costs more than building it.
    return json_response(page)


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
