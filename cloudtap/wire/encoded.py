"""JSON encoded once and embedded as is in later answers.

A poll's GET lists every result (632 for a 500-photo files poll), each with a signed
link: encoding them costs far more than the rest of the request. ``EncodedResults``
keeps a poll's encoded result list while a cheap aggregate over its results (their
count, first and last row, how many are consumed) stays the same: a result is only
ever added (``pk`` grows), consumed or expired (it leaves the list), and those change
the aggregate. Links are part of the key (base URL, expiry minute), and polls whose
results live in a tenant's storage config are never kept, since that config decides
whether links exist at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import Result

# Bounded by size: this process's memory matters more than a miss (bench ``rss-100k``).
_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class EncodedJson:
    """Already-encoded JSON; ``cloudtap.api.common.json_response`` embeds it verbatim."""

    data: bytes
    items: int  # how many items the encoded list holds


_cache: OrderedDict[Hashable, EncodedJson] = OrderedDict()
_cached_bytes = 0
_lock = threading.Lock()


def _fingerprint(db: DbSession, poll_id: str) -> tuple[Any, ...] | None:
    """The aggregate above, or None when a result has a storage config (not kept)."""
    row = db.execute(
        select(
            func.count(),
            func.min(Result.pk),
            func.max(Result.pk),
            func.sum(case((Result.state == "consumed", 1), else_=0)),
            func.count(Result.storage_config_id),
        ).where(Result.poll_id == poll_id, Result.state != "expired")
    ).one()
    count, first, last, consumed, with_config = row
    if with_config:
        return None
    return (count, first, last, consumed)


def encoded_results(
    db: DbSession, poll_id: str, links_key: Hashable, build: Callable[[], list[Any]]
) -> EncodedJson:
    """The poll's result list (``build()``) encoded, from the cache while it still holds."""
    fingerprint = _fingerprint(db, poll_id)
    key = (poll_id, fingerprint, links_key)
    if fingerprint is not None:
        with _lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return hit
    items = build()
    encoded = EncodedJson(orjson.dumps(items), len(items))
    if fingerprint is not None and len(encoded.data) <= _MAX_BYTES // 4:
        _keep(key, encoded)
    return encoded


def _keep(key: Hashable, encoded: EncodedJson) -> None:
    global _cached_bytes
    with _lock:
        old = _cache.pop(key, None)
        _cached_bytes -= len(old.data) if old is not None else 0
        _cache[key] = encoded
        _cached_bytes += len(encoded.data)
        while _cached_bytes > _MAX_BYTES:
            _, dropped = _cache.popitem(last=False)
            _cached_bytes -= len(dropped.data)
