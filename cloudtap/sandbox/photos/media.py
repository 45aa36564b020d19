"""Real, decodable file bytes of an exact size, deterministic from a seed.

The size a record advertises is fixed before any encoding happens, so each format is
padded to it in a way its decoders ignore: JPEG comment segments, a private PNG
chunk, ISO-BMFF ``free`` boxes (HEIC, MOV), trailing bytes after a TIFF's last IFD
(DNG). Images are drawn with Pillow; HEIC is encoded with pillow-heif.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator

from PIL import Image, ImageDraw

from cloudtap.sandbox.photos.resources import MediaFormat


class MediaTooSmall(ValueError):
    """The requested size cannot hold a valid file of that format."""


# A file as pieces: real bytes, or an int standing for that many zero bytes. Padding
# of a multi-hundred-megabyte replayed video is then a few numbers, streamed on demand.
Pieces = list[bytes | int]
_CHUNK = 1 << 16


def pieces_size(pieces: Pieces) -> int:
    return sum(p if isinstance(p, int) else len(p) for p in pieces)


_ZEROS = memoryview(bytes(_CHUNK))


def iter_range(pieces: Pieces, first: int, last: int) -> Iterator[bytes | memoryview]:
    """Bytes ``first..last`` (inclusive) of the file, in chunks of at most 64 KiB.

    Views, not copies: zero padding is one shared block, real bytes are sliced in place.
    """
    offset = 0
    for piece in pieces:
        length = piece if isinstance(piece, int) else len(piece)
        lo, hi = max(first, offset), min(last + 1, offset + length)
        if lo < hi:
            if isinstance(piece, int):
                for start in range(lo, hi, _CHUNK):
                    yield _ZEROS[: min(_CHUNK, hi - start)]
            else:
                yield memoryview(piece)[lo - offset : hi - offset]
        offset += length
        if offset > last:
            return


def join(pieces: Pieces) -> bytes:
    return b"".join(bytes(p) if isinstance(p, int) else p for p in pieces)


def _colors(key: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    return (key[0], key[1], key[2]), (key[3], key[4], key[5])


def draw(width: int, height: int, key: bytes, label: str) -> Image.Image:
    """A smooth, recognisable picture: a two-colour gradient, a disc, a label."""
    top, bottom = _colors(key)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    pen = ImageDraw.Draw(image)
    r = min(width, height) // 4
    cx, cy = key[6] % max(1, width - 2 * r) + r, key[7] % max(1, height - 2 * r) + r
    pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(key[8], key[9], key[10]))
    pen.text((8, 8), label, fill=(255, 255, 255))
    return image


def _encode(image: Image.Image, fmt: MediaFormat) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        image.save(out, format="JPEG", quality=80)
    elif fmt == "png":
        image.save(out, format="PNG", optimize=False)
    elif fmt == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
        image.save(out, format="HEIF", quality=60)
    elif fmt == "dng":
        image.save(out, format="TIFF", compression="tiff_lzw")
    else:  # pragma: no cover - mov is not an image
        raise ValueError(fmt)
    return out.getvalue()


def _pad_jpeg(data: bytes, size: int) -> Pieces:
    missing = size - len(data)
    segments: Pieces = []
    while missing > 0:
        # A COM segment is 4 bytes of header plus up to 65533 bytes of payload.
        if missing < 4:
            raise MediaTooSmall("cannot pad a JPEG by fewer than 4 bytes")
        payload = min(missing - 4, 65533)
        if 0 < missing - 4 - payload < 4:
            payload -= 4
        segments += [b"\xff\xfe" + struct.pack(">H", payload + 2), payload]
        missing -= payload + 4
    return [data[:2], *segments, data[2:]]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _pad_png(data: bytes, size: int) -> Pieces:
    missing = size - len(data)
    if missing == 0:
        return [data]
    if missing < 12:
        raise MediaTooSmall("cannot pad a PNG by fewer than 12 bytes")
    if missing > 1 << 24:
        raise MediaTooSmall("PNG padding is kept in memory; too large")
    iend = data.rindex(b"IEND") - 4
    return [data[:iend], _png_chunk(b"ctPd", b"\x00" * (missing - 12)), data[iend:]]


def _free_box(length: int) -> Pieces:
    if length < 8:
        raise MediaTooSmall("an ISO-BMFF box needs at least 8 bytes")
    if length < 1 << 32:
        return [struct.pack(">I", length) + b"free", length - 8]
    return [struct.pack(">I4sQ", 1, b"free", length), length - 16]  # 64-bit box size


def _pad_bmff(data: bytes, size: int) -> Pieces:
    missing = size - len(data)
    return [data] if missing == 0 else [data, *_free_box(missing)]


def quicktime(width: int, height: int, key: bytes, size: int) -> Pieces:
    """A minimal QuickTime movie: ``ftyp``, a ``moov`` with its ``mvhd``, ``free`` padding.

    Structurally valid ISO-BMFF (parsers walk it), without media tracks.
    """
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"qt  ", 0x200, b"qt  ", b"isom")
    timescale, duration = 600, 600 * (1 + key[0] % 5)
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd_body = (
        struct.pack(">B3sIIII", 0, b"\0\0\0", 0, 0, timescale, duration)
        + struct.pack(">IH", 0x10000, 0x100)
        + b"\0" * 10
        + matrix
        + b"\0" * 24
        + struct.pack(">I", 2)
    )
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    head = ftyp + moov
    if size < len(head) + 8:
        raise MediaTooSmall(f"a QuickTime file needs at least {len(head) + 8} bytes")
    return [head, *_free_box(size - len(head))]


def raw_bytes(key: bytes, size: int) -> Pieces:
    """Deterministic filler, for sizes or formats no real container fits."""
    block = bytearray()
    counter = 0
    while len(block) < min(size, _CHUNK):
        block += hashlib.blake2b(key + counter.to_bytes(8, "big"), digest_size=64).digest()
        counter += 1
    whole, rest = divmod(size, _CHUNK)
    shared = bytes(block[:_CHUNK])
    out: Pieces = [shared] * whole
    return [*out, bytes(block[:rest])] if rest else out


class _PictureCache:
    """Encoded pictures by their inputs, least recently used dropped past ``budget`` bytes.

    Drawing and encoding (HEIC above all) costs tens of milliseconds; the padded file
    around it is free. Each picture is tens of KB, so a library's worth stays cached and
    every asset is encoded once however often it is downloaded.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._held = 0
        self._pictures: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> bytes | None:
        with self._lock:
            found = self._pictures.get(key)
            if found is not None:
                self._pictures.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._pictures.clear()
            self._held = 0

    def put(self, key: tuple[object, ...], picture: bytes) -> None:
        with self._lock:
            if key in self._pictures:
                return
            self._pictures[key] = picture
            self._held += len(picture)
            while self._held > self.budget and self._pictures:
                _, dropped = self._pictures.popitem(last=False)
                self._held -= len(dropped)


_PICTURES = _PictureCache(budget=256 * 2**20)


def clear_cache() -> None:
    """Forget every encoded picture (tests render again from scratch)."""
    _PICTURES.clear()


def _picture(fmt: MediaFormat, width: int, height: int, key: bytes, label: str) -> bytes:
    """The encoded picture before padding (small: tens of KB), cached."""
    cache_key = (fmt, width, height, key, label)
    found = _PICTURES.get(cache_key)
    if found is None:
        found = _encode(draw(width, height, key, label), fmt)
        _PICTURES.put(cache_key, found)
    return found


def render(fmt: MediaFormat, width: int, height: int, size: int, key: bytes, label: str) -> Pieces:
    """The file of ``size`` bytes for this resource; the same inputs give the same bytes.

    Raises ``MediaTooSmall`` when ``size`` cannot hold the encoded picture.
    """
    if fmt == "mov":
        return quicktime(width, height, key, size)
    data = _picture(fmt, width, height, key, label)
    if len(data) > size:
        raise MediaTooSmall(f"{fmt} {width}x{height} encodes to {len(data)} > {size} bytes")
    if fmt == "jpeg":
        return _pad_jpeg(data, size)
    if fmt == "png":
        return _pad_png(data, size)
    if fmt == "heic":
        return _pad_bmff(data, size)
    return [data, size - len(data)]  # dng/tiff: readers follow offsets, ignore the tail


def render_or_filler(
    fmt: MediaFormat, width: int, height: int, size: int, key: bytes, label: str
) -> Pieces:
    try:
        return render(fmt, width, height, size, key, label)
    except MediaTooSmall:
        return raw_bytes(key, size)
