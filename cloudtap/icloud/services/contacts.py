"""iCloud Contacts (``contacts`` → ``/co/*``), read-only.

``/co/startup`` hands out the ``prefToken``/``syncToken`` that ``/co/contacts`` needs, and
in the captured replies it already carries the first contacts, the ``contactsOrder`` of
the whole book and the groups. When those startup contacts are the whole book (every id of
``contactsOrder`` is among them) nothing more is asked; otherwise ``/co/contacts`` is asked
for the whole book (``limit=0``, as every public client asks), streamed card by card and
deduplicated against the cards already handed out (see ``cards`` for what happens when a
reply comes back short). ``/co/changeset`` with the tokens of an earlier reply answers
only what changed since (``changeset``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import raise_for_common, service_json

# Replies of /co/contacts one book may take: the first is the whole book (limit=0); the
# rest only while cards named by contactsOrder are missing and each reply brings new ones.
MAX_REQUESTS = 20
_TOKEN_REFUSED = (400, 404, 409, 410, 412)
_QUERY = {
    "locale": "en_US",
    "order": "last,first",
    "includePhoneNumbers": "true",
    "includePhotos": "true",
}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Startup:
    """What ``/co/startup`` answered: tokens, the contacts it carried and the groups."""

    tokens: dict[str, str]
    cards: list[dict[str, Any]] = field(default_factory=list)
    order: list[str] | None = None
    groups: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_reply(cls, body: dict[str, Any]) -> Startup:
        order = body.get("contactsOrder")
        return cls(
            tokens={
                "prefToken": str(body.get("prefToken", "")),
                "syncToken": str(body.get("syncToken", "")),
            },
            cards=_dicts(body.get("contacts")),
            order=[str(i) for i in order] if isinstance(order, list) else None,
            groups=_dicts(body.get("groups")),
        )

    @property
    def complete(self) -> bool:
        # Only ``contactsOrder`` says how big the book is; without it, ask /co/contacts.
        if self.order is None:
            return False
        carried = {str(c.get("contactId")) for c in self.cards}
        return all(i in carried for i in self.order)


def group_names(groups: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """contactId → names of the groups it belongs to, in the groups' order."""
    member_of: dict[str, list[str]] = {}
    for group in groups:
        name = group.get("name")
        if not isinstance(name, str):
            continue
        for contact_id in group.get("contactIds") or []:
            member_of.setdefault(str(contact_id), []).append(name)
    return member_of


def _root(client: AppleClient) -> str:
    root = client.session.service_url("contacts")
    if not root:
        raise errors.ServiceDisabled("Contacts is not available for this account")
    return root.rstrip("/")


async def _get(client: AppleClient, url: str, params: dict[str, str]) -> dict[str, Any]:
    response = await client.service("GET", url, params=params)
    return service_json(response, "contacts", "Contacts")


async def startup(client: AppleClient) -> Startup:
    return Startup.from_reply(await _get(client, f"{_root(client)}/co/startup", dict(_QUERY)))


async def cards(client: AppleClient, start: Startup) -> AsyncIterator[dict[str, Any]]:
    """Every card once: those ``start`` carried, then the rest from ``/co/contacts``.

    ``/co/contacts`` is asked as every public client asks it, ``limit=0&offset=0``: the
    whole book in one reply. Nothing public says Apple honours ``limit`` or caps a reply,
    so the rest is defensive: cards are deduplicated by id, and only when ``contactsOrder``
    names cards still missing is the next reply asked from where the last one ended, at
    most ``MAX_REQUESTS`` times and only while each brings new cards. A book still short
    after that is an error, never a silently cut success.
    """
    seen: set[str] = set()
    for card in start.cards:
        seen.add(str(card.get("contactId")))
        yield card
    if start.complete:
        return
    params = {**_QUERY, **start.tokens, "limit": "0"}
    url = f"{_root(client)}/co/contacts"
    offset = 0
    for _ in range(MAX_REQUESTS):
        page = await _get(client, url, {**params, "offset": str(offset)})
        got = _dicts(page.get("contacts"))
        new = 0
        for card in got:
            contact_id = str(card.get("contactId"))
            if contact_id not in seen:
                seen.add(contact_id)
                new += 1
                yield card
        missing = _missing(start, seen)
        if missing == 0 or start.order is None or new == 0:
            break  # whole, or nothing tells us more, or no progress: stop asking
        offset += len(got)
    missing = _missing(start, seen)
    if missing and start.order is not None:
        raise errors.AppleUnavailable(
            f"Contacts sent {len(start.order) - missing} of {len(start.order)} cards",
            info={"expected": len(start.order), "missing": missing},
        )


def _missing(start: Startup, seen: set[str]) -> int:
    return sum(1 for i in start.order or () if i not in seen)


@dataclass(frozen=True)
class Changes:
    """What ``/co/changeset`` answered: the cards added or edited since the tokens asked
    with, the ids of the contacts and groups deleted, the groups it sent (None: none) and
    the tokens to ask with next."""

    tokens: dict[str, str]
    cards: list[dict[str, Any]]
    groups: list[dict[str, Any]] | None
    deleted_contacts: list[str]
    deleted_groups: list[str]


def _ids(value: Any) -> list[str]:
    return [str(i) for i in value] if isinstance(value, list) else []


async def changeset(client: AppleClient, tokens: dict[str, str]) -> Changes | None:
    """The changes since ``tokens`` (a reply's ``prefToken``/``syncToken``), asked as the
    public clients that use it ask: a POST with the tokens in the query and no body. None
    when Apple refuses the tokens or its reply carries no new ``syncToken`` (nothing to
    resume from next time)."""
    response = await client.service("POST", f"{_root(client)}/co/changeset", params=tokens)
    raise_for_common(response)
    if response.status_code in _TOKEN_REFUSED:
        # How Apple answers a token it no longer knows is not public (assumed: a client
        # error): no changes to resume from, so the caller lists the whole book instead of
        # failing this poll, and every later one, on the same kept token.
        return None
    body = service_json(response, "contacts", "Contacts")
    sync = body.get("syncToken")
    if not isinstance(sync, str) or not sync:
        return None
    found = body.get("deletes")
    deletes: dict[str, Any] = found if isinstance(found, dict) else {}
    return Changes(
        tokens={
            "prefToken": str(body.get("prefToken") or tokens.get("prefToken", "")),
            "syncToken": sync,
        },
        cards=_dicts(body.get("contacts")),
        groups=_dicts(body.get("groups")) if isinstance(body.get("groups"), list) else None,
        deleted_contacts=_ids(deletes.get("contactIds")),
        deleted_groups=_ids(deletes.get("groupIds")),
    )


async def contacts(client: AppleClient) -> AsyncIterator[dict[str, Any]]:
    async for card in cards(client, await startup(client)):
        yield card
