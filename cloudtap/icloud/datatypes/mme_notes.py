"""Data type ``mme_notes.notes``: Apple Notes (CloudKit ``com.apple.notes``, zone ``Notes``).

Each item: ``title``, ``body`` (plain text decoded from the protobuf), ``folder``,
``date_created``, ``date_modified``, ``pinned``, ``locked`` (password-protected notes
show no body), ``attachments``: the files (``id``, ``file_id``, ``type`` = UTI,
``extension``, ``size``, ``name``; the last three read from the ``Attachment`` records,
looked up 200 at a time) and ``inline``: what Notes keeps inside the note (tables,
hashtags, calculation results, link cards, drawings; see :mod:`.note_inline`), whose
text stands in the body where Apple shows it as text. Deleted notes are skipped;
``since``/``until`` filter on ``date_modified``. The zone's change feed lists folders
before notes, so folder names are known when notes arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes import note_inline
from cloudtap.icloud.datatypes.common import cursor_token, iso_from_ms, stable_id
from cloudtap.icloud.datatypes.stream import CursorSink, removed
from cloudtap.icloud.files import note_attachment
from cloudtap.icloud.services.cloudkit import (
    CloudKitDatabase,
    Record,
    decoded_bytes,
    decoded_text,
    field_value,
    zone_changes,
)
from cloudtap.icloud.services.notes_proto import decode_body

DATA_TYPE = "mme_notes.notes"
ITEM_TYPE = "mme_notes.note"
CONTAINER = "com.apple.notes"
ZONE = {"zoneName": "Notes"}
CURSOR_KEY = "private/Notes"
NOTE_TYPES = ("Note", "PasswordProtectedNote")
MAX_PENDING = 2_000  # notes held back at most while their attachments are gathered

# ricloud's `poll download --cascade` reads `attachments[].file_id` (its messages shape).
ATTACHMENT_SCHEME = note_attachment.SCHEME


def _attachment(ident: str, uti: str | None, record: Record | None) -> JSONDict:
    """One entry of ``attachments``; size, name and extension come from the
    ``Attachment`` record when it was found."""
    found = note_attachment.facts(record) if record else None
    return {
        "id": ident,
        "file_id": f"{ATTACHMENT_SCHEME}{ident}",
        "type": (found.uti if found else None) or uti,
        "extension": found.extension if found else note_attachment.extension_for(uti, None),
        "size": found.size if found else None,
        "name": found.name if found else None,
    }


def attachment_names(record: Record) -> list[str]:
    """The ``Attachment`` record names a note refers to."""
    refs = field_value(record, "Attachments")
    names = [
        str(ref["recordName"])
        for ref in (refs if isinstance(refs, list) else [])
        if isinstance(ref, dict) and ref.get("recordName")
    ]
    return list(dict.fromkeys(names))


def _reference(record: Record, name: str) -> str | None:
    value = field_value(record, name)
    return str(value["recordName"]) if isinstance(value, dict) and "recordName" in value else None


def to_item(
    record: Record, folders: dict[str, str], attachment_records: Mapping[str, Record] | None = None
) -> JSONDict:
    locked = record.get("recordType") == "PasswordProtectedNote"
    blob = None if locked else decoded_bytes(record, "TextDataEncrypted")
    body = decode_body(blob) if blob else None
    found = attachment_records or {}
    refs: list[tuple[str, str | None]]
    if body is not None:
        refs = list(dict.fromkeys(body.attachments))
    else:
        uti = decoded_text(record, "FirstAttachmentUTIEncrypted")
        refs = [(i, uti) for i in attachment_names(record)]
    attachments: list[JSONDict] = []
    inline: list[JSONDict] = []
    stand_ins: dict[str, str] = {}
    for ident, uti in refs:  # in the order they appear in the note
        attachment = found.get(ident)
        kind = note_inline.kind_of(
            note_attachment.facts(attachment).uti if attachment else uti, attachment
        )
        if kind is None:
            attachments.append(_attachment(ident, uti, attachment))
            continue
        entry = note_inline.entry(ident, uti, kind, attachment)
        inline.append(entry)
        if note_inline.stands_in_text(kind) and entry["text"]:
            stand_ins[ident] = entry["text"]
    folder = _reference(record, "Folder")
    created = field_value(record, "CreationDate") or (record.get("created") or {}).get("timestamp")
    return {
        "id": stable_id("note", record.get("recordName")),
        "data_type": ITEM_TYPE,
        "title": decoded_text(record, "TitleEncrypted"),
        "body": body.text_with(stand_ins) if body else None,
        "snippet": decoded_text(record, "SnippetEncrypted"),
        "folder": folders.get(folder or ""),
        "date_created": iso_from_ms(created),
        "date_modified": iso_from_ms(field_value(record, "ModificationDate")),
        "pinned": bool(field_value(record, "IsPinned")),
        "locked": locked,
        "attachments": attachments,
        "inline": inline,
    }


def _modified(record: Record) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(field_value(record, "ModificationDate")) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _within(moment: datetime | None, filters: Filters) -> bool:
    def aware(m: datetime) -> datetime:
        return m if m.tzinfo else m.replace(tzinfo=UTC)

    if moment is None:
        return filters.since is None and filters.until is None
    if filters.since is not None and moment <= aware(filters.since):
        return False
    return not (filters.until is not None and moment >= aware(filters.until))


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    database = CloudKitDatabase(client, CONTAINER, "private")
    token = cursor_token(filters.cursor, CURSOR_KEY)
    incremental = token is not None
    folders: dict[str, str] = {}
    # A full listing meets every folder before its notes; changes since a cursor may
    # not include them, so their names are read once, when a changed note needs them.
    folders_complete = token is None
    try:
        wanted = ["Folder", *NOTE_TYPES]
        # Notes wait here until their attachments fill one records/lookup (or the end).
        pending: list[Record] = []
        waiting = 0  # attachment names the pending notes refer to
        async for records, page_token in zone_changes(database, ZONE, token, wanted):
            token = page_token
            notes: list[Record] = []
            for record in records:
                kind: Any = record.get("recordType")
                if record.get("deleted") or field_value(record, "Deleted"):
                    # Gone since the cursor: a tombstone (any record type: a note's id is
                    # only ever matched against notes) or a note in Recently Deleted.
                    if incremental and kind != "Folder":
                        yield removed(stable_id("note", record.get("recordName")))
                    continue
                if kind == "Folder":
                    folders[str(record.get("recordName"))] = (
                        decoded_text(record, "TitleEncrypted") or ""
                    )
                elif kind in NOTE_TYPES and _within(_modified(record), filters):
                    notes.append(record)
            if notes and not folders_complete:
                folders = {**await _folder_names(database), **folders}
                folders_complete = True
            # Flush before this page would push one lookup past its batch size.
            arriving = len(_names_in(notes))
            if pending and (
                waiting + arriving > note_attachment.LOOKUP_BATCH
                or len(pending) + len(notes) > MAX_PENDING
            ):
                for item in await _items(database, pending, folders):
                    yield item
                pending, waiting = [], 0
            pending += notes
            waiting += arriving
        for item in await _items(database, pending, folders):
            yield item
    except errors.ServiceDisabled as exc:
        raise errors.ServiceDisabled("Notes is not set up for this account") from exc
    if token:
        set_cursor({"zones": {CURSOR_KEY: token}})


def _names_in(notes: list[Record]) -> list[str]:
    """The attachment records to look up: the note's ``Attachments`` list and every
    attachment its body refers to (tables, hashtags and drawings may be only there)."""
    names: list[str] = []
    for note in notes:
        names += attachment_names(note)
        blob = (
            None if note.get("recordType") != "Note" else decoded_bytes(note, "TextDataEncrypted")
        )
        body = decode_body(blob) if blob else None
        names += [ident for ident, _ in body.attachments] if body else []
    return list(dict.fromkeys(names))


async def _items(
    database: CloudKitDatabase, notes: list[Record], folders: dict[str, str]
) -> list[JSONDict]:
    """Items for ``notes``, with every attachment's size, name and type from one lookup."""
    names = _names_in(notes)
    found = await note_attachment.lookup(database, names) if names else {}
    return [to_item(record, folders, found) for record in notes]


async def _folder_names(database: CloudKitDatabase) -> dict[str, str]:
    names: dict[str, str] = {}
    async for records, _ in zone_changes(database, ZONE, None, ["Folder"]):
        for record in records:
            if record.get("recordType") == "Folder" and not record.get("deleted"):
                names[str(record.get("recordName"))] = decoded_text(record, "TitleEncrypted") or ""
    return names
