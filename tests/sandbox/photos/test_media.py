"""Served files decode with real decoders and are exactly the advertised size."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from cloudtap.sandbox.photos import media


@pytest.mark.parametrize(
    ("fmt", "width", "height", "size", "pil_format"),
    [
        ("jpeg", 640, 480, 80_123, "JPEG"),
        ("jpeg", 320, 240, 200_000, "JPEG"),  # padding spans several comment segments
        ("png", 320, 640, 40_001, "PNG"),
        ("heic", 640, 480, 50_777, "HEIF"),
        ("dng", 640, 480, 300_000, "TIFF"),
    ],
)
def test_images_decode_at_exact_size(
    fmt: media.MediaFormat, width: int, height: int, size: int, pil_format: str
) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    data = media.join(media.render(fmt, width, height, size, b"k" * 16, "label"))
    assert len(data) == size
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == pil_format and image.size == (width, height)
    assert data == media.join(media.render(fmt, width, height, size, b"k" * 16, "label"))


def test_quicktime_is_a_walkable_iso_bmff_file() -> None:
    data = media.join(media.quicktime(320, 240, b"q" * 16, 150_000))
    assert len(data) == 150_000
    boxes, offset = [], 0
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        boxes.append(kind)
        offset += length
    assert offset == len(data)
    assert boxes == [b"ftyp", b"moov", b"free"]
    assert data[8:12] == b"qt  "


def test_huge_files_stay_pieces_and_ranges_stream() -> None:
    pieces = media.quicktime(320, 240, b"q" * 16, 5 * 2**30)  # a 5 GiB video
    assert media.pieces_size(pieces) == 5 * 2**30
    assert sum(len(p) for p in pieces if isinstance(p, bytes)) < 200
    tail = b"".join(media.iter_range(pieces, 5 * 2**30 - 10, 5 * 2**30 - 1))
    assert tail == bytes(10)
    head = b"".join(media.iter_range(pieces, 4, 11))
    assert head == b"ftypqt  "


def test_too_small_sizes_fall_back_to_filler() -> None:
    with pytest.raises(media.MediaTooSmall):
        media.render("jpeg", 640, 480, 100, b"x" * 16, "label")
    filler = media.join(media.render_or_filler("jpeg", 640, 480, 100, b"x" * 16, "label"))
    assert len(filler) == 100
