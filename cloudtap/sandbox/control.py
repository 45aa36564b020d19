"""cloudtap's own control host of the sandbox (not an Apple host): what a person would do
on their phone, done from a terminal.

``POST https://control.sandbox.cloudtap.dev/devices/approve`` ``{"apple_id": ...}`` is the
owner approving a web-access consent on a trusted device (``cloudtap sandbox approve``).
Reached through the sandbox's proxy like every host; the sandbox is a test double, so
anyone who can reach its proxy may press its buttons.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.app import register_host
from cloudtap.sandbox.apple.wire import json_object
from cloudtap.sandbox.hosts import CONTROL
from cloudtap.sandbox.world import SandboxWorld


def control_app(world: SandboxWorld) -> ASGIApp:
    async def approve(request: Request) -> Response:
        body = await json_object(request) or {}
        apple_id = body.get("apple_id")
        account = world.account(apple_id) if isinstance(apple_id, str) else None
        if account is None:
            return JSONResponse({"approved": False, "reason": "unknown Apple ID"}, 404)
        if not (account.adp and account.adp_web_access):
            reason = "this account has no web-access consent to approve"
            return JSONResponse({"approved": False, "reason": reason}, 409)
        world.consents.approve(account.apple_id)
        return JSONResponse({"approved": True, "apple_id": account.apple_id})

    return Starlette(routes=[Route("/devices/approve", approve, methods=["POST"])])


register_host(CONTROL, control_app)
