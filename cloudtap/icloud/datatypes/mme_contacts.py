"""Data type ``mme_contacts.contacts``: iCloud contacts in the seed's contact schema.

Names, ``organisation``/``department``/``jobtitle``, ``birthday``, ``records`` (phones,
emails, URLs, postal addresses) and ``image`` as an ``mme_contact_image://`` file.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.files.contact_image import ContactImageRef
from cloudtap.icloud.services import contacts as service

DATA_TYPE = "mme_contacts.contacts"
ITEM_TYPE = "mme_contacts.contact"


def _labelled(card: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [e for e in card.get(key) or [] if isinstance(e, dict)]


def records(card: dict[str, Any]) -> list[JSONDict]:
    found: list[JSONDict] = []
    for key, kind in (("phones", "Phone"), ("emails", "Email"), ("urls", "URL")):
        for entry in _labelled(card, key):
            found.append({"type": kind, "name": entry.get("label"), "value": entry.get("field")})
    for entry in _labelled(card, "streetAddresses"):
        address = entry.get("field") if isinstance(entry.get("field"), dict) else {}
        assert isinstance(address, dict)
        found.append(
            {
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
        )
    return found


def to_item(card: dict[str, Any]) -> JSONDict:
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
        "records": records(card),
        "organisation": card.get("companyName"),
        "department": card.get("department"),
        "jobtitle": card.get("jobTitle"),
        "birthday": card.get("birthday"),
        "notes": card.get("notes"),
        "image": image,
    }
    if image is not None:
        # Beyond the seed's schema: the same file listed as ``files``, the shape every
        # file-bearing item uses, so ricloud's ``poll download --cascade`` fetches it.
        item["files"] = [image]
    return item


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    async for card in service.contacts(client):
        yield to_item(card)
