"""``/dashboard/keys``: create, rotate and revoke API keys; a new token is shown once.

The token appears only in the answer to the post that made it (never stored, never in
a redirect URL). Rotating a key ends its dashboard sessions; rotating the key you are
signed in with signs you in again at once (a new session, same form token).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.common import find_scoped
from cloudtap.api.resources import keys
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.pages.signin import LIFETIME
from cloudtap.dashboard.render import page, redirect, set_cookie
from cloudtap.dashboard.visitor import SignInRequired, Visitor, signed_in, signed_in_session
from cloudtap.store.dashboard_sessions import open_session
from cloudtap.store.db import transaction
from cloudtap.store.models import Key

router = APIRouter()


def _keys_page(visitor: Visitor, new_key: dict[str, Any] | None = None) -> HTMLResponse:
    return page(
        visitor.request,
        "keys.html",
        visitor,
        title="API keys",
        keys=run(visitor, keys.list_keys),
        new_key=new_key,
    )


@router.get("/dashboard/keys")
def keys_page(visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    return _keys_page(visitor)


@router.post("/dashboard/keys")
def create_key(post: Posted = Depends(posted)) -> HTMLResponse:
    env = post.form.get("environment") or post.visitor.caller.environment
    created = run(post.visitor, keys.create_key, body={"environment": env})
    return _keys_page(post.visitor, created)


@router.post("/dashboard/keys/{key_id}/rotate")
def rotate_key(key_id: str, post: Posted = Depends(posted)) -> HTMLResponse:
    visitor = post.visitor
    rotated = run(visitor, keys.rotate, key_id=key_id)
    if key_id != visitor.caller.key_id:
        return _keys_page(visitor, rotated)
    with transaction(visitor.caller.settings.database_url) as db:
        key = find_scoped(db, Key, visitor.caller, key_id)
        if key is None:  # deleted between the two steps: sign in again
            raise SignInRequired
        opened = open_session(db, key, LIFETIME, csrf=visitor.csrf)
        session = signed_in_session(opened.session_id, opened.row)
    response = _keys_page(visitor, rotated)
    set_cookie(visitor.request, response, session)
    return response


@router.post("/dashboard/keys/{key_id}/revoke")
def revoke_key(key_id: str, post: Posted = Depends(posted)) -> Response:
    run(post.visitor, keys.update_key, key_id=key_id, body={"state": "deactivated"})
    return redirect("/dashboard/keys")
