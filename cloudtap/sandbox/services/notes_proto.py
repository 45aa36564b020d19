"""Apple Notes bodies: ``NoteStoreProto`` protobuf, gzip'd, as ``TextDataEncrypted`` holds them.

The schema is our own minimal descriptor (proto2, so fields keep presence) of the
message subset public decoders read: ``NoteStoreProto.document(2).note(3)`` with
``note_text(2)`` and ``attribute_run(5)`` whose ``paragraph_style(2)`` and
``attachment_info(12)`` carry headings and inline attachments. Field numbers and wire
types match what pyicloud's ``notes.proto`` parses, so its decoder reads our bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "cloudtap.sandbox.notes"
ATTACHMENT_CHAR = "\ufffc"  # the object replacement character marks an inline attachment
STYLE_TITLE = 0
STYLE_CHECKLIST = 103

_O = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
_R = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_INT32 = descriptor_pb2.FieldDescriptorProto.TYPE_INT32
_BYTES = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
_MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE

# message name → [(field name, number, label, type, message type name or None)]
_SCHEMA: dict[str, list[tuple[str, int, int, int, str | None]]] = {
    "AttachmentInfo": [
        ("attachment_identifier", 1, _O, _STRING, None),
        ("type_uti", 2, _O, _STRING, None),
    ],
    "Checklist": [("uuid", 1, _O, _BYTES, None), ("done", 2, _O, _INT32, None)],
    "ParagraphStyle": [
        ("style_type", 1, _O, _INT32, None),
        ("checklist", 5, _O, _MESSAGE, "Checklist"),
    ],
    "AttributeRun": [
        ("length", 1, _O, _INT32, None),
        ("paragraph_style", 2, _O, _MESSAGE, "ParagraphStyle"),
        ("font_weight", 5, _O, _INT32, None),
        ("link", 9, _O, _STRING, None),
        ("attachment_info", 12, _O, _MESSAGE, "AttachmentInfo"),
    ],
    "Note": [
        ("note_text", 2, _O, _STRING, None),
        ("attribute_run", 5, _R, _MESSAGE, "AttributeRun"),
    ],
    "Document": [("version", 2, _O, _INT32, None), ("note", 3, _O, _MESSAGE, "Note")],
    "NoteStoreProto": [("document", 2, _O, _MESSAGE, "Document")],
}


@cache
def _classes() -> dict[str, Any]:
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="cloudtap_sandbox_notes.proto", package=_PACKAGE, syntax="proto2"
    )
    for name, fields in _SCHEMA.items():
        message = file_proto.message_type.add(name=name)
        for field_name, number, label, kind, type_name in fields:
            field = message.field.add(name=field_name, number=number, label=label, type=kind)
            if type_name:
                field.type_name = f".{_PACKAGE}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))
        for name in _SCHEMA
    }


@dataclass(frozen=True)
class InlineAttachment:
    identifier: str  # the Attachment (or InlineAttachment) record's name
    type_uti: str  # "public.jpeg", "com.adobe.pdf", "com.apple.notes.table", ...


@dataclass(frozen=True)
class Paragraph:
    text: str  # without the trailing newline
    style: int | None = None  # STYLE_TITLE, STYLE_CHECKLIST, ... or plain body text
    done: bool = False  # for checklist items
    attachment: InlineAttachment | None = None  # sits after the text, before the newline


def encode_note(
    paragraphs: Sequence[Paragraph], attachments: Sequence[InlineAttachment] = ()
) -> bytes:
    """The ``NoteStoreProto`` bytes (uncompressed) for a note's paragraphs and attachments."""
    classes = _classes()
    store = classes["NoteStoreProto"]()
    note = store.document.note
    store.document.version = 3
    text_parts: list[str] = []
    for paragraph in paragraphs:
        # The runs cover the text in order: the words, the attachment's mark, the newline.
        pieces = [paragraph.text, "\n"] if paragraph.attachment is None else [paragraph.text]
        for piece in filter(None, pieces):
            text_parts.append(piece)
            _styled(note.attribute_run.add(), paragraph, _utf16_length(piece))
        if paragraph.attachment is not None:
            _mark(note, text_parts, paragraph.attachment)
            text_parts.append("\n")
            _styled(note.attribute_run.add(), paragraph, 1)
    for attachment in attachments:
        _mark(note, text_parts, attachment)
    note.note_text = "".join(text_parts)
    return bytes(store.SerializeToString())


def _styled(run: Any, paragraph: Paragraph, length: int) -> None:
    run.length = length
    if paragraph.style is not None:
        run.paragraph_style.style_type = paragraph.style
        if paragraph.style == STYLE_CHECKLIST:
            run.paragraph_style.checklist.done = int(paragraph.done)
            run.paragraph_style.checklist.uuid = paragraph.text.encode()[:16].ljust(16, b"_")


def _mark(note: Any, text_parts: list[str], attachment: InlineAttachment) -> None:
    text_parts.append(ATTACHMENT_CHAR)
    run = note.attribute_run.add()
    run.length = 1
    run.attachment_info.attachment_identifier = attachment.identifier
    run.attachment_info.type_uti = attachment.type_uti


def compress(proto: bytes) -> bytes:
    """gzip with a fixed mtime, so the same note always has the same bytes."""
    return gzip.compress(proto, mtime=0)


def decode_text(blob: bytes) -> str:
    """The note text inside gzip'd ``NoteStoreProto`` bytes (used by our own tests)."""
    store = _classes()["NoteStoreProto"]()
    store.ParseFromString(gzip.decompress(blob))
    return str(store.document.note.note_text)


def _utf16_length(text: str) -> int:
    # Apple's attribute runs count UTF-16 code units, like NSString.
    return len(text.encode("utf-16-le")) // 2
