"""Sign-in with an API key token, and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.auth import settings_of
from cloudtap.dashboard.cookies import (
    COOKIE_NAME,
    COOKIE_PATH,
    anonymous_session,
    signed_in_session,
    token_fingerprint,
)
from cloudtap.dashboard.forms import Form, Posted, posted, posted_anonymously
from cloudtap.dashboard.render import page, redirect, set_cookie
from cloudtap.dashboard.visitor import SignInRequired, cookie_session, signed_in
from cloudtap.store.accounts import key_for_token
from cloudtap.store.db import transaction

router = APIRouter()


def _sign_in_page(request: Request, status: int = 200, message: str = "") -> HTMLResponse:
    session = cookie_session(request)
    if session is None or session.signed_in:
        session = anonymous_session()
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
        session = signed_in_session(
            key.id,
            key.organisation_id,
            key.environment,
            token_fingerprint(settings, key.token_hash),
        )
    response = redirect("/dashboard")
    set_cookie(request, response, session)
    return response


@router.post("/dashboard/sign-out")
def sign_out(request: Request, post: Posted = Depends(posted)) -> Response:
    response = redirect("/dashboard/sign-in")
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response
