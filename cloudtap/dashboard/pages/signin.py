"""Sign-in with an API key token, and sign-out (which ends the session on the server)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.auth import settings_of
from cloudtap.dashboard.cookies import COOKIE_NAME, COOKIE_PATH, LIFETIME_SECONDS, anonymous_session
from cloudtap.dashboard.forms import Form, Posted, posted, posted_anonymously
from cloudtap.dashboard.render import page, redirect, set_cookie
from cloudtap.dashboard.visitor import (
    SignInRequired,
    cookie_session,
    signed_in,
    signed_in_session,
)
from cloudtap.store.accounts import key_for_token
from cloudtap.store.dashboard_sessions import end_session, open_session
from cloudtap.store.db import transaction

router = APIRouter()
LIFETIME = timedelta(seconds=LIFETIME_SECONDS)


def _sign_in_page(request: Request, status: int = 200, message: str = "") -> HTMLResponse:
    session = cookie_session(request)
    if session is None or session.signed_in:
        session = anonymous_session(settings_of(request))
    response = page(request, "sign_in.html", None, status, csrf=session.csrf, message=message)
    set_cookie(request, response, session)
    return response


@router.get("/dashboard/sign-in", response_model=None)
def sign_in_form(request: Request) -> Response:
    try:
        signed_in(request)
    except SignInRequired:
        return _sign_in_page(request)
    return redirect("/dashboard")  # already signed in: keep that session


@router.post("/dashboard/sign-in", response_model=None)
def sign_in(request: Request, form: Form = Depends(posted_anonymously)) -> Response:
    token = form.get("token")
    settings = settings_of(request)
    with transaction(settings.database_url) as db:
        key = key_for_token(db, token) if token else None
        if key is None:
            return _sign_in_page(request, 401, "That key is unknown or no longer active.")
        # A new id (and CSRF token) at sign-in: one planted before it is worth nothing.
        opened = open_session(db, key, LIFETIME)
        session = signed_in_session(opened.session_id, opened.row)
    response = redirect("/dashboard")
    set_cookie(request, response, session)
    return response


@router.post("/dashboard/sign-out")
def sign_out(request: Request, post: Posted = Depends(posted)) -> Response:
    with transaction(settings_of(request).database_url) as db:
        end_session(db, post.visitor.session.session_id)
    response = redirect("/dashboard/sign-in")
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response
