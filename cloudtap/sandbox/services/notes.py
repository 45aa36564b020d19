"""The Notes CloudKit container (``com.apple.notes``, private database, zone ``Notes``).

Record shapes follow what pyicloud reads: ``Folder`` (``TitleEncrypted``,
``ParentFolder``), ``Note`` / ``PasswordProtectedNote`` (``TitleEncrypted``,
``SnippetEncrypted``, ``ModificationDate``, ``Deleted``, ``Folder``, ``IsPinned``,
``Attachments``, ``FirstAttachmentUTIEncrypted``, ``TextDataEncrypted`` = gzip'd
``NoteStoreProto``) and ``Attachment`` (``PrimaryAsset``: an ``ASSETID`` whose
``downloadURL`` the content host serves, as pyicloud reads it). ``SearchIndexes`` with
``indexName == "recents"`` answers notes newest first, paged by ``continuationMarker``.
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
        self.total = self.attachments_start + gen.attachment_count(spec)
        self.check = ck.zone_check(CONTAINER, account.dsid, spec.seed, spec.notes, today())

    def type_at(self, position: int) -> str:
        if position < self.notes_start:
            return "Folder"
        if position < self.attachments_start:
            index = position - self.notes_start
            return "PasswordProtectedNote" if gen.is_locked(index) else "Note"
        return "Attachment"

    def record_at(self, position: int) -> Record:
        if position < self.notes_start:
            return folder_record(self.folders[position])
        if position < self.attachments_start:
            return note_record(gen.note(self.spec, position - self.notes_start))
        note_index = gen.attachment_note(position - self.attachments_start)
        return attachment_record(self.account, gen.note(self.spec, note_index))


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
    if note.attachment:
        fields["Attachments"] = ck.reference_list(ZONE, [note.attachment.identifier])
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
    fields = {
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


def _asset(account: SandboxAccount, file: note_files.AttachmentFile) -> dict[str, Any]:
    """An asset token like Photos' ``res*Res``: the bytes live on the content host."""
    ref = ContentRef(account.dsid, False, "n", file.note_index, 0)
    url = download_url(ref, ZONE.name, CONTAINER, account.china, partition_of(account))
    return {
        "fileChecksum": file.checksum,
        "size": file.size,
        "wrappingKey": base64.b64encode(hashlib.md5(file.checksum.encode()).digest()).decode(),
        "referenceChecksum": checksum("note-attachment-ref", account.content.seed, file.note_index),
        "downloadURL": url,
    }


class NotesContainer(ck.ChangeLogContainer):
    name = CONTAINER

    def zones(self, account: SandboxAccount, database: Database) -> list[Zone]:
        return [ZONE] if database == "private" else []

    def change_log(self, account: SandboxAccount) -> _Layout:
        return _Layout(account)

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        query = body.get("query") or {}
        if query.get("recordType") != "SearchIndexes":
            return QueryReply([])
        if _index_name(query) != "recents":
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
    for name, (kind, n) in gen.record_names(spec.seed, spec.notes).items():
        out[name] = (layout.notes_start if kind == "note" else layout.attachments_start) + n
    return out


register_container(NotesContainer())
