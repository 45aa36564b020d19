"""``icpl_shared://`` file ids: one resource of one photo in a shared album.

A shared album's photos are not library records (no CloudKit lookup reaches them), so
the id names the album's guid, the record holding the resource (its ``recordName``, the
photo's own name in Apple's records) and the resource: never the photo's place, which
every removal before it changes. Opening it reads the album list and walks the album's
pages until the record is found (one request plus one per 100 photos at most). Ids of
an earlier version also carried a position; they are still read, the position ignored.
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

    def to_id(self) -> str:
        code = icpl.RESOURCE_CODES[self.resource]
        raw = "\n".join((self.album_guid, self.record_name, code))
        return SCHEME + base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")

    @classmethod
    def parse(cls, file_id: str) -> SharedPhotoFileRef:
        if not file_id.startswith(SCHEME):
            raise errors.NotFound("not an icpl_shared:// file id")
        body = file_id[len(SCHEME) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
            parts = raw.split("\n")
            if len(parts) == 4 and int(parts[3]) < 0:  # an earlier id's position
                raise ValueError("negative position")
            guid, record_name, code = parts[:3] if len(parts) in (3, 4) else ("", "", "")
            resource = {c: n for n, c in icpl.RESOURCE_CODES.items()}[code]
        except (binascii.Error, UnicodeDecodeError, ValueError, KeyError) as exc:
            raise errors.NotFound("malformed icpl_shared:// file id") from exc
        if not guid or not record_name:
            raise errors.NotFound("malformed icpl_shared:// file id")
        return cls(guid, record_name, resource)


def _holder(photo: shared_streams.SharedPhoto, record_name: str) -> Record | None:
    for record in (photo.master, photo.asset):
        if record.get("recordName") == record_name:
            return record
    return None


async def locate(client: AppleClient, ref: SharedPhotoFileRef) -> tuple[FileInfo, str]:
    """The file's facts and its current download URL, read from the album again."""
    shared = await shared_streams.album(client, ref.album_guid)
    async for page in shared_streams.album_pages(client, shared):
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
