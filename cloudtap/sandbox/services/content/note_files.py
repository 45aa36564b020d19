"""The bytes behind a Notes ``Attachment``: a real picture or PDF of the advertised size,
and the rendered picture (``FallbackImage``) of a note's drawing.

Each attachment kind (``ATTACHMENT_KINDS`` in :mod:`.notes`) is drawn with the photos
media helpers and padded to the size its record announces, so the record's ``Size``,
the asset's ``size`` and the served body always agree. A PDF is Pillow's one-page PDF
with comment lines inserted just before ``startxref``: nothing an object or the xref
table points at moves, so readers still find every offset.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from functools import lru_cache

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.photos.records import checksum
from cloudtap.sandbox.photos.resources import MediaFormat
from cloudtap.sandbox.services.content import notes as gen

# UTI → how its bytes are made: format, width, height.
_PICTURES = {
    "public.jpeg": ("jpeg", 1600, 1200),
    "public.png": ("png", 1170, 2532),
    "com.adobe.pdf": ("pdf", 850, 1100),
}
FILE, DRAWING = 0, 1  # which of a note's assets a content URL names (its ``code``)
DRAWING_PICTURE = ("png", 768, 364, 96_000)  # format, width, height, bytes
# Fixed (Pillow stamps "now" otherwise): the same inputs must give the same bytes.
_PDF_DATE = time.gmtime(1_704_067_200)
_PDF_LINE = 128  # padding comment lines are "%" + filler + "\n"


@dataclass(frozen=True)
class AttachmentFile:
    note_index: int
    name: str  # the Attachment record's name
    uti: str
    filename: str
    size: int
    fmt: str
    width: int
    height: int
    checksum: str  # Apple-shaped fileChecksum, also the content host's ETag

    @property
    def key(self) -> bytes:
        return hashlib.blake2b(f"note-attachment:{self.name}".encode()).digest()


def attachment_file(spec: ContentSpec, note_index: int) -> AttachmentFile | None:
    """The file attached to note ``note_index``, or ``None`` when that note has none."""
    if not 0 <= note_index < spec.notes or not gen.has_attachment(note_index):
        return None
    uti, filename, size = gen.ATTACHMENT_KINDS[note_index % len(gen.ATTACHMENT_KINDS)]
    fmt, width, height = _PICTURES[uti]
    return AttachmentFile(
        note_index=note_index,
        name=gen.attachment_name(spec, note_index),
        uti=uti,
        filename=filename.format(n=note_index),
        size=size,
        fmt=fmt,
        width=width,
        height=height,
        checksum=checksum("note-attachment", spec.seed, note_index),
    )


def drawing_file(spec: ContentSpec, note_index: int) -> AttachmentFile | None:
    """The rendered picture of note ``note_index``'s drawing, or ``None`` if it has none."""
    if not 0 <= note_index < spec.notes:
        return None
    drawing = next((e for e in gen.extras(spec, note_index) if e.kind == "drawing"), None)
    if drawing is None:
        return None
    fmt, width, height, size = DRAWING_PICTURE
    return AttachmentFile(
        note_index=note_index,
        name=drawing.identifier,
        uti=drawing.uti,
        filename=f"{drawing.text or 'Drawing'}.png",
        size=size,
        fmt=fmt,
        width=width,
        height=height,
        checksum=checksum("note-drawing", spec.seed, note_index),
    )


def file_for(spec: ContentSpec, note_index: int, code: int) -> AttachmentFile | None:
    """The asset a content URL names: a note's file (``FILE``) or drawing (``DRAWING``)."""
    if code == FILE:
        return attachment_file(spec, note_index)
    return drawing_file(spec, note_index) if code == DRAWING else None


def by_name(spec: ContentSpec, record_name: str) -> AttachmentFile | None:
    """The asset behind an ``Attachment`` record's name (a file or a drawing's picture)."""
    found = gen.record_names(spec.seed, spec.notes).get(record_name)
    if found is None or found[0] in ("note", "media"):
        return None
    kind, k = found
    if kind == "attachment":
        return attachment_file(spec, gen.attachment_note(k))
    note_index, j = gen.extra_position(k)
    return drawing_file(spec, note_index) if gen.EXTRA_KINDS[j][0] == "drawing" else None


def pieces(file: AttachmentFile) -> media.Pieces:
    """The file's bytes as media pieces (streamed by the content host, never joined)."""
    if file.fmt == "pdf":
        return [_pdf(file.width, file.height, file.key, file.filename, file.size)]
    fmt: MediaFormat = "jpeg" if file.fmt == "jpeg" else "png"
    return media.render_or_filler(fmt, file.width, file.height, file.size, file.key, file.filename)


@lru_cache(maxsize=16)
def _pdf(width: int, height: int, key: bytes, label: str, size: int) -> bytes:
    out = io.BytesIO()
    picture = media.draw(width, height, key, label)
    picture.save(out, format="PDF", resolution=100, creationDate=_PDF_DATE, modDate=_PDF_DATE)
    data = out.getvalue()
    at = data.rindex(b"startxref")
    missing = size - len(data)
    if missing < 0:
        raise media.MediaTooSmall(f"a {width}x{height} PDF needs {len(data)} > {size} bytes")
    return data[:at] + _comment_lines(missing) + data[at:]


def _comment_lines(length: int) -> bytes:
    """``length`` bytes of PDF comments (whitespace to any reader)."""
    whole, rest = divmod(length, _PDF_LINE)
    line = b"%" + b"-" * (_PDF_LINE - 2) + b"\n"
    tail = b"" if rest == 0 else (b"\n" if rest == 1 else b"%" + b"-" * (rest - 2) + b"\n")
    return line * whole + tail
