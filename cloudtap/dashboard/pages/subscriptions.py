"""``/dashboard/subscriptions``: recurring polls of a session; create and stop them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.resources import sessions, subscriptions
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.render import page, redirect
from cloudtap.dashboard.visitor import Visitor, signed_in
from cloudtap.icloud.datatypes.registry import data_type_ids

router = APIRouter()


@router.get("/dashboard/subscriptions")
def subscriptions_page(visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    return page(
        visitor.request,
        "subscriptions.html",
        visitor,
        title="Subscriptions",
        subscriptions=run(visitor, subscriptions.list_subscriptions),
        active_sessions=run(visitor, sessions.list_sessions, state="active")["data"],
        data_types=data_type_ids(),
        min_interval=visitor.caller.settings.subscription_min_interval_seconds,
    )


@router.post("/dashboard/subscriptions")
def create_subscription(post: Posted = Depends(posted)) -> Response:
    body: dict[str, Any] = {
        "session": post.form.get("session"),
        "poll_payload": {"data_types": post.form.get_all("data_types")},
    }
    if post.form.get("interval"):
        body["interval"] = post.form.get("interval")
    run(post.visitor, subscriptions.create_subscription, body=body)
    return redirect("/dashboard/subscriptions")


@router.post("/dashboard/subscriptions/{subscription_id}/delete")
def delete_subscription(subscription_id: str, post: Posted = Depends(posted)) -> Response:
    run(post.visitor, subscriptions.delete_subscription, subscription_id=subscription_id)
    return redirect("/dashboard/subscriptions")
