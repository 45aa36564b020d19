"""The iCloud web contacts service (``contacts`` → ``/co/*``), read-only like the clients.

``/co/startup`` hands out the tokens and, as in a public capture, the first contacts, the
``contactsOrder`` of the whole book, ``collections`` and ``groups``; ``/co/contacts``
pages (``limit=0`` means every contact, streamed), ``/co/mecard`` is the owner's card and
``/co/photo/<contactId>`` serves the JPEG a card's ``photo.url`` points at. Cards are
rendered here from the world's ``Person`` values, in the captures' key names.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import contacts as gen
from cloudtap.sandbox.services.content.rng import today
from cloudtap.sandbox.tally import RequestTally
from cloudtap.sandbox.world import SandboxWorld

PREF_TOKEN = "914266d4387ff4a2f0ec1c32a8c8f7c0"
# How many cards /co/startup carries. The capture's book (3 cards) came whole; Apple's
# cut-off for a big book is not public, so this is our choice: big books page on.
STARTUP_CARDS = 100


def _labelled(entries: tuple[gen.Labelled, ...]) -> list[dict[str, str]]:
    return [{"field": e.value, "label": e.label} for e in entries]


def card(person: gen.Person, photo_base: str) -> dict[str, Any]:
    """``person`` as Apple's card: absent fields are left out, as in the captures."""
    out: dict[str, Any] = {
        "contactId": person.contact_id,
        "etag": person.etag,
        "isCompany": person.is_company,
        "normalized": ":".join(p or "" for p in (person.first, person.middle, person.last)),
    }
    scalars = {
        "firstName": person.first,
        "middleName": person.middle,
        "lastName": person.last,
        "prefix": person.prefix,
        "suffix": person.suffix,
        "nickName": person.nickname,
        "phoneticFirstName": person.phonetic_first,
        "phoneticLastName": person.phonetic_last,
        "phoneticCompanyName": person.phonetic_company,
        "companyName": person.company,
        "department": person.department,
        "jobTitle": person.job_title,
        "birthday": person.birthday,
        "notes": person.notes,
    }
    out.update({k: v for k, v in scalars.items() if v is not None})
    lists: dict[str, list[Any]] = {
        "phones": _labelled(person.phones),
        "emailAddresses": _labelled(person.emails),
        "urls": _labelled(person.urls),
        "dates": _labelled(person.dates),
        "relatedNames": _labelled(person.related_names),
        "IMs": [
            {
                "field": {"userName": m.user, **({"IMService": m.service} if m.service else {})},
                "label": m.label,
            }
            for m in person.ims
        ],
        "profiles": [{"field": p.url, "label": p.label, "user": p.user} for p in person.profiles],
        "streetAddresses": [
            {
                "field": {
                    "street": a.street,
                    "city": a.city,
                    "state": a.state,
                    "postalCode": a.postal_code,
                    "country": a.country,
                    "countryCode": a.country_code,
                },
                "label": a.label,
            }
            for a in person.addresses
        ],
    }
    out.update({k: v for k, v in lists.items() if v})
    if person.has_photo:
        out["photo"] = {
            "url": f"{photo_base}/co/photo/{person.contact_id}",
            "signature": hashlib.sha1(person.etag.encode()).hexdigest(),
            "crop": {"x": 0, "y": 0, "width": gen.PHOTO_SIZE, "height": gen.PHOTO_SIZE},
        }
    return out


def _groups(spec: ContentSpec) -> list[dict[str, Any]]:
    # The group shape a public contacts client reads (groupId, name, contactIds, ...).
    return [
        {
            "groupId": gen.group_id(spec, name),
            "name": name,
            "contactIds": list(ids),
            "etag": f"G={len(ids)}",
            "headerPositions": {},
            "isGuardianApproved": False,
            "whitelisted": False,
        }
        for name, ids in gen.group_members(spec).items()
    ]


def _sync_token(spec: ContentSpec) -> str:
    # Changes when the data would: the seed, the count and the sandbox's day.
    raw = f"{spec.seed}:{spec.contacts}:{today().isoformat()}".encode()
    return "HwoQEgwAAA" + hashlib.sha1(raw).hexdigest()[:24]


def account_tally(request: Request) -> RequestTally:
    world: SandboxWorld = request.app.state.world
    return world.tally


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
    account = _web.enveloping_account_of(request)
    spec = account.content
    root = _service_root(request)
    groups = _groups(spec)
    head = {
        "prefToken": PREF_TOKEN,
        "syncToken": _sync_token(spec),
        "meCardId": gen.me(account).contact_id,
        "contactsOrder": gen.contact_ids(spec),
        # Letter positions need a sorted book; ours is in index order, so none are given.
        "headerPositions": {},
        "collections": [
            {
                "groupsOrder": [g["groupId"] for g in groups],
                "etag": f"{len(groups):04d}",
                "collectionId": "card",
            }
        ],
        "groups": groups,
    }
    first = range(min(spec.contacts, STARTUP_CARDS))
    return _web.streamed_json(head, "contacts", (card(gen.person(spec, i), root) for i in first))


async def contacts(request: Request) -> Response:
    account = _web.enveloping_account_of(request)
    account_tally(request).add(account.apple_id, "co/contacts")
    spec = account.content
    limit = _int_param(request, "limit", 0)
    offset = _int_param(request, "offset", 0)
    if account.contacts_ignore_paging:
        # contacts-5k-paged@: the risk of issue 19 played out, a host that ignores
        # limit/offset and sends the whole book every time (assumed, no capture).
        limit = offset = 0
    end = spec.contacts if limit == 0 else min(spec.contacts, offset + limit)
    root = _service_root(request)
    cards = (card(gen.person(spec, i), root) for i in range(min(offset, end), end))
    head = {"syncToken": _sync_token(spec), "prefToken": PREF_TOKEN}
    return _web.streamed_json(head, "contacts", cards)


async def mecard(request: Request) -> Response:
    account = _web.account_of(request)
    me = gen.me(account)
    return JSONResponse({"meCardId": me.contact_id, "contacts": [card(me, _service_root(request))]})


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
