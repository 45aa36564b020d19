"""Which note attachments live inside the note, and what to publish of them.

Evidence: pyicloud's sanitized capture of a real note (``tests/fixtures/notes/
note_rendering_fixture.json``) and its renderer (``pyicloud/services/notes/rendering/``).
Hashtags, mentions and calculation results are ``InlineAttachment`` records
(``com.apple.notes.inlinetextattachment.*``) whose ``AltTextEncrypted`` is the text shown
in place; tables keep their cells in the record (``MergeableDataEncrypted``, with the cell
texts in ``SummaryEncrypted``); link cards are a URL (``URLStringEncrypted``) and a title;
drawings (``com.apple.paper``) are ink in ``PaperDatabase`` with a rendered picture as
``FallbackImage``. None of them is a file; photos, scanned PDFs, audio and contact cards
have a downloadable asset and are.
"""

from __future__ import annotations

from cloudtap.icloud.connector import JSONDict
from cloudtap.icloud.files import note_attachment
from cloudtap.icloud.services.cloudkit import Record, decoded_text

INLINE_TEXT = "com.apple.notes.inlinetextattachment."
INLINE_RECORD = "InlineAttachment"
_TEXT_KINDS = {
    "hashtag": "hashtag",
    "mention": "mention",
    "calculateresult": "calculation",
    "calculategraphexpression": "graph",
}
_OBJECT_KINDS = {
    "com.apple.notes.table": "table",
    "public.url": "link",
    "com.apple.paper": "drawing",
}
# Where each kind keeps the text a reader sees, best first.
_TEXT_FIELDS = {
    "table": ("SummaryEncrypted",),
    "link": ("TitleEncrypted", "URLStringEncrypted"),
    "drawing": ("TitleEncrypted", "SummaryEncrypted"),
}
_DEFAULT_FIELDS = ("AltTextEncrypted", "TitleEncrypted", "SummaryEncrypted")


def kind_of(uti: str | None, record: Record | None) -> str | None:
    """The inline kind (``hashtag``, ``table``, ``drawing``...), or ``None`` for a file."""
    lowered = (uti or "").lower()
    if lowered.startswith(INLINE_TEXT):
        return _TEXT_KINDS.get(lowered.removeprefix(INLINE_TEXT), "text")
    if lowered in _OBJECT_KINDS:
        return _OBJECT_KINDS[lowered]
    if record is not None and record.get("recordType") == INLINE_RECORD:
        return "text"
    if record is not None and not _has_bytes(record):
        return "other"  # a record with nothing to download: not a file
    return None


def stands_in_text(kind: str) -> bool:
    """Whether the item's text takes the attachment's place in the note's text."""
    return kind in {*_TEXT_KINDS.values(), "text"}


def _has_bytes(record: Record) -> bool:
    found = note_attachment.facts(record)
    return bool(found.url or found.media or found.size)


def _text(record: Record | None, kind: str) -> str | None:
    if record is None:
        return None
    for name in _TEXT_FIELDS.get(kind, _DEFAULT_FIELDS):
        value = decoded_text(record, name)
        if value and value.strip():
            return value.rstrip("\n") if kind == "table" else value
    return None


def entry(ident: str, uti: str | None, kind: str, record: Record | None) -> JSONDict:
    """One entry of a note item's ``inline`` list."""
    found = note_attachment.facts(record) if record else None
    picture = kind == "drawing" and found is not None and found.url is not None
    return {
        "id": ident,
        "type": (found.uti if found else None) or uti,
        "kind": kind,
        "text": _text(record, kind),
        "url": decoded_text(record, "URLStringEncrypted") if record else None,
        # A drawing's rendered picture downloads like a file (but is no file attachment).
        "file_id": f"{note_attachment.SCHEME}{ident}" if picture else None,
        "extension": found.extension if picture and found else None,
        "size": found.size if picture and found else None,
    }
