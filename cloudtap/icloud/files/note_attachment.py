"""``mme_notes_attachment://`` file ids: the file attached to a note.

The id is the scheme plus the ``Attachment`` record's name in ``com.apple.notes``
(private database, zone ``Notes``), the key ricloud's ``poll download --cascade``
follows. Opening it looks the record up again (``records/lookup``) for a current
``downloadURL``; the bytes are the record's asset: ``PrimaryAsset``, else the PDF or
image Apple keeps for attachments it cannot show as they are (``FallbackPDF``,
``FallbackImage``).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.datatypes.icpl_photos import uti_extension
from cloudtap.icloud.services.cloudkit import CloudKitDatabase, Record, field_value

SCHEME = "mme_notes_attachment://"
CONTAINER = "com.apple.notes"
ZONE = {"zoneName": "Notes"}
ASSET_FIELDS = ("PrimaryAsset", "FallbackPDF", "FallbackImage")
LOOKUP_BATCH = 200  # names per records/lookup call

# Attachment kinds Notes holds beyond what Photos knows.
_NOTE_UTIS = {
    "com.adobe.pdf": "pdf",
    "public.plain-text": "txt",
    "public.utf8-plain-text": "txt",
    "public.rtf": "rtf",
    "public.vcard": "vcf",
    "public.html": "html",
    "public.zip-archive": "zip",
    "com.apple.m4a-audio": "m4a",
    "com.microsoft.word.doc": "doc",
    "org.openxmlformats.wordprocessingml.document": "docx",
    "org.openxmlformats.spreadsheetml.sheet": "xlsx",
    "com.apple.paper": "png",  # a drawing: its asset is the rendered picture
    "com.apple.drawing": "png",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")


@dataclass(frozen=True)
class NoteAttachmentRef:
    record_name: str

    def to_id(self) -> str:
        return SCHEME + self.record_name

    @classmethod
    def parse(cls, file_id: str) -> NoteAttachmentRef:
        name = file_id[len(SCHEME) :] if file_id.startswith(SCHEME) else ""
        if not _NAME.match(name):
            raise errors.NotFound("malformed mme_notes_attachment:// file id")
        return cls(name)


@dataclass(frozen=True)
class AttachmentFacts:
    """What a note item says about an attachment, and where its bytes are."""

    uti: str | None
    name: str | None
    extension: str
    size: int | None
    url: str | None


def extension_for(uti: str | None, filename: str | None) -> str:
    if uti in _NOTE_UTIS:
        return _NOTE_UTIS[uti]
    known, _ = uti_extension(uti)
    if known != "bin":
        return known
    suffix = PurePosixPath(filename or "").suffix.lstrip(".").lower()
    return suffix if suffix.isalnum() and len(suffix) <= 8 else "bin"


def _asset(record: Record) -> dict[str, Any] | None:
    for name in ASSET_FIELDS:
        value = field_value(record, name)
        if isinstance(value, list):  # some are lists of tokens: the first is the file
            value = value[0] if value else None
        if isinstance(value, dict) and isinstance(value.get("downloadURL"), str):
            return value
    return None


def facts(record: Record) -> AttachmentFacts:
    uti = field_value(record, "AttachmentUTI") or field_value(record, "UTI")
    filename = field_value(record, "Filename")
    asset = _asset(record)
    size = asset.get("size") if asset else field_value(record, "Size")
    name = filename if isinstance(filename, str) and filename else None
    return AttachmentFacts(
        uti=uti if isinstance(uti, str) else None,
        name=name,
        extension=extension_for(uti if isinstance(uti, str) else None, name),
        size=size if isinstance(size, int) and size >= 0 else None,
        url=str(asset["downloadURL"]) if asset else None,
    )


async def lookup(database: CloudKitDatabase, names: list[str]) -> dict[str, Record]:
    """The ``Attachment`` records among ``names`` (missing ones are left out)."""
    found: dict[str, Record] = {}
    for start in range(0, len(names), LOOKUP_BATCH):
        for record in await database.lookup(ZONE, names[start : start + LOOKUP_BATCH]):
            # Apple answers a missing name with an error entry in the same list.
            if record.get("recordType") == "Attachment" and not record.get("serverErrorCode"):
                found[str(record.get("recordName"))] = record
    return found


async def locate(database: CloudKitDatabase, ref: NoteAttachmentRef) -> tuple[FileInfo, str]:
    record = (await lookup(database, [ref.record_name])).get(ref.record_name)
    if record is None:
        raise errors.NotFound("that note attachment no longer exists")
    found = facts(record)
    if found.url is None:
        # Links, tables, galleries: Notes keeps no single file for them.
        raise errors.UnsupportedFile("this note attachment has no downloadable file")
    content_type = mimetypes.guess_type(f"file.{found.extension}")[0]
    info = FileInfo(
        file_id=ref.to_id(),
        size=found.size,
        extension=found.extension,
        content_type=content_type or "application/octet-stream",
    )
    return info, found.url
