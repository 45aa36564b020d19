"""``/dashboard/polls``: create polls, and watch one's tasks, errors and results live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.resources import polls, sessions, tasks
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.paging import PAGE_SIZE, cursor_of, pager_for
from cloudtap.dashboard.render import fragment, page, redirect
from cloudtap.dashboard.visitor import Visitor, signed_in
from cloudtap.icloud.datatypes.registry import data_type_ids
from cloudtap.icloud.info import INFO_TYPES

router = APIRouter()

# Results the dashboard can show as a page of its own (see results.py).
VIEWABLE = frozenset(
    {
        "icpl.photos",
        "fmip.devices",
        "mme_contacts.contacts",
        "mme_calendar.events",
        "cloudkit_reminders.reminders",
        "icloud_drive.files",
    }
)


@router.get("/dashboard/polls")
def polls_page(
    request: Request,
    session: str | None = None,
    subscription: str | None = None,
    visitor: Visitor = Depends(signed_in),
) -> HTMLResponse:
    cursor = cursor_of(request)
    listed = run(
        visitor,
        polls.list_polls,
        session=session,
        subscription=subscription,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    active = run(visitor, sessions.list_sessions, state="active")
    return page(
        request,
        "polls.html",
        visitor,
        title="Polls",
        polls=listed,
        pager=pager_for(request, cursor, listed),
        active_sessions=active["data"],
        chosen_session=session,
        data_types=data_type_ids(),
        info_types=sorted(INFO_TYPES),
    )


@router.post("/dashboard/polls")
def create_poll(post: Posted = Depends(posted)) -> Response:
    form = post.form
    payload: dict[str, Any] = {
        "info_types": form.get_all("info_types"),
        "data_types": form.get_all("data_types"),
    }
    files = [line.strip() for line in form.get("files").splitlines() if line.strip()]
    if files:
        payload["files"] = files
    created = run(
        post.visitor, polls.create_poll, body={"session": form.get("session"), "payload": payload}
    )
    return redirect(f"/dashboard/polls/{created['id']}")


def _progress(visitor: Visitor, poll_id: str) -> dict[str, Any]:
    poll = run(visitor, polls.retrieve_poll, poll_id=poll_id)
    task_list = run(visitor, tasks.list_tasks, poll=poll_id, limit=1000)["data"]
    task_list.sort(key=lambda t: (t["date_created"] or "", t["id"]))
    done = len(poll["tasks_succeeded"]) + len(poll["tasks_failed"])
    return {
        "poll": poll,
        "tasks": task_list,
        "done": done,
        "total": len(task_list),
        "viewable": VIEWABLE,
    }


@router.get("/dashboard/polls/{poll_id}")
def poll_page(poll_id: str, visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    return page(
        visitor.request,
        "poll.html",
        visitor,
        title=f"Poll {poll_id}",
        **_progress(visitor, poll_id),
    )


@router.get("/dashboard/polls/{poll_id}/progress")
def poll_progress(poll_id: str, visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    progress = _progress(visitor, poll_id)
    settled = progress["poll"]["state"] not in polls.UNSETTLED
    return fragment(visitor.request, "poll_progress.html", visitor, settled, **progress)
