"""Contacts as the iCloud web ``/co`` service returns them (one dict per contact)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import item_rng, item_uuid, short_id, today

KIND = "contact"
PHOTO_EVERY = 3  # two contacts in three carry a photo ("hundreds of contacts with photos")


def contact_id(spec: ContentSpec, index: int) -> str:
    return item_uuid(spec.seed, KIND, index)


def index_of(spec: ContentSpec, contact_id_: str) -> int | None:
    """Reverse of ``contact_id`` without scanning: ids are looked up through a cache."""
    return _id_index(spec.seed, spec.contacts).get(contact_id_)


@lru_cache(maxsize=8)
def _id_index(seed: int, count: int) -> dict[str, int]:
    # 10k ids is ~1 MB: acceptable once per (seed, count), unlike generating whole cards.
    return {item_uuid(seed, KIND, i): i for i in range(count)}


def has_photo(spec: ContentSpec, index: int) -> bool:
    return index % PHOTO_EVERY != 0


def contact(spec: ContentSpec, index: int, photo_base: str) -> dict[str, Any]:
    """Contact ``index``; ``photo_base`` is the service root photos are served from."""
    rng = item_rng(spec.seed, KIND, index)
    first = rng.choice(words.FIRST_NAMES)
    last = rng.choice(words.LAST_NAMES)
    city, state, cc, country, _lat, _lon, postal, _tz = rng.choice(words.PLACES)
    cid = contact_id(spec, index)
    card: dict[str, Any] = {
        "contactId": cid,
        "etag": f"C={1000 + index}@U={short_id(spec.seed, KIND, index, 8)}",
        "firstName": first,
        "lastName": last,
        "isCompany": False,
        "normalized": f"{last.lower()} {first.lower()}",
        "phones": [{"label": "MOBILE", "field": f"+1 (555) {rng.randrange(100, 999)}-{index:04d}"}],
        "emails": [{"label": "HOME", "field": f"{first}.{last}{index}@example.org".lower()}],
    }
    if rng.random() < 0.5:
        card["phones"].append(
            {"label": "WORK", "field": f"+44 20 7946 {rng.randrange(0, 9999):04d}"}
        )
        card["companyName"] = rng.choice(words.COMPANIES)
        card["department"] = rng.choice(words.DEPARTMENTS)
        card["jobTitle"] = rng.choice(words.JOB_TITLES)
    if rng.random() < 0.3:
        card["middleName"] = rng.choice(words.FIRST_NAMES)
    if rng.random() < 0.15:
        card["prefix"] = rng.choice(("Dr.", "Mr.", "Ms.", "Mx."))
    if rng.random() < 0.1:
        card["nickName"] = first[:3]
    if rng.random() < 0.6:
        born = today() - timedelta(days=rng.randrange(18 * 365, 80 * 365))
        card["birthday"] = born.isoformat()
    if rng.random() < 0.4:
        card["streetAddresses"] = [
            {
                "label": "HOME",
                "field": {
                    "street": f"{rng.randrange(1, 200)} {rng.choice(words.STREETS)}",
                    "city": city,
                    "state": state,
                    "postalCode": postal,
                    "country": country,
                    "countryCode": cc,
                },
            }
        ]
    if rng.random() < 0.1:
        card["urls"] = [{"label": "HOMEPAGE", "field": f"https://{last.lower()}.example.org/"}]
    if rng.random() < 0.1:
        card["notes"] = f"Met at {city} in {today().year - rng.randrange(1, 10)}."
    if has_photo(spec, index):
        card["photo"] = {
            "url": f"{photo_base}/co/photo/{cid}",
            "signature": short_id(spec.seed, "photo", index, 40),
            "crop": {"x": 0, "y": 0, "width": PHOTO_SIZE, "height": PHOTO_SIZE},
        }
    return card


def me_card(account: SandboxAccount) -> dict[str, Any]:
    spec = account.content
    return {
        "contactId": item_uuid(spec.seed, "me", 0),
        "etag": "C=1@U=me",
        "firstName": account.first_name,
        "lastName": account.last_name,
        "isCompany": False,
        "normalized": f"{account.last_name.lower()} {account.first_name.lower()}",
        "emails": [{"label": "HOME", "field": account.apple_id}],
        "phones": [{"label": "MOBILE", "field": "+1 (555) 555-0100"}],
        "birthday": date(1990, 1, 1).isoformat(),
    }


PHOTO_SIZE = 96


def photo_jpeg(spec: ContentSpec, index: int) -> bytes:
    """A small, deterministic portrait: a coloured tile with the contact's initials."""
    rng = item_rng(spec.seed, "photo", index)
    colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
    image = Image.new("RGB", (PHOTO_SIZE, PHOTO_SIZE), colour)
    card_rng = item_rng(spec.seed, KIND, index)
    initials = card_rng.choice(words.FIRST_NAMES)[0] + card_rng.choice(words.LAST_NAMES)[0]
    ImageDraw.Draw(image).text((PHOTO_SIZE // 3, PHOTO_SIZE // 3), initials, fill="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
