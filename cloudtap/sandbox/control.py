"""The sandbox's own control host, ``control.sandbox.cloudtap.dev`` (not an Apple host).

What an account owner does on their devices or at icloud.com, a developer does here,
through the same proxy every client uses (plain HTTP, so no CA is needed):
``POST /accounts/{apple_id}/accept-terms`` accepts pending iCloud terms (``terms-503@``,
``terms@``). ``cloudtap sandbox accept-terms <apple id>`` calls it.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.app import register_host
from cloudtap.sandbox.world import SandboxWorld

CONTROL_HOST = "control.sandbox.cloudtap.dev"


async def accept_terms(request: Request) -> Response:
    world: SandboxWorld = request.app.state.world
    apple_id = request.path_params["apple_id"]
    account = world.account(apple_id)
    if account is None:
        return JSONResponse(
            {"error": "unknown-account", "message": f"no sandbox account {apple_id}"}, 404
        )
    world.sign_ins.accept_terms(account.apple_id)
    return JSONResponse({"apple_id": account.apple_id, "terms_accepted": True})


def control_app(world: SandboxWorld) -> ASGIApp:
    app = Starlette(
        routes=[Route("/accounts/{apple_id}/accept-terms", accept_terms, methods=["POST"])]
    )
    app.state.world = world
    return app


register_host(CONTROL_HOST, control_app)
