"""Per-item random generators and the sandbox's notion of "today"."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, time


def item_rng(seed: int, kind: str, index: int) -> random.Random:
    """A generator that depends only on (seed, kind, index): the heart of determinism."""
    digest = hashlib.blake2b(f"{seed}:{kind}:{index}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def item_uuid(seed: int, kind: str, index: int) -> str:
    """A stable upper-case UUID for one item (Apple's GUIDs are upper-case)."""
    digest = hashlib.blake2b(f"uuid:{seed}:{kind}:{index}".encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4)).upper()


def short_id(seed: int, kind: str, index: int, length: int = 16) -> str:
    digest = hashlib.blake2b(f"id:{seed}:{kind}:{index}".encode(), digest_size=16).hexdigest()
    return digest[:length]


def today() -> date:
    """The sandbox's day (UTC). Content is anchored to it so it stays relative to now."""
    return datetime.now(UTC).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def spread(index: int, count: int, start: datetime, end: datetime, rng: random.Random) -> datetime:
    """Place item ``index`` of ``count`` in its own slot of [start, end), jittered inside it.

    Slots keep items in index order by time, so a date range maps to an index range
    without scanning every item.
    """
    slot = (end - start) / max(count, 1)
    return start + slot * index + slot * rng.random()


def index_range_for(
    count: int, start: datetime, end: datetime, lo: datetime, hi: datetime
) -> range:
    """Indexes whose slot (see ``spread``) can overlap [lo, hi)."""
    if count <= 0 or hi <= start or lo >= end:
        return range(0)
    slot = (end - start) / count
    first = max(0, int((lo - start) / slot))
    last = min(count, int((hi - start) / slot) + 1)
    return range(first, last)
