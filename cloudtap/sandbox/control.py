"""The sandbox's own control host, ``control.sandbox.cloudtap.dev`` (not an Apple host):
what an account owner does on their phone or at icloud.com, done from a terminal,
through the same proxy every client uses. The sandbox is a test double, so anyone who can
reach its proxy may press its buttons.

- ``POST /accounts/{apple_id}/accept-terms`` accepts pending iCloud terms (``terms-503@``,
  ``terms@``): ``cloudtap sandbox accept-terms <apple id>``.
- ``POST /devices/approve`` ``{"apple_id": ...}`` is the owner approving a web-access
  consent on a trusted device (``adp-web@``): ``cloudtap sandbox approve <apple id>``.
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
    async def accept_terms(request: Request) -> Response:
        apple_id = request.path_params["apple_id"]
        account = world.account(apple_id)
        if account is None:
            return JSONResponse(
                {"error": "unknown-account", "message": f"no sandbox account {apple_id}"}, 404
            )
        world.sign_ins.accept_terms(account.apple_id)
        return JSONResponse({"apple_id": account.apple_id, "terms_accepted": True})

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

    return Starlette(
        routes=[
            Route("/accounts/{apple_id}/accept-terms", accept_terms, methods=["POST"]),
            Route("/devices/approve", approve, methods=["POST"]),
        ]
    )


register_host(CONTROL, control_app)
