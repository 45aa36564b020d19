"""``icloud_drive://`` file ids: one iCloud Drive file (or package).

The id is reversible, like ``icpl://``: ``icloud_drive://`` + URL-safe base64 of
``<zone>:<docwsid>:<size>:<extension>:<content etag>`` (and ``:<owner record name>`` for
a file in a folder another Apple ID shares: it lies in the owner's zone): it names one
version of the file. ``docws``'s download token has no size, so the listing's ``size``
rides in the id and the download is checked against it; the token's ``double_etag`` is
checked against the content etag (the part before ``::``), so a file changed since its
listing is ``not-found`` rather than passing for the listed version. A zero-byte file is
never asked for: Apple answers 400 for one (pyicloud's ``DriveNode.open``).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from dataclasses import dataclass

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.services import drive

SCHEME = "icloud_drive://"
_ZONE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_EXTENSION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,15}$")
_ETAG = re.compile(r"^[A-Za-z0-9_-]{0,64}$")
_DOCUMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_OWNER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$")  # a CloudKit user record name


@dataclass(frozen=True)
class DriveFileRef:
    zone: str
    document_id: str  # the item's ``docwsid``
    size: int
    extension: str
    content_etag: str = ""  # the first part of the item's ``etag`` (``"2k::2j"`` → ``2k``)
    owner: str = ""  # in a folder another Apple ID shares: the owner's record name

    def to_id(self) -> str:
        raw = f"{self.zone}:{self.document_id}:{self.size}:{self.extension}:{self.content_etag}"
        if self.owner:
            raw += f":{self.owner}"
        return SCHEME + base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")

    @classmethod
    def parse(cls, file_id: str) -> DriveFileRef:
        body = file_id[len(SCHEME) :] if file_id.startswith(SCHEME) else ""
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
            zone, document_id, size, extension, etag, *owner = raw.split(":")
            if len(owner) > 1:
                raise ValueError("too many parts")
            ref = cls(zone, document_id, int(size), extension, etag, "".join(owner))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise errors.NotFound("malformed icloud_drive:// file id") from None
        if (
            not _ZONE.match(zone)
            or not (ref.owner == "" or _OWNER.match(ref.owner))
            or not _DOCUMENT.match(document_id)
            or ref.size < 0
            or not (extension == "" or _EXTENSION.match(extension))
            or not _ETAG.match(etag)
        ):
            raise errors.NotFound("malformed icloud_drive:// file id")
        return ref


def file_extension(extension: str | None) -> str:
    """The extension a downloaded file gets: the item's own (``bin`` without one)."""
    clean = (extension or "").lower()
    return clean if _EXTENSION.match(clean) else "bin"


async def locate(client: AppleClient, ref: DriveFileRef) -> tuple[FileInfo, str]:
    """The file's facts and a fresh download URL ("" for an empty file: nothing to fetch)."""
    info = FileInfo(
        file_id=ref.to_id(),
        size=ref.size,
        extension=file_extension(ref.extension),
        content_type=mimetypes.guess_type(f"file.{ref.extension}")[0] or "application/octet-stream",
    )
    if ref.size == 0:
        return info, ""
    token = await drive.download_token(client, ref.zone, ref.document_id, ref.owner)
    if ref.content_etag and token.content_etag and token.content_etag != ref.content_etag:
        raise errors.NotFound("that iCloud Drive file changed since it was listed; list it again")
    return info, token.url


def content_etag(etag: object) -> str:
    """``"2k::2j"`` → ``"2k"`` (the file's content version); ``""`` when unreadable."""
    first = str(etag or "").split("::", 1)[0]
    return first if _ETAG.match(first) else ""
