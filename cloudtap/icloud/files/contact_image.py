"""``mme_contact_image://`` file ids: a contact's photo, found again by its contact id.

Apple gives each card a ``photo.url``; the id keeps only the (stable) contact id, and
opening it pages through the contacts until that card turns up.
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


async def locate(client: AppleClient, ref: ContactImageRef) -> tuple[FileInfo, str]:
    async for card in contacts.contacts(client):
        if str(card.get("contactId")) == ref.contact_id:
            photo = card.get("photo")
            if isinstance(photo, dict) and isinstance(photo.get("url"), str):
                info = FileInfo(
                    file_id=ref.to_id(), size=None, extension="jpg", content_type="image/jpeg"
                )
                return info, str(photo["url"])
            break
    raise errors.NotFound("that contact has no photo any more")
