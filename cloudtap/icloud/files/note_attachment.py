"""``mme_notes_attachment://`` file ids: the file attached to a note.

The id is the scheme plus the ``Attachment`` record's name in ``com.apple.notes``
(private database, zone ``Notes``), the key ricloud's ``poll download --cascade``
follows. Opening it looks the record up again (``records/lookup``) for a current
``downloadURL``; the bytes are the record's asset: ``PrimaryAsset``, else the PDF or
image Apple keeps for attachments it cannot show as they are (``FallbackPDF``, a scan's
``PaperAssets``, a drawing's ``FallbackImage``), else the asset of the ``Media`` record
it refers to (photos, voice memos and contact cards in pyicloud's capture of a real
note keep their bytes there, with ``FileSize`` and the name in ``TitleEncrypted``).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.files.uti import uti_extension
from cloudtap.icloud.services.cloudkit import CloudKitDatabase, Record, decoded_text, field_value

SCHEME = "mme_notes_attachment://"
CONTAINER = "com.apple.notes"
ZONE = {"zoneName": "Notes"}
ASSET_FIELDS = ("PrimaryAsset", "FallbackPDF", "PaperAssets", "FallbackImage")
RECORD_TYPES = ("Attachment", "InlineAttachment")
LOOKUP_BATCH = 200  # names per records/lookup call

# Attachment kinds Notes holds beyond what Photos knows.
_NOTE_UTIS = {
    "com.adobe.pdf": "pdf",
    "public.pdf": "pdf",
    "com.apple.paper.doc.pdf": "pdf",  # a scanned document: its asset is the PDF
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
    "com.apple.paper": "png",  # a drawing: its FallbackImage is the rendered picture
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
    media: str | None = None  # the Media record holding the bytes, when this one has none


def extension_for(uti: str | None, filename: str | None) -> str:
    if uti in _NOTE_UTIS:
        return _NOTE_UTIS[uti]
    known, _ = uti_extension(uti)
    if known != "bin":
        return known
    suffix = PurePosixPath(filename or "").suffix.lstrip(".").lower()
    return suffix if suffix.isalnum() and len(suffix) <= 8 else "bin"


def _token(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list):  # some are lists of tokens: the first is the file
        value = value[0] if value else None
    return value if isinstance(value, dict) and isinstance(value.get("downloadURL"), str) else None


def _asset(record: Record, names: tuple[str, ...] = ASSET_FIELDS) -> dict[str, Any] | None:
    for name in names:
        token = _token(field_value(record, name))
        if token:
            return token
    return None


def _text(record: Record, *names: str) -> str | None:
    for name in names:
        value = decoded_text(record, name)
        if value:
            return value
    return None


def _count(record: Record, *names: str) -> int | None:
    for name in names:
        value = field_value(record, name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def media_name(record: Record) -> str | None:
    value = field_value(record, "Media")
    return str(value["recordName"]) if isinstance(value, dict) and value.get("recordName") else None


def facts(record: Record) -> AttachmentFacts:
    uti = _text(record, "AttachmentUTI", "UTI", "UTIEncrypted")
    name = _text(record, "Filename", "TitleEncrypted")
    asset = _asset(record)
    size = asset.get("size") if asset else None
    return AttachmentFacts(
        uti=uti,
        name=name,
        extension=extension_for(uti, name),
        size=size if isinstance(size, int) and size >= 0 else _count(record, "Size", "FileSize"),
        url=str(asset["downloadURL"]) if asset else None,
        media=None if asset else media_name(record),
    )


async def lookup(database: CloudKitDatabase, names: list[str]) -> dict[str, Record]:
    """The ``Attachment`` and ``InlineAttachment`` records among ``names`` (missing ones
    are left out)."""
    found: dict[str, Record] = {}
    for start in range(0, len(names), LOOKUP_BATCH):
        for record in await database.lookup(ZONE, names[start : start + LOOKUP_BATCH]):
            # Apple answers a missing name with an error entry in the same list.
            if record.get("recordType") in RECORD_TYPES and not record.get("serverErrorCode"):
                found[str(record.get("recordName"))] = record
    return found


async def media_assets(database: CloudKitDatabase, names: list[str]) -> dict[str, dict[str, Any]]:
    """The asset token of each ``Media`` record among ``names``, looked up
    ``LOOKUP_BATCH`` at a time. No public capture shows a Media record's fields, so (like
    pyicloud) any field holding an asset token will do."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), LOOKUP_BATCH):
        for record in await database.lookup(ZONE, names[start : start + LOOKUP_BATCH]):
            if record.get("serverErrorCode"):
                continue
            for field in (record.get("fields") or {}).values():
                token = _token(field.get("value") if isinstance(field, dict) else None)
                if token:
                    found[str(record.get("recordName"))] = token
                    break
    return found


def file_of(
    ref: NoteAttachmentRef, found: AttachmentFacts, media: dict[str, Any] | None
) -> tuple[FileInfo, str]:
    """The file's facts and download URL from its record's facts (and, for one whose
    bytes are in a ``Media`` record, that record's asset token)."""
    url, size = found.url, found.size
    if url is None and media:
        url = str(media["downloadURL"])
        size = media["size"] if isinstance(media.get("size"), int) else size
    if url is None:
        # Links, tables, hashtags: Notes keeps no file for them.
        raise errors.UnsupportedFile("this note attachment has no downloadable file")
    content_type = mimetypes.guess_type(f"file.{found.extension}")[0]
    info = FileInfo(
        file_id=ref.to_id(),
        size=size,
        extension=found.extension,
        content_type=content_type or "application/octet-stream",
    )
    return info, url


GONE = "that note attachment no longer exists"


async def locate(database: CloudKitDatabase, ref: NoteAttachmentRef) -> tuple[FileInfo, str]:
    record = (await lookup(database, [ref.record_name])).get(ref.record_name)
    if record is None:
        raise errors.NotFound(GONE)
    found = facts(record)
    media = None
    if found.url is None and found.media:
        media = (await media_assets(database, [found.media])).get(found.media)
    return file_of(ref, found, media)
