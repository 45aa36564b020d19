"""``icpl://`` file ids: one resource (original, live-photo video, render...) of one photo.

The id must be stable across polls and lead back to the record, so it encodes the
database scope, the zone, the record that holds the resource and the resource's name:
``icpl://`` + URL-safe base64 of ``<scope>:<zone>:<record>:<resource>``, compacted
(``p``/``s`` for the scope, ``P`` for ``PrimarySync``, a short code per resource).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cloudtap.icloud import errors
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.files.uti import uti_extension
from cloudtap.icloud.services.cloudkit import Record, Scope, field_value
from cloudtap.icloud.services.photos import PRIMARY_ZONE, PhotosLibrary, PhotoZone

SCHEME = "icpl://"

RESOURCE_CODES = {
    "resOriginal": "o",
    "resOriginalAlt": "a",
    "resOriginalVidCompl": "v",
    "resJPEGFull": "f",
    "resJPEGLarge": "l",
    "resJPEGMed": "m",
    "resJPEGThumb": "t",
    "resVidFull": "F",
    "resVidMed": "M",
    "resVidSmall": "S",
    "resSidecar": "x",
}
_RESOURCES_BY_CODE = {code: name for name, code in RESOURCE_CODES.items()}


# base64's URL-safe alphabet, applied to the standard encoding in one ``translate``.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def id_prefix(scope: Scope, zone_name: str) -> str:
    """What every file id of one zone starts its encoded text with (``p:P:``)."""
    return (
        f"{'p' if scope == 'private' else 's'}:{'P' if zone_name == PRIMARY_ZONE else zone_name}:"
    )


def file_id(prefix: str, record_name: str, resource: str) -> str:
    """The id of one resource of one record; ``prefix`` from ``id_prefix``. A listing
    makes several per asset, so this is one encode, not a dataclass and four calls."""
    raw = f"{prefix}{record_name}:{RESOURCE_CODES[resource]}".encode()
    encoded = binascii.b2a_base64(raw, newline=False).translate(_URL_SAFE)
    return SCHEME + encoded.decode("ascii").rstrip("=")


@dataclass(frozen=True)
class PhotoFileRef:
    scope: Scope
    zone_name: str
    record_name: str
    resource: str  # e.g. "resOriginal"

    def to_id(self) -> str:
        return file_id(id_prefix(self.scope, self.zone_name), self.record_name, self.resource)

    @classmethod
    def parse(cls, file_id: str) -> PhotoFileRef:
        if not file_id.startswith(SCHEME):
            raise errors.NotFound("not an icpl:// file id")
        body = file_id[len(SCHEME) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
            scope_code, zone, rest = raw.split(":", 2)
            record_name, code = rest.rsplit(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise errors.NotFound("malformed icpl:// file id") from exc
        if scope_code not in ("p", "s") or code not in _RESOURCES_BY_CODE or not record_name:
            raise errors.NotFound("malformed icpl:// file id")
        return cls(
            scope="private" if scope_code == "p" else "shared",
            zone_name=PRIMARY_ZONE if zone == "P" else zone,
            record_name=record_name,
            resource=_RESOURCES_BY_CODE[code],
        )


async def locate(library: PhotosLibrary, ref: PhotoFileRef) -> tuple[FileInfo, str]:
    """Look the record up again and return the file's facts and current download URL."""
    zone = PhotoZone(ref.scope, {"zoneName": ref.zone_name})
    return describe(await library.lookup(zone, ref.record_name), ref)


def describe(record: Record, ref: PhotoFileRef) -> tuple[FileInfo, str]:
    """The file's facts and download URL from its looked-up record."""

    res = field_value(record, f"{ref.resource}Res")
    if not isinstance(res, dict) or not isinstance(res.get("downloadURL"), str):
        raise errors.NotFound("that photo no longer has this file")
    extension, data_type = uti_extension(field_value(record, f"{ref.resource}FileType"))
    size = res.get("size")
    info = FileInfo(
        file_id=ref.to_id(),
        size=int(size) if isinstance(size, int) else None,
        extension=extension,
        content_type=_CONTENT_TYPES.get(extension, f"{data_type}/{extension}"),
    )
    return info, str(res["downloadURL"])


_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "heic": "image/heic",
    "png": "image/png",
    "mov": "video/quicktime",
    "mp4": "video/mp4",
    "dng": "image/x-adobe-dng",
    "gif": "image/gif",
    "tiff": "image/tiff",
}
