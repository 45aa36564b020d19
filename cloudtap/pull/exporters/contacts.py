"""Contacts → one vCard 4 file (``contacts/contacts.vcf``) with photos inlined, plus
each photo as its own file in ``contacts/photos/``. Written with vobject."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

import vobject

from cloudtap.pull.exporters import Item, OutsideCopy, Wanted, safe_name, write_atomically
from cloudtap.pull.paths import inside

DATA_TYPE = "mme_contacts.contacts"
VCF = "contacts/contacts.vcf"
# Apple's labels → vCard 4 TYPE values; others are kept, lower-cased.
TYPES = {"MOBILE": "cell", "IPHONE": "cell", "HOMEPAGE": "home", "MAIN": "voice"}
# IM services → URI schemes (RFC 6350 IMPP is a URI); unknown services use x-apple.
IM_SCHEMES = {"jabber": "xmpp", "skype": "skype", "aim": "aim", "msn": "msnim", "yahoo": "ymsgr"}
NO_YEAR = "1604-"  # Apple's year for a birthday saved without one


def contact_id(item: Item) -> str:
    """Apple's contact id (the item's ``uid`` is its base64)."""
    uid = str(item.get("uid") or item.get("id"))
    try:
        return base64.b64decode(uid, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return uid


def wanted(item: Item) -> list[Wanted]:
    image = item.get("image") or {}
    if not image.get("id"):
        return []
    ext = str(image.get("extension") or "jpg")
    name = safe_name(contact_id(item), str(item.get("id")))
    return [Wanted(str(image["id"]), f"contacts/photos/{name}.{ext}", kind="image")]


def vcard_date(value: str) -> str:
    """``YYYY-MM-DD`` → vCard 4's ``YYYYMMDD``; a yearless Apple date → ``--MMDD``."""
    if value.startswith(NO_YEAR):
        return "--" + value[len(NO_YEAR) :].replace("-", "")
    return value.replace("-", "")


def _type(label: Any) -> str:
    text = str(label or "other")
    return TYPES.get(text.upper(), text.lower())


def _add(card: Any, name: str, content: Any, label: Any = None, **params: str) -> Any:
    line = card.add(name)
    line.value = content
    if label is not None:
        line.type_param = _type(label)
    for key, param in params.items():
        line.params[key.upper().replace("_", "-")] = [param]
    return line


def display_name(item: Item) -> str:
    parts = [item.get(k) for k in ("prefix", "first_name", "middle_name", "last_name", "suffix")]
    name = " ".join(str(p) for p in parts if p)
    return name or str(item.get("organisation") or item.get("nickname") or "(no name)")


def vcard(item: Item, photo: bytes | None) -> Any:
    card = vobject.vCard()
    card.add("version").value = "4.0"
    _add(card, "uid", contact_id(item))
    _add(card, "fn", display_name(item))
    _add(
        card,
        "n",
        vobject.vcard.Name(
            family=item.get("last_name") or "",
            given=item.get("first_name") or "",
            additional=item.get("middle_name") or "",
            prefix=item.get("prefix") or "",
            suffix=item.get("suffix") or "",
        ),
    )
    if item.get("is_company"):
        _add(card, "kind", "org")
    for key, prop in (
        ("nickname", "nickname"),
        ("jobtitle", "title"),
        ("notes", "note"),
        ("phonetic_first_name", "x-phonetic-first-name"),
        ("phonetic_last_name", "x-phonetic-last-name"),
        ("phonetic_organisation", "x-phonetic-org"),
    ):
        if item.get(key) is not None:
            _add(card, prop, str(item[key]))
    if item.get("organisation") is not None or item.get("department") is not None:
        unit = [str(item["department"])] if item.get("department") else []
        _add(card, "org", [item.get("organisation") or "", *unit])
    if item.get("birthday"):
        _add(card, "bday", vcard_date(str(item["birthday"])))
    if item.get("groups"):
        _add(card, "categories", [str(g) for g in item["groups"]])
    for record in item.get("records") or []:
        _add_record(card, record)
    if photo is not None:
        line = _add(card, "photo", "data:image/jpeg;base64," + base64.b64encode(photo).decode())
        line.encoded = True  # a data URI: vobject must not backslash-escape it
    return card


def _add_record(card: Any, record: dict[str, Any]) -> None:
    kind, label, value = record.get("type"), record.get("name"), record.get("value")
    if kind == "Phone":
        _add(card, "tel", str(value), label)
    elif kind == "Email":
        _add(card, "email", str(value), label)
    elif kind == "URL":
        _add(card, "url", str(value), label)
    elif kind == "Address":
        address = vobject.vcard.Address(
            street=record.get("Street") or "",
            city=record.get("City") or record.get("Municipality") or "",
            region=record.get("State") or "",
            code=record.get("ZIP") or "",
            country=record.get("Country") or "",
        )
        extra = {"x_country_code": str(record["CountryCode"])} if record.get("CountryCode") else {}
        _add(card, "adr", address, label, **extra)
    elif kind == "Date":
        if str(label).upper() == "ANNIVERSARY":
            _add(card, "anniversary", vcard_date(str(value)))
        else:
            _add(card, "x-abdate", vcard_date(str(value)), label)
    elif kind == "RelatedName":
        _add(card, "related", str(value), label, value="text")
    elif kind == "IM":
        service = str(record.get("Service") or "")
        scheme = IM_SCHEMES.get(service.lower(), "x-apple")
        extra = {"x_service_type": service} if service else {}
        _add(card, "impp", f"{scheme}:{value}", label, **extra)
    elif kind == "Profile":
        extra = {"x_user": str(record["User"])} if record.get("User") else {}
        _add(card, "x-socialprofile", str(value), label, **extra)


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> list[OutsideCopy]:
    cards, refused = [], []
    for item in sorted(items.values(), key=lambda i: str(i.get("id"))):
        photo = None
        for want in wanted(item):
            if want.file_id in files:
                try:
                    photo = inside(root, files[want.file_id]).read_bytes()
                except OutsideCopy as exc:
                    refused.append(exc)
        cards.append(vcard(item, photo).serialize())
    try:
        write_atomically(root, VCF, "".join(cards).encode())
    except OutsideCopy as exc:
        refused.append(exc)
    return refused
