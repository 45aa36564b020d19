"""``/dashboard/users``: users and their sources (Apple IDs)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.resources import sources, users
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.render import page, redirect
from cloudtap.dashboard.visitor import Visitor, signed_in

router = APIRouter()


@router.get("/dashboard/users")
def users_page(visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    user_list = run(visitor, users.list_users)
    source_list = run(visitor, sources.list_sources)
    return page(
        visitor.request,
        "users.html",
        visitor,
        title="Users & sources",
        users=user_list,
        sources=source_list,
    )


@router.post("/dashboard/users")
def create_user(post: Posted = Depends(posted)) -> Response:
    run(post.visitor, users.create_user, body={"identifier": post.form.get("identifier")})
    return redirect("/dashboard/users")
