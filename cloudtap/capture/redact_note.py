"""Redaction inside an Apple Notes body (``TextDataEncrypted``: gzip'd or zlib'd
``NoteStoreProto``): the text is redacted line by line (each line, and each piece
between attachments, as every other free text of the capture), attachment identifiers
as the record names they are, and the message encoded and compressed again, so the
replayed note still decodes. Fields our schema does not name (paragraph styles, links,
versions) are dropped: they could carry personal values nobody checked."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable

from google.protobuf.message import DecodeError

from cloudtap.icloud.services.notes_proto import MARK, inflate, store_class

# Lines and attachment marks: the pieces a reader's text is made of.
_PIECES = re.compile(f"(\n|{MARK})")


def redact_note_body(
    blob: bytes, text: Callable[[str], str], identifier: Callable[[str], str]
) -> bytes | None:
    """The body with its strings redacted, or ``None`` when it is not a note body."""
    try:
        store = store_class().FromString(inflate(blob))
    except (DecodeError, OSError, EOFError, zlib.error):
        return None
    if not store.HasField("document"):
        return None
    store.DiscardUnknownFields()
    note = store.document.note
    note.note_text = "".join(
        piece if _PIECES.fullmatch(piece) or not piece else text(piece)
        for piece in _PIECES.split(note.note_text)
    )
    for run in note.attribute_run:
        info = run.attachment_info
        if run.HasField("attachment_info") and info.attachment_identifier:
            info.attachment_identifier = identifier(info.attachment_identifier)
    raw = bytes(store.SerializeToString())
    if blob[:2] == b"\x1f\x8b":
        return gzip.compress(raw, mtime=0)
    return zlib.compress(raw) if inflate(blob) != blob else raw
