"""How a batch splits its file ids: one chunk per photo zone (100 records each), one
for the whole contacts book, note attachments 200 a chunk; others are opened alone."""

from __future__ import annotations

from cloudtap.icloud.files import batch_chunks, contact_image, icpl, note_attachment
from cloudtap.icloud.files.batch_chunks import (
    ContactImageChunk,
    NoteAttachmentChunk,
    PhotoChunk,
    plan,
)
from cloudtap.icloud.services.photos import PRIMARY_ZONE


def _photo(n: int, resource: str = "resOriginal") -> str:
    return icpl.PhotoFileRef("private", PRIMARY_ZONE, f"rec-{n}", resource).to_id()


def _contact(n: int) -> str:
    return contact_image.ContactImageRef(f"contact-{n}").to_id()


def _note(n: int) -> str:
    return note_attachment.NoteAttachmentRef(f"attachment-{n}").to_id()


def test_each_kind_is_chunked_by_its_lookup_size() -> None:
    photos = [_photo(n, r) for n in range(150) for r in ("resOriginal", "resOriginalVidCompl")]
    contacts = [_contact(n) for n in range(450)]
    notes = [_note(n) for n in range(450)]
    drive = "icloud_drive://eA"
    ids = [*photos, *contacts, *notes, drive, "icpl://bm9wZQ", photos[0]]
    chunks, chunk_of = plan(ids)
    kinds = [type(chunk) for chunk in chunks]
    assert kinds == [PhotoChunk, PhotoChunk, ContactImageChunk] + [NoteAttachmentChunk] * 3
    assert [len(c.file_ids) for c in chunks] == [200, 100, 450, 200, 200, 50]
    photo_chunk = chunks[0]
    assert isinstance(photo_chunk, PhotoChunk)
    assert len(photo_chunk.refs) == batch_chunks.PHOTO_LOOKUP  # two files per record
    assert set(chunk_of) == set(ids) - {drive, "icpl://bm9wZQ"}  # those open alone
    for file_id, index in chunk_of.items():
        assert file_id in chunks[index].file_ids
