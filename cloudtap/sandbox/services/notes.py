"""The Notes CloudKit container (``com.apple.notes``, private database, zone ``Notes``).

Record shapes follow what pyicloud reads: ``Folder`` (``TitleEncrypted``,
``ParentFolder``), ``Note`` / ``PasswordProtectedNote`` (``TitleEncrypted``,
``SnippetEncrypted``, ``ModificationDate``, ``Deleted``, ``Folder``, ``IsPinned``,
``Attachments``, ``FirstAttachmentUTIEncrypted``, ``TextDataEncrypted`` = gzip'd
``NoteStoreProto``) and ``Attachment`` (``PrimaryAsset``: an ``ASSETID`` whose
``downloadURL`` the content host serves, as pyicloud reads it). Inline attachments
(tables, link cards, drawings as ``Attachment``; hashtags and calculation results as
``InlineAttachment``) carry the fields pyicloud's capture of a real note shows.
``Attachments`` lists the attachments with a downloadable asset (the file, a drawing's
``FallbackImage``); the others are named only by the body's attribute runs (no public
capture shows that list next to tables, so this is our choice). ``SearchIndexes`` with
``indexName == "recents"`` answers notes newest first, paged by ``continuationMarker``;
``"parentless"`` the top-level folders.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.apple.account_json import partition_of
from cloudtap.sandbox.cloudkit.container import (
    CloudKitError,
    Database,
    QueryReply,
    Record,
    Zone,
    register_container,
)
from cloudtap.sandbox.photos.records import checksum
from cloudtap.sandbox.photos.urls import ContentRef, download_url
from cloudtap.sandbox.services import _ckzone as ck
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.services.content import notes as gen
from cloudtap.sandbox.services.content.rng import today
from cloudtap.sandbox.services.notes_proto import compress, encode_note

CONTAINER = "com.apple.notes"
ZONE = Zone("Notes")


class _Layout:
    """Positions of the zone's change log: folders, then notes, then attachments."""

    def __init__(self, account: SandboxAccount) -> None:
        spec = account.content
        self.account = account
        self.spec = spec
        self.folders = gen.folders(spec)
        self.notes_start = len(self.folders)
        self.attachments_start = self.notes_start + spec.notes
        self.extras_start = self.attachments_start + gen.attachment_count(spec)
        self.media_start = self.extras_start + gen.extras_count(spec)
        self.total = self.media_start + gen.media_count(spec)
        self.check = ck.zone_check(CONTAINER, account.dsid, spec.seed, spec.notes, today())

    def type_at(self, position: int) -> str:
        if position < self.notes_start:
            return "Folder"
        if position < self.attachments_start:
            index = position - self.notes_start
            return "PasswordProtectedNote" if gen.is_locked(index) else "Note"
        if position < self.extras_start:
            return "Attachment"
        if position < self.media_start:
            return gen.EXTRA_KINDS[gen.extra_position(position - self.extras_start)[1]][1]
        return "Media"

    def record_at(self, position: int) -> Record:
        if position < self.notes_start:
            return folder_record(self.folders[position])
        if position < self.attachments_start:
            return note_record(gen.note(self.spec, position - self.notes_start))
        if position < self.extras_start:
            note_index = gen.attachment_note(position - self.attachments_start)
            return attachment_record(self.account, gen.note(self.spec, note_index))
        if position < self.media_start:
            note_index, j = gen.extra_position(position - self.extras_start)
            note = gen.note(self.spec, note_index)
            return extra_record(self.account, note, note.extras[j])
        note = gen.note(self.spec, gen.media_note(position - self.media_start))
        return media_record(self.account, note)


def folder_record(folder: gen.Folder) -> Record:
    fields: dict[str, Any] = {"TitleEncrypted": ck.encrypted(folder.title)}
    if folder.parent:
        fields["ParentFolder"] = ck.reference(ZONE, folder.parent)
    created = 1_500_000_000_000
    return ck.record(ZONE, folder.name, "Folder", fields, created, created)


def note_record(note: gen.NoteItem) -> Record:
    body_lines = [p.text for p in note.paragraphs[1:]]
    fields: dict[str, Any] = {
        "TitleEncrypted": ck.encrypted(note.title),
        "SnippetEncrypted": ck.encrypted(body_lines[0] if body_lines else ""),
        "ModificationDate": ck.timestamp(note.modified_ms),
        "CreationDate": ck.timestamp(note.created_ms),
        "Deleted": ck.int64(int(note.deleted)),
        "IsPinned": ck.int64(int(note.pinned)),
        "Folder": ck.reference(ZONE, note.folder),
    }
    attachments = [note.attachment] if note.attachment else []
    listed = [a.identifier for a in attachments]
    listed += [e.identifier for e in note.extras if e.kind == "drawing"]
    if listed:
        fields["Attachments"] = ck.reference_list(ZONE, listed)
    if note.attachment:
        fields["FirstAttachmentUTIEncrypted"] = ck.encrypted(note.attachment.type_uti)
    if note.locked:
        # The body is sealed with the note's own password: the web sees only ciphertext.
        fields["TextDataEncrypted"] = ck.encrypted_bytes(gen.locked_ciphertext_for(note))
        fields["CryptoIterationCount"] = ck.int64(20000)
        fields["CryptoSalt"] = {"value": "c2FuZGJveHNhbHQxMjM0NQ==", "type": "BYTES"}
        record_type = "PasswordProtectedNote"
    else:
        blob = compress(encode_note(note.paragraphs, attachments))
        fields["TextDataEncrypted"] = ck.encrypted_bytes(blob)
        record_type = "Note"
    return ck.record(ZONE, note.name, record_type, fields, note.created_ms, note.modified_ms)


def attachment_record(account: SandboxAccount, note: gen.NoteItem) -> Record:
    file = note_files.attachment_file(account.content, note.index)
    assert note.attachment is not None and file is not None
    if gen.has_media(note.index):
        return _media_backed(account, note, file)
    # The shape of pyicloud's notes_lookup_attachment_response.json, AttachmentIdentifier
    # included (the body's attachment identifier: ours is also the record's name). The
    # real-note capture's photo, inline and drawing records have none (see _media_backed).
    fields = {
        "AttachmentIdentifier": ck.string(note.attachment.identifier),
        "AttachmentUTI": ck.string(file.uti),
        "Filename": ck.string(file.filename),
        "TitleEncrypted": ck.encrypted(file.filename),
        "Size": ck.int64(file.size),
        "Note": ck.reference(ZONE, note.name),
        "PrimaryAsset": {"type": "ASSETID", "value": _asset(account, file)},
    }
    return ck.record(
        ZONE, note.attachment.identifier, "Attachment", fields, note.created_ms, note.modified_ms
    )


def _media_backed(
    account: SandboxAccount, note: gen.NoteItem, file: note_files.AttachmentFile
) -> Record:
    """A photo as pyicloud's capture of a real note shows one: ``UTI``, the name in
    ``TitleEncrypted``, ``FileSize``, and the bytes on the ``Media`` record it refers to."""
    assert note.attachment is not None
    fields = {
        "UTI": ck.string(file.uti),
        "UTIEncrypted": ck.encrypted(file.uti),
        "TitleEncrypted": ck.encrypted(file.filename),
        "FileSize": ck.int64(file.size),
        "Note": ck.reference(ZONE, note.name),
        "Media": ck.reference(ZONE, gen.media_name(account.content, note.index)),
        "Width": ck.double(float(file.width)),
        "Height": ck.double(float(file.height)),
    }
    return ck.record(
        ZONE, note.attachment.identifier, "Attachment", fields, note.created_ms, note.modified_ms
    )


def media_record(account: SandboxAccount, note: gen.NoteItem) -> Record:
    """The record holding a photo's bytes. No public capture shows its fields (pyicloud
    takes the first asset it finds), so the asset's field name, ``Asset``, is ours."""
    file = note_files.attachment_file(account.content, note.index)
    assert file is not None
    fields = {
        "Asset": {"type": "ASSETID", "value": _asset(account, file)},
        "Note": ck.reference(ZONE, note.name),
    }
    name = gen.media_name(account.content, note.index)
    return ck.record(ZONE, name, "Media", fields, note.created_ms, note.modified_ms)


def extra_record(account: SandboxAccount, note: gen.NoteItem, extra: gen.Extra) -> Record:
    """An inline attachment with the fields pyicloud's capture shows for its kind."""
    fields: dict[str, Any] = {
        "UTIEncrypted": ck.encrypted(extra.uti),
        "Note": ck.reference(ZONE, note.name),
        "CreationDate": ck.timestamp(note.created_ms),
        "Deleted": ck.int64(0),
        "MinimumSupportedNotesVersion": ck.int64(15 if extra.kind == "calculation" else 14),
    }
    if extra.record_type == "Attachment":
        fields["UTI"] = ck.string(extra.uti)
    if extra.kind in ("hashtag", "calculation"):
        fields["AltTextEncrypted"] = ck.encrypted(extra.text)
        token = (
            "ICInlineAttachmentCalculateStateValidLTR"
            if extra.kind == "calculation"
            else extra.text.lstrip("#").upper()
        )
        fields["TokenContentIdentifierEncrypted"] = ck.encrypted(token)
    elif extra.kind == "table":
        # Cell texts one per line, as Apple's summary lists them (the cells themselves
        # live in MergeableDataEncrypted, a CRDT we do not produce).
        fields["SummaryEncrypted"] = ck.encrypted("".join(f"{c}\n" for c in extra.cells))
        fields["FallbackTitle"] = ck.string("Table")
    elif extra.kind == "link":
        fields["URLStringEncrypted"] = ck.encrypted(extra.url or "")
        fields["TitleEncrypted"] = ck.encrypted(extra.text)
    elif extra.kind == "drawing":
        picture = note_files.drawing_file(account.content, note.index)
        assert picture is not None
        if extra.text:
            fields["TitleEncrypted"] = ck.encrypted(extra.text)
        fields["SummaryEncrypted"] = ck.encrypted(f"{extra.text}\n" if extra.text else "")
        fields["FallbackImage"] = {"type": "ASSETID", "value": _asset(account, picture)}
        fields["Width"] = ck.double(float(picture.width))
        fields["Height"] = ck.double(float(picture.height))
    return ck.record(
        ZONE, extra.identifier, extra.record_type, fields, note.created_ms, note.modified_ms
    )


def _asset(account: SandboxAccount, file: note_files.AttachmentFile) -> dict[str, Any]:
    """An asset token like Photos' ``res*Res``: the bytes live on the content host."""
    code = note_files.DRAWING if file.uti == "com.apple.paper" else note_files.FILE
    ref = ContentRef(account.dsid, False, "n", file.note_index, code)
    url = download_url(ref, ZONE.name, CONTAINER, account.china, partition_of(account))
    return {
        "fileChecksum": file.checksum,
        "size": file.size,
        "wrappingKey": base64.b64encode(hashlib.md5(file.checksum.encode()).digest()).decode(),
        "referenceChecksum": checksum(
            "note-attachment-ref" if code == note_files.FILE else "note-drawing-ref",
            account.content.seed,
            file.note_index,
        ),
        "downloadURL": url,
    }


class NotesContainer(ck.ChangeLogContainer):
    name = CONTAINER
    zone = ZONE
    layout = _Layout

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        query = body.get("query") or {}
        if query.get("recordType") != "SearchIndexes":
            return QueryReply([])
        index = _index_name(query)
        if index == "parentless":
            return QueryReply(_top_level_folders(account))
        if index != "recents":
            return QueryReply([])
        spec = account.content
        # Newest first: note i was modified in slot i, so recents run from the last index.
        return ck.newest_first(spec.notes, body, lambda i: note_record(gen.note(spec, i)))

    def lookup(
        self, account: SandboxAccount, database: Database, zone: Zone, names: list[str]
    ) -> Iterator[Record]:
        layout = _Layout(account)
        by_name = _names(layout)
        for name in names:
            position = by_name.get(name)
            if position is not None:
                yield layout.record_at(position)


def _top_level_folders(account: SandboxAccount) -> list[Record]:
    """The ``parentless`` index (pyicloud's ``NotesService.folders()``): the folders with
    no ``ParentFolder``, each with ``HasSubfolder`` (1 when a folder names it as parent).

    pyicloud takes each record's name as the folder id its notes' ``Folder`` reference
    names, so these are the zone's Folder records; its synthetic fixture types them
    ``SearchIndexes`` (see docs/apple-evidence.md, Notes).
    """
    folders = gen.folders(account.content)
    parents = {f.parent for f in folders if f.parent}
    out = []
    for folder in folders:
        if folder.parent:
            continue
        record = folder_record(folder)
        record["fields"]["HasSubfolder"] = ck.int64(int(folder.name in parents))
        out.append(record)
    return out


def _index_name(query: dict[str, Any]) -> str | None:
    for flt in query.get("filterBy") or []:
        if isinstance(flt, dict) and flt.get("fieldName") == "indexName":
            value = flt.get("fieldValue")
            if isinstance(value, dict):
                return str(value.get("value"))
            raise CloudKitError("BAD_REQUEST", "filterBy.fieldValue must be an object")
    return None


def _names(layout: _Layout) -> dict[str, int]:
    """Record name → change-log position."""
    out = {f.name: p for p, f in enumerate(layout.folders)}
    spec = layout.spec
    starts = {
        "note": layout.notes_start,
        "attachment": layout.attachments_start,
        "extra": layout.extras_start,
        "media": layout.media_start,
    }
    for name, (kind, n) in gen.record_names(spec.seed, spec.notes).items():
        out[name] = starts[kind] + n
    return out


register_container(NotesContainer())
