"""``mme_contact_image://`` file ids: a contact's photo, found again by its contact id.

Apple gives each card a ``photo.url``; the id keeps only the (stable) contact id, and
opening it reads the book again for that card's current URL (a batch of files reads it
once for all of its images, :mod:`cloudtap.icloud.files.batch_chunks`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.services import contacts

SCHEME = "mme_contact_image://"


@dataclass(frozen=True)
class ContactImageRef:
    contact_id: str

    def to_id(self) -> str:
        raw = base64.urlsafe_b64encode(self.contact_id.encode("utf-8")).decode("ascii")
        return SCHEME + raw.rstrip("=")

    @classmethod
    def parse(cls, file_id: str) -> ContactImageRef:
        body = file_id[len(SCHEME) :] if file_id.startswith(SCHEME) else ""
        try:
            contact_id = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise errors.NotFound("malformed mme_contact_image:// file id") from exc
        if not contact_id:
            raise errors.NotFound("malformed mme_contact_image:// file id")
        return cls(contact_id)


GONE = "that contact has no photo any more"


def file_info(ref: ContactImageRef) -> FileInfo:
    return FileInfo(file_id=ref.to_id(), size=None, extension="jpg", content_type="image/jpeg")


async def photo_urls(client: AppleClient, contact_ids: set[str]) -> dict[str, str]:
    """The photo URL of each of ``contact_ids`` that has one, from one read of the book
    (the book is read whole either way: ``/co/contacts`` is asked with ``limit=0``)."""
    found: dict[str, str] = {}
    async for card in contacts.contacts(client):
        contact_id = str(card.get("contactId"))
        photo = card.get("photo")
        url = photo.get("url") if isinstance(photo, dict) else None
        if contact_id in contact_ids and isinstance(url, str):
            found[contact_id] = url
    return found


async def locate(client: AppleClient, ref: ContactImageRef) -> tuple[FileInfo, str]:
    url = (await photo_urls(client, {ref.contact_id})).get(ref.contact_id)
    if url is None:
        raise errors.NotFound(GONE)
    return file_info(ref), url
