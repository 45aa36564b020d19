"""Decoding Apple Notes bodies: gzip/zlib-wrapped ``NoteStoreProto`` protobuf.

Only the part readers need is described (our own minimal proto2 descriptor; unknown
fields are skipped by the protobuf runtime): ``document(2).note(3)`` with the plain text
``note_text(2)`` and ``attribute_run(5)``, whose ``attachment_info(12)`` names inline
attachments.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

_PACKAGE = "cloudtap.icloud.notes"
_O = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
_R = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_INT32 = descriptor_pb2.FieldDescriptorProto.TYPE_INT32
_MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE

_SCHEMA: dict[str, list[tuple[str, int, int, int, str | None]]] = {
    "AttachmentInfo": [
        ("attachment_identifier", 1, _O, _STRING, None),
        ("type_uti", 2, _O, _STRING, None),
    ],
    "AttributeRun": [
        ("length", 1, _O, _INT32, None),
        ("attachment_info", 12, _O, _MESSAGE, "AttachmentInfo"),
    ],
    "Note": [
        ("note_text", 2, _O, _STRING, None),
        ("attribute_run", 5, _R, _MESSAGE, "AttributeRun"),
    ],
    "Document": [("note", 3, _O, _MESSAGE, "Note")],
    "NoteStoreProto": [("document", 2, _O, _MESSAGE, "Document")],
}


@cache
def store_class() -> Any:
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="cloudtap_icloud_notes.proto", package=_PACKAGE, syntax="proto2"
    )
    for name, fields in _SCHEMA.items():
        message = file_proto.message_type.add(name=name)
        for field_name, number, label, kind, type_name in fields:
            field = message.field.add(name=field_name, number=number, label=label, type=kind)
            if type_name:
                field.type_name = f".{_PACKAGE}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.NoteStoreProto"))


MARK = "\ufffc"  # the object replacement character: where an attachment sits in the text


@dataclass(frozen=True)
class NoteBody:
    marked: str  # the note text, each attachment a MARK
    attachments: tuple[tuple[str, str], ...]  # (identifier, UTI), in the order of the MARKs

    @property
    def text(self) -> str:
        """The text with every attachment left out."""
        return self.marked.replace(MARK, "")

    def text_with(self, stand_ins: Mapping[str, str]) -> str:
        """The text with the attachments named in ``stand_ins`` replaced by their text
        (a hashtag, a calculation result) and every other one left out."""
        pieces = self.marked.split(MARK)
        out = [pieces[0]]
        for n, piece in enumerate(pieces[1:]):
            ident = self.attachments[n][0] if n < len(self.attachments) else ""
            out.append(stand_ins.get(ident, ""))
            out.append(piece)
        return "".join(out)


def inflate(blob: bytes) -> bytes:
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    try:
        return zlib.decompress(blob)
    except zlib.error:
        return blob  # already raw protobuf


def decode_body(blob: bytes) -> NoteBody | None:
    """The note's plain text and attachment references, or ``None`` if unreadable."""
    try:
        store = store_class().FromString(inflate(blob))
    except (DecodeError, OSError, EOFError, zlib.error):
        return None
    note = store.document.note
    attachments = tuple(
        (run.attachment_info.attachment_identifier, run.attachment_info.type_uti)
        for run in note.attribute_run
        if run.HasField("attachment_info")
    )
    return NoteBody(marked=note.note_text, attachments=attachments)
