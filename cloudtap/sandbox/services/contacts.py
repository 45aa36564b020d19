"""The iCloud web contacts service (``contacts`` → ``/co/*``), read-only like the clients.

``/co/startup`` hands out the tokens and, as in a public capture, the first contacts, the
``contactsOrder`` of the whole book, ``collections`` and ``groups``; ``/co/contacts``
pages (``limit=0`` means every contact, streamed), ``/co/changeset`` answers what changed
after a sync token (cards added or edited, ``deletes.contactIds``), ``/co/mecard`` is the
owner's card and ``/co/photo/<contactId>`` serves the JPEG a card's ``photo.url`` points
at. Cards are rendered here from the world's ``Person`` values, in the captures' key
names, with the changes of the world's ``contact_log`` applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
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


def _groups(spec: ContentSpec, gone: set[str]) -> list[dict[str, Any]]:
    # The group shape a public contacts client reads (groupId, name, contactIds, ...).
    groups = []
    for name, members in gen.group_members(spec).items():
        ids = [i for i in members if i not in gone]
        groups.append(
            {
                "groupId": gen.group_id(spec, name),
                "name": name,
                "contactIds": ids,
                "etag": f"G={len(ids)}",
                "headerPositions": {},
                "isGuardianApproved": False,
                "whitelisted": False,
            }
        )
    return groups


# The serial of the book's last change rides at the token's end, after "@S=" (a public
# client's comments show Apple's contacts sync token as "@"-joined parts with an "S=" one).
_SERIAL = "@S="


def _sync_token(spec: ContentSpec, serial: int) -> str:
    # Changes when the data would: the seed, the count, the sandbox's day and each edit.
    raw = f"{spec.seed}:{spec.contacts}:{today().isoformat()}".encode()
    return "HwoQEgwAAA" + hashlib.sha1(raw).hexdigest()[:24] + f"{_SERIAL}{serial}"


def _serial_of(token: str) -> int:
    _, sep, serial = token.rpartition(_SERIAL)
    if not sep or not serial.isdigit():
        raise _web.BadRequest("syncToken is not one this book handed out")
    return int(serial)


def _world(request: Request) -> SandboxWorld:
    world: SandboxWorld = request.app.state.world
    return world


def account_tally(request: Request) -> RequestTally:
    return _world(request).tally


class Book:
    """An account's address book as it stands: the generated contacts with the world's
    edits and deletions applied."""

    def __init__(self, world: SandboxWorld, account: SandboxAccount) -> None:
        self.world, self.account, self.spec = world, account, account.content
        self.serial = world.contact_log.serial(account.apple_id)
        self.deleted = world.contact_log.deleted(account.apple_id)

    @property
    def indexes(self) -> list[int]:
        return [i for i in range(self.spec.contacts) if i not in self.deleted]

    @property
    def deleted_ids(self) -> set[str]:
        return {gen.contact_id(self.spec, i) for i in self.deleted}

    def person(self, index: int) -> gen.Person:
        person = gen.person(self.spec, index)
        edits = self.world.contact_log.revision(self.account.apple_id, index)
        if not edits:
            return person
        note = f"Edited {edits} times" if edits > 1 else "Edited once"
        return replace(person, etag=f"{person.etag}-E{edits}", notes=note)

    def cards(self, indexes: list[int], root: str) -> Iterator[dict[str, Any]]:
        return (card(self.person(i), root) for i in indexes)

    @property
    def sync_token(self) -> str:
        return _sync_token(self.spec, self.serial)


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
    book = Book(_world(request), account)
    root = _service_root(request)
    groups = _groups(book.spec, book.deleted_ids)
    live = book.indexes
    head = {
        "prefToken": PREF_TOKEN,
        "syncToken": book.sync_token,
        "meCardId": gen.me(account).contact_id,
        "contactsOrder": [gen.contact_id(book.spec, i) for i in live]
        if book.deleted
        else gen.contact_ids(book.spec),
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
    return _web.streamed_json(head, "contacts", book.cards(live[:STARTUP_CARDS], root))


async def contacts(request: Request) -> Response:
    account = _web.enveloping_account_of(request)
    account_tally(request).add(account.apple_id, "co/contacts")
    book = Book(_world(request), account)
    limit = _int_param(request, "limit", 0)
    offset = _int_param(request, "offset", 0)
    if account.contacts_ignore_paging:
        # contacts-5k-paged@: the risk of issue 19 played out, a host that ignores
        # limit/offset and sends the whole book every time (assumed, no capture).
        limit = offset = 0
    live = book.indexes
    end = len(live) if limit == 0 else min(len(live), offset + limit)
    cards = book.cards(live[min(offset, end) : end], _service_root(request))
    head = {"syncToken": book.sync_token, "prefToken": PREF_TOKEN}
    return _web.streamed_json(head, "contacts", cards)


async def changeset(request: Request) -> Response:
    """What changed after the ``syncToken`` asked with: cards added or edited, the ids of
    those deleted in ``deletes``, every group (whether Apple sends all groups or only the
    changed ones is not public: all, assumed), and the tokens to ask with next."""
    account = _web.enveloping_account_of(request)
    account_tally(request).add(account.apple_id, "co/changeset")
    token = request.query_params.get("syncToken")
    if not token:
        raise _web.BadRequest("syncToken is required")
    after = _serial_of(token)
    book = Book(_world(request), account)
    if after > book.serial:
        raise _web.BadRequest("syncToken is not one this book handed out")
    changed, deleted = _world(request).contact_log.since(account.apple_id, after)
    head = {
        "syncToken": book.sync_token,
        "prefToken": PREF_TOKEN,
        "groups": _groups(book.spec, book.deleted_ids),
        "deletes": {
            "contactIds": [gen.contact_id(book.spec, i) for i in deleted],
            "groupIds": [],
        },
    }
    return _web.streamed_json(head, "contacts", book.cards(changed, _service_root(request)))


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
            Route("/co/changeset", changeset, methods=["GET", "POST"]),
            Route("/co/mecard", mecard, methods=["GET", "POST"]),
            Route("/co/photo/{contact_id}", photo, methods=["GET"]),
        ],
    )


register_service("contacts", contacts_app)
register_service("contactsws", contacts_app)  # Apple's own host name
