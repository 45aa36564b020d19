"""The iCloud web contacts service (``contacts`` → ``/co/*``), read-only like the clients.

``/co/startup`` hands out the tokens, ``/co/contacts`` pages (``limit=0`` means every
contact, streamed), ``/co/mecard`` is the owner's card and ``/co/photo/<contactId>``
serves the JPEG a card's ``photo.url`` points at.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import contacts as gen
from cloudtap.sandbox.services.content.rng import today
from cloudtap.sandbox.world import SandboxWorld


def _sync_token(spec: ContentSpec) -> str:
    # Changes when the data would: the seed, the count and the sandbox's day.
    raw = f"{spec.seed}:{spec.contacts}:{today().isoformat()}".encode()
    return "HwoQEgwAAA" + hashlib.sha1(raw).hexdigest()[:24]


def _service_root(request: Request) -> str:
    host = request.headers.get("host", "").split(":", 1)[0]
    return f"https://{host}"


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise _web.BadRequest(f"{name} must be an integer") from exc
    if number < 0:
        raise _web.BadRequest(f"{name} must not be negative")
    return number


async def startup(request: Request) -> Response:
    account = _web.account_of(request)
    spec = account.content
    return JSONResponse(
        {
            "prefToken": "914266d4387ff4a2f0ec1c32a8c8f7c0",
            "syncToken": _sync_token(spec),
            "meCardId": gen.me_card(account)["contactId"],
            "contactsOrder": request.query_params.get("order", "last,first"),
            "groups": [],
            "headerPositions": {},
        }
    )


async def contacts(request: Request) -> Response:
    account = _web.account_of(request)
    spec = account.content
    limit = _int_param(request, "limit", 0)
    offset = _int_param(request, "offset", 0)
    end = spec.contacts if limit == 0 else min(spec.contacts, offset + limit)
    root = _service_root(request)
    cards = (gen.contact(spec, i, root) for i in range(min(offset, end), end))
    head = {"syncToken": _sync_token(spec), "prefToken": "914266d4387ff4a2f0ec1c32a8c8f7c0"}
    return _web.streamed_json(head, "contacts", cards)


async def mecard(request: Request) -> Response:
    account = _web.account_of(request)
    return JSONResponse({"contacts": [gen.me_card(account)]})


async def photo(request: Request) -> Response:
    account = _web.account_of(request)
    spec = account.content
    index = gen.index_of(spec, request.path_params["contact_id"])
    if index is None or not gen.has_photo(spec, index):
        return JSONResponse({"success": False, "error": "no such photo", "errorCode": 404}, 404)
    return Response(gen.photo_jpeg(spec, index), media_type="image/jpeg")


def contacts_app(world: SandboxWorld) -> ASGIApp:
    return _web.service_app(
        world,
        [
            Route("/co/startup", startup, methods=["GET", "POST"]),
            Route("/co/contacts", contacts, methods=["GET", "POST"]),
            Route("/co/mecard", mecard, methods=["GET", "POST"]),
            Route("/co/photo/{contact_id}", photo, methods=["GET"]),
        ],
    )


register_service("contacts", contacts_app)
register_service("contactsws", contacts_app)  # Apple's own host name
