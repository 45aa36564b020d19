"""``/dashboard``: the organisation, the signed-in key and how many of each object exist."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from cloudtap.api.resources import events, organisation, polls, sessions, users
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.render import page
from cloudtap.dashboard.visitor import Visitor, signed_in

router = APIRouter()


@router.get("/dashboard")
def overview(visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    org = run(visitor, organisation.retrieve_organisation)
    counts = {
        label: run(visitor, endpoint, limit=1)["total_count"]
        for label, endpoint in (
            ("Users", users.list_users),
            ("Sessions", sessions.list_sessions),
            ("Polls", polls.list_polls),
            ("Events", events.list_events),
        )
    }
    return page(visitor.request, "overview.html", visitor, title="Overview", org=org, counts=counts)
