"""Data type ``mme_contacts.contacts``: iCloud contacts in the seed's contact schema.

Names (with the phonetic ones), ``organisation``/``department``/``jobtitle``,
``is_company``, ``birthday``, ``notes``, ``groups``, ``records`` and ``image`` as an
``mme_contact_image://`` file. ``records`` keeps the seed's ``type``/``name``/``value``
style: ``Phone``, ``Email``, ``URL``, ``Address`` (the seed's kinds) and ``IM``, ``Date``,
``RelatedName``, ``Profile`` (the other labelled lists Apple's cards carry).

A whole listing reports, for its cursor, the book's ``prefToken``/``syncToken`` and its
groups; a listing resumed from them asks ``/co/changeset`` only (``changes``).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from typing import Any

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.datatypes.listing_diff import FeedChanges
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.files.contact_image import ContactImageRef
from cloudtap.icloud.services import contacts as service

DATA_TYPE = "mme_contacts.contacts"
ITEM_TYPE = "mme_contacts.contact"
FEED_KEY = "contacts_tokens"  # the cursor's prefToken/syncToken
GROUPS_KEY = "contacts_groups"  # the cursor's groups: groupId → {name, contactIds}

# Card key → record type for the plain ``{label, field: "text"}`` lists, in output order.
# Captures name the e-mail list ``emailAddresses``; ``emails`` is read too (older clients).
_PLAIN = (
    ("phones", "Phone"),
    ("emailAddresses", "Email"),
    ("emails", "Email"),
    ("urls", "URL"),
    ("dates", "Date"),
    ("relatedNames", "RelatedName"),
)


def _labelled(card: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = card.get(key)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _field(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("field")
    return value if isinstance(value, dict) else {}


def _address(entry: dict[str, Any]) -> JSONDict:
    address = _field(entry)
    return {
        "type": "Address",
        "name": entry.get("label"),
        "Street": address.get("street"),
        "City": address.get("city"),
        "State": address.get("state"),
        "ZIP": address.get("postalCode"),
        "Country": address.get("country"),
        "CountryCode": address.get("countryCode"),
        "SubLocality": address.get("subLocality"),
        "Municipality": address.get("municipality"),
    }


def records(card: dict[str, Any]) -> list[JSONDict]:
    found: list[JSONDict] = []
    seen: set[tuple[str, Any, Any]] = set()
    for key, kind in _PLAIN:
        for entry in _labelled(card, key):
            record = {"type": kind, "name": entry.get("label"), "value": entry.get("field")}
            marker = (kind, record["name"], record["value"])
            if marker in seen:  # the same address under both e-mail keys
                continue
            seen.add(marker)
            found.append(record)
    found.extend(_address(entry) for entry in _labelled(card, "streetAddresses"))
    for entry in _labelled(card, "IMs"):
        im = _field(entry)
        found.append(
            {
                "type": "IM",
                "name": entry.get("label"),
                "value": im.get("userName"),
                "Service": im.get("IMService"),
            }
        )
    for entry in _labelled(card, "profiles"):
        found.append(
            {
                "type": "Profile",
                "name": entry.get("label"),
                "value": entry.get("field"),
                "User": entry.get("user"),
            }
        )
    return found


def to_item(card: dict[str, Any], groups: Sequence[str] = ()) -> JSONDict:
    contact_id = str(card.get("contactId", ""))
    image = None
    if isinstance(card.get("photo"), dict):
        image = {
            "id": ContactImageRef(contact_id).to_id(),
            "data_type": "image",
            "extension": "jpg",
        }
    item: JSONDict = {
        "id": stable_id("contact", contact_id),
        "data_type": ITEM_TYPE,
        "uid": base64.b64encode(contact_id.encode("utf-8")).decode("ascii"),
        "first_name": card.get("firstName"),
        "middle_name": card.get("middleName"),
        "last_name": card.get("lastName"),
        "prefix": card.get("prefix"),
        "suffix": card.get("suffix"),
        "nickname": card.get("nickName"),
        "phonetic_first_name": card.get("phoneticFirstName"),
        "phonetic_last_name": card.get("phoneticLastName"),
        "phonetic_organisation": card.get("phoneticCompanyName"),
        "is_company": bool(card.get("isCompany", False)),
        "records": records(card),
        "organisation": card.get("companyName"),
        "department": card.get("department"),
        "jobtitle": card.get("jobTitle"),
        "birthday": card.get("birthday"),
        "notes": card.get("notes"),
        "groups": list(groups),
        "image": image,
    }
    if image is not None:
        # Beyond the seed's schema: the same file listed as ``files``, the shape every
        # file-bearing item uses, so ricloud's ``poll download --cascade`` fetches it.
        item["files"] = [image]
    return item


def _kept_groups(groups: Sequence[dict[str, Any]]) -> dict[str, JSONDict]:
    return {
        str(g["groupId"]): {"name": g.get("name"), "contactIds": _ids(g.get("contactIds"))}
        for g in groups
        if g.get("groupId") is not None
    }


def _ids(value: Any) -> list[str]:
    return [str(i) for i in value] if isinstance(value, list) else []


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    start = await service.startup(client)
    member_of = service.group_names(start.groups)
    async for card in service.cards(client, start):
        yield to_item(card, member_of.get(str(card.get("contactId")), []))
    if start.tokens.get("syncToken"):
        set_cursor({FEED_KEY: start.tokens, GROUPS_KEY: _kept_groups(start.groups)})


async def changes(client: AppleClient, cursor: JSONDict) -> FeedChanges | None:
    """The contacts added, edited or deleted since the cursor's tokens, from
    ``/co/changeset``. None (list the whole book instead) without kept tokens, when Apple
    sends no new token, or when a group's members changed beyond the cards it sent: a
    card's ``groups`` would change without the card being among the changes."""
    tokens, kept = cursor.get(FEED_KEY), cursor.get(GROUPS_KEY)
    if not isinstance(tokens, dict) or not tokens.get("syncToken") or not isinstance(kept, dict):
        return None
    found = await service.changeset(client, {str(k): str(v) for k, v in tokens.items()})
    groups = None if found is None else groups_after(kept, found)
    if found is None or groups is None:
        return None
    member_of = service.group_names(groups.values())
    return FeedChanges(
        items=[to_item(c, member_of.get(str(c.get("contactId")), [])) for c in found.cards],
        removed=[stable_id("contact", i) for i in found.deleted_contacts],
        cursor={FEED_KEY: found.tokens, GROUPS_KEY: groups},
    )


def groups_after(kept: dict[str, Any], found: service.Changes) -> dict[str, JSONDict] | None:
    """The kept groups with a changeset's applied; None when a contact joined or left a
    group without being among the changeset's cards (its item could not be redone)."""
    groups = {k: v for k, v in kept.items() if k not in found.deleted_groups}
    groups.update(_kept_groups(found.groups or []))
    sent = {str(c.get("contactId")) for c in found.cards} | set(found.deleted_contacts)
    if any(i not in sent for _, i in _members(kept) ^ _members(groups)):
        return None
    return groups


def _members(groups: dict[str, Any]) -> set[tuple[str, str]]:
    """(group name, contact id) pairs: what a card's ``groups`` is made of."""
    return {
        (str(g.get("name")), i)
        for g in groups.values()
        if isinstance(g, dict)
        for i in _ids(g.get("contactIds"))
    }
