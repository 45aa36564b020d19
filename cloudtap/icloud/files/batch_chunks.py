"""How a batch finds many files of one type at once: the file ids split into chunks,
each resolved by one Apple exchange (or a few) instead of one per file.

- ``icpl://`` photos: ``records/lookup`` of up to ``PHOTO_LOOKUP`` record names of one
  zone (the listing's ``CPLMaster`` lookups use it the same way).
- ``mme_contact_image://``: the contacts book read once for every image of the batch
  (opening one image alone reads the whole book too: ``/co/contacts`` is asked whole).
- ``mme_notes_attachment://``: ``records/lookup`` of up to 200 ``Attachment`` names,
  then one lookup of the ``Media`` records holding the bytes of those that have none.

A chunk answers, per file id, its facts and download URL, or the error opening it alone
would give once Apple's answer is in (a note attachment gone, a contact without a photo).
A file it says nothing of is opened alone. Other schemes (``icloud_drive://``: one
download token per document, no batched form is public) are always opened alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.files import contact_image, icpl, note_attachment
from cloudtap.icloud.services.cloudkit import CloudKitDatabase
from cloudtap.icloud.services.photos import PhotosLibrary, PhotoZone

# Record names per records/lookup: well under CloudKit's 200 records per operation.
PHOTO_LOOKUP = 100

Found = tuple[FileInfo, str]
Verdict = Found | errors.ICloudError


class Chunk(Protocol):
    file_ids: list[str]

    async def resolve(self, client: AppleClient) -> dict[str, Verdict]: ...


@dataclass
class PhotoChunk:
    zone: PhotoZone
    file_ids: list[str] = field(default_factory=list)
    # (file id, ref) of each file, by record name
    refs: dict[str, list[tuple[str, icpl.PhotoFileRef]]] = field(default_factory=dict)

    def add(self, file_id: str, ref: icpl.PhotoFileRef) -> None:
        self.file_ids.append(file_id)
        self.refs.setdefault(ref.record_name, []).append((file_id, ref))

    async def resolve(self, client: AppleClient) -> dict[str, Verdict]:
        database = PhotosLibrary(client).database(self.zone.scope)
        found: dict[str, Verdict] = {}
        for record in await database.lookup(self.zone.zone_id, list(self.refs)):
            refs = self.refs.get(str(record.get("recordName")))
            if not refs or not record.get("fields"):
                continue  # opened alone, which tells why
            for file_id, ref in refs:
                try:
                    found[file_id] = icpl.describe(record, ref)
                except errors.NotFound as exc:
                    found[file_id] = exc
        return found


@dataclass
class ContactImageChunk:
    file_ids: list[str] = field(default_factory=list)
    refs: dict[str, contact_image.ContactImageRef] = field(default_factory=dict)

    def add(self, file_id: str, ref: contact_image.ContactImageRef) -> None:
        self.file_ids.append(file_id)
        self.refs[file_id] = ref

    async def resolve(self, client: AppleClient) -> dict[str, Verdict]:
        wanted = {ref.contact_id for ref in self.refs.values()}
        urls = await contact_image.photo_urls(client, wanted)
        found: dict[str, Verdict] = {}
        for file_id, ref in self.refs.items():
            url = urls.get(ref.contact_id)
            found[file_id] = (
                (contact_image.file_info(ref), url) if url else errors.NotFound(contact_image.GONE)
            )
        return found


@dataclass
class NoteAttachmentChunk:
    file_ids: list[str] = field(default_factory=list)
    refs: dict[str, note_attachment.NoteAttachmentRef] = field(default_factory=dict)

    def add(self, file_id: str, ref: note_attachment.NoteAttachmentRef) -> None:
        self.file_ids.append(file_id)
        self.refs[file_id] = ref

    async def resolve(self, client: AppleClient) -> dict[str, Verdict]:
        database = CloudKitDatabase(client, note_attachment.CONTAINER, "private")
        names = sorted({ref.record_name for ref in self.refs.values()})
        records = await note_attachment.lookup(database, names)
        facts = {name: note_attachment.facts(record) for name, record in records.items()}
        media_names = sorted({f.media for f in facts.values() if f.url is None and f.media})
        media = await note_attachment.media_assets(database, media_names) if media_names else {}
        found: dict[str, Verdict] = {}
        for file_id, ref in self.refs.items():
            known = facts.get(ref.record_name)
            if known is None:
                found[file_id] = errors.NotFound(note_attachment.GONE)
                continue
            try:
                token = media.get(known.media) if known.media else None
                found[file_id] = note_attachment.file_of(ref, known, token)
            except errors.ICloudError as exc:
                found[file_id] = exc
        return found


class _Planner:
    """Puts each file id in the open chunk of its kind, opening a new one when full."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self.chunk_of: dict[str, int] = {}
        self._photos: dict[tuple[str, str], PhotoChunk] = {}
        self._book: ContactImageChunk | None = None
        self._notes: NoteAttachmentChunk | None = None
        self._index: dict[int, int] = {}  # id() of a chunk -> its place in ``chunks``

    def _place(self, file_id: str, chunk: Chunk, new: bool) -> None:
        if new:
            self._index[id(chunk)] = len(self.chunks)
            self.chunks.append(chunk)
        self.chunk_of[file_id] = self._index[id(chunk)]

    def photo(self, file_id: str) -> None:
        ref = icpl.PhotoFileRef.parse(file_id)
        key = (ref.scope, ref.zone_name)
        chunk = self._photos.get(key)
        new = chunk is None or (
            ref.record_name not in chunk.refs and len(chunk.refs) >= PHOTO_LOOKUP
        )
        if chunk is None or new:
            chunk = self._photos[key] = PhotoChunk(
                PhotoZone(ref.scope, {"zoneName": ref.zone_name})
            )
        chunk.add(file_id, ref)
        self._place(file_id, chunk, new)

    def contact_image(self, file_id: str) -> None:
        ref = contact_image.ContactImageRef.parse(file_id)
        new = self._book is None
        if self._book is None:
            self._book = ContactImageChunk()
        self._book.add(file_id, ref)
        self._place(file_id, self._book, new)

    def note_attachment(self, file_id: str) -> None:
        ref = note_attachment.NoteAttachmentRef.parse(file_id)
        new = self._notes is None or len(self._notes.refs) >= note_attachment.LOOKUP_BATCH
        if self._notes is None or new:
            self._notes = NoteAttachmentChunk()
        self._notes.add(file_id, ref)
        self._place(file_id, self._notes, new)


def plan(file_ids: Sequence[str]) -> tuple[list[Chunk], dict[str, int]]:
    """The chunks of ``file_ids`` (each id once, chunks in order of first appearance) and
    each batched file's chunk index. Malformed ids and other schemes are left out: opened
    alone, they get their own errors."""
    planner = _Planner()
    kinds = {
        icpl.SCHEME: planner.photo,
        contact_image.SCHEME: planner.contact_image,
        note_attachment.SCHEME: planner.note_attachment,
    }
    for file_id in dict.fromkeys(file_ids):
        for scheme, add in kinds.items():
            if file_id.startswith(scheme):
                with contextlib.suppress(errors.NotFound):  # opened alone, which reports it
                    add(file_id)
                break
    return planner.chunks, planner.chunk_of
