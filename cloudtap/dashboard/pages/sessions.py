"""``/dashboard/sessions``: sessions, their errors in plain words, and the sign-in steps.

Creating a session walks Apple's steps one form at a time: the password, then (when
asked) a 2SV device choice, then the code. Each step is a new ``POST /sessions`` for the
same source, as with the API; the password only passes through to the API's handler,
which seals it for the login job.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.common import state_of, wait_until_settled
from cloudtap.api.resources import sessions, users
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Form, Posted, posted
from cloudtap.dashboard.paging import PAGE_SIZE, cursor_of, pager_for
from cloudtap.dashboard.render import fragment, page, redirect
from cloudtap.dashboard.visitor import Visitor, signed_in
from cloudtap.store.models import Session

router = APIRouter()

# How long a form post waits for the login job before showing the (pending) session.
SETTLE_SECONDS = 20.0
DEFAULT_USER = "dashboard"


@router.get("/dashboard/sessions")
def sessions_page(
    request: Request, source: str | None = None, visitor: Visitor = Depends(signed_in)
) -> HTMLResponse:
    cursor = cursor_of(request)
    listed = run(visitor, sessions.list_sessions, source=source, limit=PAGE_SIZE, cursor=cursor)
    return page(
        request,
        "sessions.html",
        visitor,
        title="Sessions",
        sessions=listed,
        pager=pager_for(request, cursor, listed),
        default_user=DEFAULT_USER,
    )


def _payload(form: Form) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name in ("password", "code", "choice"):
        if form.get(name):
            payload[name] = form.get(name)
    return payload


def _source_ref(post: Posted) -> str | dict[str, Any]:
    """An existing source's id (a later step), else the user and Apple ID (a first one)."""
    if post.form.get("source"):
        return post.form.get("source")
    identifier = post.form.get("user") or DEFAULT_USER
    user = run(post.visitor, users.create_user, body={"identifier": identifier})
    apple_id = post.form.get("apple_id")
    return {"user": user["id"], "type": "icloud.account", "identifier": apple_id}


@router.post("/dashboard/sessions")
def create_session(post: Posted = Depends(posted)) -> Response:
    body = {"source": _source_ref(post), "payload": _payload(post.form)}
    created = run(post.visitor, sessions.create_session, body=body)
    caller = post.visitor.caller
    wait_until_settled(
        SETTLE_SECONDS, lambda: state_of(caller, Session, created["id"]), sessions.UNSETTLED
    )
    return redirect(f"/dashboard/sessions/{created['id']}")


@router.get("/dashboard/sessions/{session_id}")
def session_page(session_id: str, visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    found = run(visitor, sessions.retrieve_session, session_id=session_id)
    return page(
        visitor.request, "session.html", visitor, title=f"Session {session_id}", session=found
    )


@router.get("/dashboard/sessions/{session_id}/state")
def session_state(session_id: str, visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    found = run(visitor, sessions.retrieve_session, session_id=session_id)
    settled = found["state"] not in sessions.UNSETTLED
    return fragment(visitor.request, "session_state.html", visitor, settled, session=found)


@router.post("/dashboard/sessions/{session_id}/end")
def end_session(session_id: str, post: Posted = Depends(posted)) -> Response:
    run(post.visitor, sessions.delete_session, session_id=session_id)
    return redirect(f"/dashboard/sessions/{session_id}")
