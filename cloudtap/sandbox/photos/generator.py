"""A generated photo library: asset ``i`` is a pure function of ``(seed, zone, i)``.

Nothing is materialised: listing, counting and serving bytes all compute the one asset
they need. Asset kinds repeat with a period of ``PERIOD`` (rotated by the seed), so
every index (smart albums, hidden, albums) is an arithmetic set whose rank→asset
mapping is O(1); names, dates and sizes vary per asset through a hash.

Rank 0 is the newest asset: ``assetDate`` strictly decreases with ``i``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from cloudtap.sandbox.photos.resources import ResourceSpec

Kind = Literal["jpeg", "heic", "live", "raw", "video", "screenshot", "edited"]

PERIOD = 20
# One period of the library: mostly photos, a quarter live photos, a few of the rest.
_PATTERN: tuple[Kind, ...] = (
    "live", "jpeg", "live", "video", "jpeg", "raw", "live", "edited", "screenshot", "jpeg",
    "live", "heic", "jpeg", "raw", "live", "video", "edited", "heic", "jpeg", "jpeg",
)  # fmt: skip
_FAVORITE_SLOTS = frozenset({2, 9, 12})
_HIDDEN_SLOTS = frozenset({19})

NEWEST_MS = 1_780_000_000_000  # 2026-05-28: the newest asset's date, fixed for determinism
GAP_MS = 2 * 3600 * 1000  # assets are at most this far apart

_EXTENSION: dict[Kind, str] = {
    "jpeg": "JPG", "heic": "HEIC", "live": "HEIC", "raw": "DNG", "video": "MOV",
    "screenshot": "PNG", "edited": "JPG",
}  # fmt: skip


def slot(seed: int, index: int) -> int:
    return (index + seed) % PERIOD


def kind_of(seed: int, index: int) -> Kind:
    return _PATTERN[slot(seed, index)]


def is_favorite(seed: int, index: int) -> bool:
    return slot(seed, index) in _FAVORITE_SLOTS


def is_hidden(seed: int, index: int) -> bool:
    return slot(seed, index) in _HIDDEN_SLOTS


def slots_where(seed: int, predicate: set[int] | frozenset[int]) -> list[int]:
    """Offsets within one period (of indices, not slots) whose slot is in ``predicate``."""
    return sorted(j for j in range(PERIOD) if slot(seed, j) in predicate)


def kind_slots(*kinds: Kind) -> frozenset[int]:
    return frozenset(s for s, k in enumerate(_PATTERN) if k in kinds)


HIDDEN_SLOTS = _HIDDEN_SLOTS
FAVORITE_SLOTS = _FAVORITE_SLOTS - _HIDDEN_SLOTS
VISIBLE_SLOTS = frozenset(range(PERIOD)) - _HIDDEN_SLOTS


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=32).digest()


def _name_key(seed: int, zone: str) -> int:
    return int.from_bytes(_digest("name-key", seed, zone)[:8], "big")


@dataclass(frozen=True)
class AssetSpec:
    seed: int
    zone: str
    index: int
    kind: Kind
    filename: str
    asset_date_ms: int
    added_date_ms: int
    tz_offset_s: int
    favorite: bool
    hidden: bool
    master_name: str
    asset_name: str
    resources: tuple[ResourceSpec, ...]
    latitude: float
    longitude: float

    @property
    def master_resources(self) -> tuple[ResourceSpec, ...]:
        return tuple(r for r in self.resources if not r.on_asset)

    @property
    def asset_resources(self) -> tuple[ResourceSpec, ...]:
        return tuple(r for r in self.resources if r.on_asset)

    def resource(self, prefix: str) -> ResourceSpec | None:
        return next((r for r in self.resources if r.prefix == prefix), None)


def master_name(seed: int, zone: str, index: int) -> str:
    """28 characters of base64, like Apple's: a hash, then the index (recoverable)."""
    tail = (index ^ _name_key(seed, zone)).to_bytes(8, "big")
    raw = b"\x01" + _digest("master", seed, zone, index)[:12] + tail
    return base64.b64encode(raw).decode()


def asset_name(seed: int, zone: str, index: int) -> str:
    tail = (index ^ _name_key(seed, zone)).to_bytes(8, "big")
    return str(uuid.UUID(bytes=_digest("asset", seed, zone, index)[:8] + tail)).upper()


def index_of_name(seed: int, zone: str, name: str) -> int | None:
    """Recover ``i`` from a master or asset record name this generator made."""
    try:
        tail = base64.b64decode(name, validate=True)[-8:] if "-" not in name else None
        if tail is None:
            tail = uuid.UUID(name).bytes[-8:]
    except ValueError:
        return None
    if len(tail) != 8:
        return None
    index = int.from_bytes(tail, "big") ^ _name_key(seed, zone)
    if index >= 1 << 40:
        return None
    if name in (master_name(seed, zone, index), asset_name(seed, zone, index)):
        return index
    return None


def _size(base: int, spread: int, h: bytes, salt: int) -> int:
    return base + int.from_bytes(h[salt : salt + 3], "big") % spread


def _resources(kind: Kind, h: bytes) -> tuple[ResourceSpec, ...]:
    # Sizes are fixed up front (so listing never encodes an image); the served bytes
    # are padded to exactly these sizes. Each base leaves room for the real encoding.
    thumb = ResourceSpec("resJPEGThumb", "jpeg", 160, 120, _size(12_000, 4_000, h, 0))
    med = ResourceSpec("resJPEGMed", "jpeg", 320, 240, _size(30_000, 8_000, h, 3))
    if kind == "video":
        return (
            ResourceSpec("resOriginal", "mov", 320, 240, _size(400_000, 200_000, h, 6)),
            ResourceSpec("resVidMed", "mov", 320, 240, _size(150_000, 50_000, h, 9)),
            ResourceSpec("resVidSmall", "mov", 160, 120, _size(60_000, 20_000, h, 12)),
            med,
            thumb,
        )
    if kind == "screenshot":
        original = ResourceSpec("resOriginal", "png", 320, 640, _size(40_000, 8_000, h, 6))
    elif kind in ("heic", "live"):
        original = ResourceSpec("resOriginal", "heic", 640, 480, _size(50_000, 20_000, h, 6))
    elif kind == "raw":
        original = ResourceSpec("resOriginal", "dng", 640, 480, _size(300_000, 50_000, h, 6))
    else:
        original = ResourceSpec("resOriginal", "jpeg", 640, 480, _size(80_000, 20_000, h, 6))
    out = [original, med, thumb]
    if kind == "live":
        out.append(
            ResourceSpec("resOriginalVidCompl", "mov", 320, 240, _size(150_000, 60_000, h, 9))
        )
    if kind == "raw":
        out.append(ResourceSpec("resOriginalAlt", "jpeg", 640, 480, _size(80_000, 20_000, h, 9)))
    if kind == "edited":
        # The edit's renders live on the CPLAsset: full, and its own medium and thumbnail
        # (icloudpd download_autodelete_photos_part1.yml, 2023; the 2018
        # listing_photos_two_sizes.yml has full and thumbnail).
        out += [
            ResourceSpec("resJPEGFull", "jpeg", 640, 480, _size(80_000, 20_000, h, 12), True),
            ResourceSpec("resJPEGMedEdited", "jpeg", 320, 240, _size(30_000, 8_000, h, 15), True),
            ResourceSpec("resJPEGThumbEdited", "jpeg", 160, 120, _size(12_000, 4_000, h, 18), True),
        ]
    return tuple(out)


@lru_cache(maxsize=4096)
def asset(seed: int, zone: str, index: int) -> AssetSpec:
    """The asset at ``index`` (0 = newest) of the library ``(seed, zone)``."""
    h = _digest("asset-spec", seed, zone, index)
    kind = kind_of(seed, index)
    number = (seed * 7919 + index) % 9999 + 1
    jitter = int.from_bytes(h[16:20], "big") % GAP_MS
    asset_date = NEWEST_MS - index * GAP_MS - jitter
    lat, lon = struct.unpack(">HH", h[20:24])
    return AssetSpec(
        seed=seed,
        zone=zone,
        index=index,
        kind=kind,
        filename=f"IMG_{number:04d}.{_EXTENSION[kind]}",
        asset_date_ms=asset_date,
        added_date_ms=asset_date + 1000 + int.from_bytes(h[24:26], "big") % 60_000,
        tz_offset_s=[0, 3600, -18000, 19800, 32400][h[26] % 5],
        favorite=is_favorite(seed, index),
        hidden=is_hidden(seed, index),
        master_name=master_name(seed, zone, index),
        asset_name=asset_name(seed, zone, index),
        resources=_resources(kind, h),
        latitude=round(lat / 65535 * 140 - 70, 6),
        longitude=round(lon / 65535 * 340 - 170, 6),
    )
