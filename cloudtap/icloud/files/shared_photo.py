"""``icpl_shared://`` file ids: one resource of one photo in a shared album.

A shared album's photos are not library records (no CloudKit lookup reaches them), so
the id names the album's guid, the record holding the resource, the resource and the
photo's position when it was listed: opening it reads the album list and that one
position (two requests), and walks the album only if the photo has moved.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.files import icpl
from cloudtap.icloud.services import shared_streams
from cloudtap.icloud.services.cloudkit import Record

SCHEME = "icpl_shared://"


@dataclass(frozen=True)
class SharedPhotoFileRef:
    album_guid: str
    record_name: str  # the CPLMaster or CPLAsset holding the resource
    resource: str  # e.g. "resOriginal"
    position: int  # where the photo was in the album when listed (a hint)

    def to_id(self) -> str:
        code = icpl.RESOURCE_CODES[self.resource]
        raw = "\n".join((self.album_guid, self.record_name, code, str(self.position)))
        return SCHEME + base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")

    @classmethod
    def parse(cls, file_id: str) -> SharedPhotoFileRef:
        if not file_id.startswith(SCHEME):
            raise errors.NotFound("not an icpl_shared:// file id")
        body = file_id[len(SCHEME) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
            guid, record_name, code, position = raw.split("\n")
            resource = {c: n for n, c in icpl.RESOURCE_CODES.items()}[code]
            at = int(position)
        except (binascii.Error, UnicodeDecodeError, ValueError, KeyError) as exc:
            raise errors.NotFound("malformed icpl_shared:// file id") from exc
        if not guid or not record_name or at < 0:
            raise errors.NotFound("malformed icpl_shared:// file id")
        return cls(guid, record_name, resource, at)


def _holder(photo: shared_streams.SharedPhoto, record_name: str) -> Record | None:
    for record in (photo.master, photo.asset):
        if record.get("recordName") == record_name:
            return record
    return None


async def locate(client: AppleClient, ref: SharedPhotoFileRef) -> tuple[FileInfo, str]:
    """The file's facts and its current download URL, read from the album again."""
    shared = await shared_streams.album(client, ref.album_guid)
    hinted = shared_streams.album_pages(client, shared, ref.position, ref.position + 1)
    for walk in (hinted, shared_streams.album_pages(client, shared)):
        async for page in walk:
            for photo in page:
                record = _holder(photo, ref.record_name)
                if record is not None:
                    info, url = icpl.describe(record, icpl_ref(ref))
                    sized = info.size if info.size else None  # Apple says 0: unknown
                    return FileInfo(ref.to_id(), sized, info.extension, info.content_type), url
    raise errors.NotFound("that photo is no longer in the shared album")


def icpl_ref(ref: SharedPhotoFileRef) -> icpl.PhotoFileRef:
    """The same resource named as a library file, to reuse its description."""
    return icpl.PhotoFileRef("shared", "sharedstreams", ref.record_name, ref.resource)
