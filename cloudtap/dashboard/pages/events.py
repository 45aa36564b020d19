"""``/dashboard/events``: events, each webhook delivery attempt, and redelivery."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.resources import events
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.paging import PAGE_SIZE, cursor_of, pager_for
from cloudtap.dashboard.render import page, redirect
from cloudtap.dashboard.visitor import Visitor, signed_in

router = APIRouter()


@router.get("/dashboard/events")
def events_page(
    request: Request,
    type: str | None = None,
    state: str | None = None,
    visitor: Visitor = Depends(signed_in),
) -> HTMLResponse:
    cursor = cursor_of(request)
    listed = run(
        visitor,
        events.list_events,
        type=type or None,
        state=state or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    return page(
        request,
        "events.html",
        visitor,
        title="Events",
        events=listed,
        pager=pager_for(request, cursor, listed),
        chosen_type=type or "",
        chosen_state=state or "",
        notice="Redelivery queued." if request.query_params.get("redelivered") else "",
    )


@router.post("/dashboard/events/{event_id}/redeliver")
def redeliver(event_id: str, post: Posted = Depends(posted)) -> Response:
    run(post.visitor, events.redeliver_event, event_id=event_id)
    return redirect(f"/dashboard/events?redelivered={event_id}#event-{event_id}")
