"""Apple Notes content: folders, notes (pinned, deleted, locked, with attachments).

Layout of the ``Notes`` zone's change log: the folders, then note ``0..N-1`` (oldest
first; note ``i`` was last modified in slot ``i`` of the past three years), then one
attachment for every note that has one, then the inline attachments (``EXTRA_KINDS``:
a table, a hashtag, a calculation result, a link card and a drawing) of every note that
has them, shaped as in pyicloud's capture of a real note, then the ``Media`` records
holding the bytes of some photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import (
    day_start,
    item_rng,
    item_uuid,
    spread,
    today,
)
from cloudtap.sandbox.services.notes_proto import (
    STYLE_CHECKLIST,
    STYLE_TITLE,
    InlineAttachment,
    Paragraph,
)

KIND = "note"
DEFAULT_FOLDER = "DefaultFolder-CloudKit"
TRASH_FOLDER = "TrashFolder-CloudKit"
PINNED_EVERY, PINNED_AT = 17, 3
DELETED_EVERY, DELETED_AT = 23, 5
LOCKED_EVERY, LOCKED_AT = 29, 11
ATTACHMENT_EVERY, ATTACHMENT_AT = 7, 2
CHECKLIST_EVERY, CHECKLIST_AT = 5, 1
UNICODE_EVERY, UNICODE_AT = 13, 4  # titles with accents, CJK and emoji
EMPTY_EVERY, EMPTY_AT = 31, 7  # notes with no text at all (and no attachment)
EXTRAS_EVERY, EXTRAS_AT = 14, 2  # a subset of the notes with a file attachment
# Photos whose bytes sit on a separate Media record, as in pyicloud's capture of a real
# note (the others carry a PrimaryAsset, as in its synthetic lookup fixture): one in
# six of the JPEG attachments (note 9 + 42m has a file, and a JPEG one).
MEDIA_EVERY, MEDIA_AT = 42, 9
PAST_YEARS = 3

ATTACHMENT_KINDS = (
    ("public.jpeg", "IMG_{n:04d}.jpeg", 850_000),
    ("com.adobe.pdf", "Scan {n}.pdf", 240_000),
    ("public.png", "Screenshot {n}.png", 410_000),
)


# (kind, CloudKit record type, UTI), in the order they appear in the note.
EXTRA_KINDS = (
    ("table", "Attachment", "com.apple.notes.table"),
    ("hashtag", "InlineAttachment", "com.apple.notes.inlinetextattachment.hashtag"),
    ("calculation", "InlineAttachment", "com.apple.notes.inlinetextattachment.calculateresult"),
    ("link", "Attachment", "public.url"),
    ("drawing", "Attachment", "com.apple.paper"),
)
_TAGS = ("groceries", "travel", "ideas", "café", "日本", "work2026")
_CELLS = ("Flour", "Sugar", "Crème fraîche", "Eggs", "Butter", "Zürich", "🍋 Lemons", "Salt")
_LINKS = (
    ("https://www.apple.com/icloud/", "iCloud - Apple"),
    ("https://de.wikipedia.org/wiki/Zürich", "Zürich \u2013 Wikipedia"),
    ("https://example.com/recipes?q=crème+brûlée&lang=fr", "Crème brûlée recipes"),
)
_SCRIBBLES = ("hello", "call mum", "café ☕", "")


@dataclass(frozen=True)
class Extra:
    """One inline attachment: what the record says and what a reader should get."""

    identifier: str  # the record's name, also the body's attachment identifier
    kind: str
    record_type: str
    uti: str
    text: str  # AltText (hashtag, calculation), cell texts (table), title, handwriting
    url: str | None = None  # a link card's address
    expression: str = ""  # the paragraph text before a calculation result
    cells: tuple[str, ...] = ()  # a table's cell texts, row by row


@dataclass(frozen=True)
class Folder:
    name: str  # record name
    title: str
    parent: str | None = None


def folders(spec: ContentSpec) -> list[Folder]:
    """The built-in "Notes" and "Recently Deleted" folders plus some of the user's own."""
    if spec.notes == 0:
        return [Folder(DEFAULT_FOLDER, "Notes")]
    out = [Folder(DEFAULT_FOLDER, "Notes"), Folder(TRASH_FOLDER, "Recently Deleted")]
    own = min(len(words.FOLDER_NAMES), 1 + spec.notes // 20)
    for n in range(own):
        # "Recipes" (the 4th) nests inside "Personal" (the 1st), to show sub-folders.
        parent = out[2].name if n == 3 else None
        out.append(Folder(item_uuid(spec.seed, "folder", n), words.FOLDER_NAMES[n], parent))
    return out


@dataclass(frozen=True)
class NoteItem:
    index: int
    name: str
    title: str
    paragraphs: list[Paragraph]
    folder: str
    created_ms: int
    modified_ms: int
    pinned: bool
    deleted: bool
    locked: bool
    attachment: InlineAttachment | None
    extras: tuple[Extra, ...] = ()


def note_name(spec: ContentSpec, index: int) -> str:
    return item_uuid(spec.seed, KIND, index)


def has_attachment(index: int) -> bool:
    return index % ATTACHMENT_EVERY == ATTACHMENT_AT


def is_locked(index: int) -> bool:
    return index % LOCKED_EVERY == LOCKED_AT


def attachment_count(spec: ContentSpec) -> int:
    return len(range(ATTACHMENT_AT, spec.notes, ATTACHMENT_EVERY))


def attachment_note(k: int) -> int:
    """The note that attachment ``k`` belongs to."""
    return ATTACHMENT_AT + k * ATTACHMENT_EVERY


def attachment_name(spec: ContentSpec, note_index: int) -> str:
    return item_uuid(spec.seed, "note-attachment", note_index)


def has_media(index: int) -> bool:
    return index % MEDIA_EVERY == MEDIA_AT


def media_count(spec: ContentSpec) -> int:
    return len(range(MEDIA_AT, spec.notes, MEDIA_EVERY))


def media_note(k: int) -> int:
    """The note whose attachment's bytes Media record ``k`` holds."""
    return MEDIA_AT + k * MEDIA_EVERY


def media_name(spec: ContentSpec, note_index: int) -> str:
    return item_uuid(spec.seed, "note-media", note_index)


def is_empty(index: int) -> bool:
    return index % EMPTY_EVERY == EMPTY_AT and not has_attachment(index)


def has_extras(index: int) -> bool:
    return index % EXTRAS_EVERY == EXTRAS_AT


def extras_count(spec: ContentSpec) -> int:
    """How many inline attachment records the zone holds."""
    return len(range(EXTRAS_AT, spec.notes, EXTRAS_EVERY)) * len(EXTRA_KINDS)


def extra_position(k: int) -> tuple[int, int]:
    """Inline record ``k`` of the change log: (its note's index, its place in EXTRA_KINDS)."""
    n, j = divmod(k, len(EXTRA_KINDS))
    return EXTRAS_AT + n * EXTRAS_EVERY, j


def extra_name(spec: ContentSpec, note_index: int, j: int) -> str:
    return item_uuid(spec.seed, "note-extra", note_index * len(EXTRA_KINDS) + j)


def extras(spec: ContentSpec, index: int) -> tuple[Extra, ...]:
    """Note ``index``'s inline attachments (none for most notes)."""
    if not has_extras(index):
        return ()
    rng = item_rng(spec.seed, "note-extra", index)
    out: list[Extra] = []
    for j, (kind, record_type, uti) in enumerate(EXTRA_KINDS):
        name = extra_name(spec, index, j)
        if kind == "table":
            cells = tuple(rng.choice(_CELLS) for _ in range(2 * rng.randrange(2, 4)))
            out.append(Extra(name, kind, record_type, uti, "\n".join(cells), cells=cells))
        elif kind == "hashtag":
            out.append(Extra(name, kind, record_type, uti, f"#{rng.choice(_TAGS)}"))
        elif kind == "calculation":
            a, b = rng.randrange(2, 99), rng.randrange(2, 20)
            # Apple pads the result with thin spaces (pyicloud's capture: "\u2009=\u20094").
            text = f"\u2009=\u2009{a * b}"
            out.append(Extra(name, kind, record_type, uti, text, expression=f"{a}*{b}"))
        elif kind == "link":
            url, title = rng.choice(_LINKS)
            out.append(Extra(name, kind, record_type, uti, title, url=url))
        else:
            out.append(Extra(name, kind, record_type, uti, rng.choice(_SCRIBBLES)))
    return tuple(out)


def note(spec: ContentSpec, index: int) -> NoteItem:
    rng = item_rng(spec.seed, KIND, index)
    anchor = day_start(today())
    modified = spread(
        index, spec.notes, anchor - timedelta(days=round(365.25 * PAST_YEARS)), anchor, rng
    )
    created = modified - timedelta(days=rng.randrange(0, 90), minutes=rng.randrange(0, 1440))
    name = f"{rng.choice(words.FIRST_NAMES)}"
    place = rng.choice(words.PLACES)[0]
    title = rng.choice(words.NOTE_TOPICS).format(name=name, city=place)
    if index % UNICODE_EVERY == UNICODE_AT:
        title += " \u2013 Größe ✓ 日本 🍋"
    paragraphs = [Paragraph(title, STYLE_TITLE)]
    if index % CHECKLIST_EVERY == CHECKLIST_AT:
        for item in rng.sample(("Milk", "Eggs", "Bread", "Lemons", "Rice", "Coffee"), 3):
            paragraphs.append(Paragraph(item, STYLE_CHECKLIST, done=rng.random() < 0.5))
    for _ in range(rng.randrange(1, 5)):
        paragraphs.append(Paragraph(rng.choice(words.NOTE_LINES).format(name=name)))
    own_folders = folders(spec)[2:]
    deleted = index % DELETED_EVERY == DELETED_AT
    folder = (
        TRASH_FOLDER
        if deleted
        else (
            rng.choice(own_folders).name if own_folders and rng.random() < 0.6 else DEFAULT_FOLDER
        )
    )
    if is_empty(index):
        title, paragraphs = "", []
    inline = extras(spec, index)
    for extra in inline:
        # Each inline attachment sits in a paragraph of its own, a calculation after its
        # expression, as the captured note shows them.
        marker = InlineAttachment(extra.identifier, extra.uti)
        paragraphs.append(Paragraph(extra.expression, attachment=marker))
    attachment = None
    if has_attachment(index):
        uti, _, _ = ATTACHMENT_KINDS[index % len(ATTACHMENT_KINDS)]
        attachment = InlineAttachment(attachment_name(spec, index), uti)
    return NoteItem(
        index=index,
        name=note_name(spec, index),
        title=title,
        paragraphs=paragraphs,
        folder=folder,
        created_ms=int(created.timestamp() * 1000),
        modified_ms=int(modified.timestamp() * 1000),
        pinned=index % PINNED_EVERY == PINNED_AT,
        deleted=deleted,
        locked=is_locked(index),
        attachment=attachment,
        extras=inline,
    )


def locked_ciphertext_for(note: NoteItem) -> bytes:
    """Stand-in ciphertext for a password-protected body: unreadable without the password."""
    rng = item_rng(len(note.name), note.name, note.index)
    return rng.randbytes(64)


@lru_cache(maxsize=8)
def record_names(seed: int, count: int) -> dict[str, tuple[str, int]]:
    """Record name → ("note", i), ("attachment", k), ("extra", k) or ("media", k), for
    ``records/lookup``."""
    spec = ContentSpec(seed=seed, notes=count)
    out: dict[str, tuple[str, int]] = {note_name(spec, i): ("note", i) for i in range(count)}
    for k in range(attachment_count(spec)):
        out[attachment_name(spec, attachment_note(k))] = ("attachment", k)
    for k in range(extras_count(spec)):
        out[extra_name(spec, *extra_position(k))] = ("extra", k)
    for k in range(media_count(spec)):
        out[media_name(spec, media_note(k))] = ("media", k)
    return out
