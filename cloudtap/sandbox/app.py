"""The sandbox as one ASGI app that routes on the ``Host`` header, like Apple's edge.

Each emulated host or service is a small app of its own, registered here by name:
fixed hosts by exact name, ``pNN-<service>.icloud.com`` hosts by service. A request for a
host nobody serves gets a 502 as a proxy would answer, which makes gaps obvious.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cloudtap.sandbox.accounts.model import ReplayLibrary
from cloudtap.sandbox.capture_replay import CaptureReplay, endpoint, selectors, unmatched
from cloudtap.sandbox.hosts import parse_service_host
from cloudtap.sandbox.world import PHOTOS_EDITS, SIGN_INS, WEB_SESSION_COOKIE, SandboxWorld

AppFactory = Callable[[SandboxWorld], ASGIApp]

# Filled by ``_register_defaults`` (kept lazy so importing one host app stays cheap).
HOST_APPS: dict[str, AppFactory] = {}
SERVICE_APPS: dict[str, AppFactory] = {}


def register_host(host: str, factory: AppFactory) -> None:
    HOST_APPS[host] = factory


def register_service(service: str, factory: AppFactory) -> None:
    SERVICE_APPS[service] = factory


def _register_defaults() -> None:
    """Import every emulated host module; each registers itself on import."""
    import importlib

    for module in _HOST_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # A host module still being written is skipped, not fatal.
            if exc.name != module:
                raise


# One line per emulated Apple host/service module (each calls register_host/_service).
_HOST_MODULES: list[str] = [
    "cloudtap.sandbox.apple.idmsa",
    "cloudtap.sandbox.apple.setup",
    "cloudtap.sandbox.cloudkit.server",  # ckdatabasews; imports its containers
    "cloudtap.sandbox.photos.content",  # cvws.icloud-content.com asset bytes
    "cloudtap.sandbox.services.findmy",
    "cloudtap.sandbox.services.contacts",
    "cloudtap.sandbox.services.calendar",
    "cloudtap.sandbox.services.reminders_legacy",
    "cloudtap.sandbox.services.account",
    "cloudtap.sandbox.services.drive",  # drivews (the tree) and docws (download tokens)
    "cloudtap.sandbox.services.sharedstreams",  # shared albums
    "cloudtap.sandbox.control",  # cloudtap's own buttons (accept terms, approve a device)
]


class SandboxApp:
    def __init__(self, world: SandboxWorld) -> None:
        _register_defaults()
        self.world = world
        self._hosts: dict[str, ASGIApp] = {h: f(world) for h, f in HOST_APPS.items()}
        self._services: dict[str, ASGIApp] = {s: f(world) for s, f in SERVICE_APPS.items()}
        self._replay = CaptureReplay()

    def app_for_host(self, host: str) -> ASGIApp | None:
        host = host.split(":", 1)[0].lower().rstrip(".")
        if host in self._hosts:
            return self._hosts[host]
        service = parse_service_host(host)
        return self._services.get(service) if service else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _ignore_lifespan(receive, send)
            return
        host = _header(scope, b"host") or ""
        app = self.app_for_host(host)
        if app is None:
            response = PlainTextResponse(f"sandbox: no emulated host {host!r}", status_code=502)
            await response(scope, receive, send)
            return
        try:
            if not await self._replayed(host, scope, receive, send):
                await app(scope, receive, send)
        finally:
            part = _part_changed_in_place(host, scope.get("path", ""))
            if part is not None:
                self.world.changed(part)

    async def _replayed(self, host: str, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer a replayed capture's non-photo call from its exchanges; ``False`` for
        every other call (left to the emulated host)."""
        key = endpoint(scope.get("method", "GET"), host, scope.get("path", ""))
        if key is None:
            return False
        request = Request(scope, receive)
        # Which web session asks (a digest: the token itself is never kept).
        token = request.cookies.get(WEB_SESSION_COOKIE, "").strip('"')
        session = hashlib.sha256(token.encode()).hexdigest()[:16]
        account = self.world.account_for_cookies(request.cookies)
        library = account.photos if account is not None else None
        if not isinstance(library, ReplayLibrary) or not library.cassette.name.startswith(
            "capture_"
        ):
            return False
        wanted = selectors(scope.get("query_string", b"").decode("latin-1"), await request.body())
        found = self._replay.answer(session, library.cassette, key, wanted)
        if found is None:
            response = unmatched(key[1])
        else:
            response = Response(found.body, found.status, headers=dict(found.headers))
        await response(scope, receive, send)
        return True


def _part_changed_in_place(host: str, path: str) -> str | None:
    """idmsa and setup move sign-ins along (second factor done, browser trusted) in place;
    ``records/modify`` edits a library. The world's own methods announce everything else."""
    if host.split(":", 1)[0].lower().startswith(("idmsa.", "setup.")):
        return SIGN_INS
    if path.endswith("/records/modify"):
        return PHOTOS_EDITS
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _ignore_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Any = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
