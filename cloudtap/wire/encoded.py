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
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import Result, Task

# Bounded by size: this process's memory matters more than a miss (bench ``rss-100k``).
_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class EncodedJson:
    """Already-encoded JSON; ``cloudtap.api.common.json_response`` embeds it verbatim."""

    data: bytes
    items: int  # how many items the encoded list holds
    # False when its links depend on more than the cache key says (a storage config's
    # settings, presigned URLs timed to the second): whole answers holding it are not kept.
    keepable: bool = True


# (poll, links) -> (the fingerprint it was built at, the encoded list): one entry per
# poll and links, so a list superseded by a new result is dropped, not left to age out.
_cache: OrderedDict[Hashable, tuple[tuple[Any, ...], EncodedJson]] = OrderedDict()
_cached_bytes = 0
_lock = threading.Lock()


# Built once, bound per read (every read of a poll asks these; building costs more).
# What a poll's kept result list is checked against: its results' count, first and last
# row, how many are consumed, and how many live in a storage config (then never kept).
_AGGREGATE = (
    func.count(),
    func.min(Result.pk),
    func.max(Result.pk),
    func.sum(case((Result.state == "consumed", 1), else_=0)),
    func.count(Result.storage_config_id),
)
_LISTED = Result.state != "expired"
_RESULTS_AGGREGATE = select(*_AGGREGATE).where(Result.poll_id == bindparam("poll"), _LISTED)
# The same for a page of polls at once, one row per poll that has results.
_PAGE_RESULTS_AGGREGATE = (
    select(Result.poll_id, *_AGGREGATE)
    .where(Result.poll_id.in_(bindparam("polls", expanding=True)), _LISTED)
    .group_by(Result.poll_id)
)
_NO_RESULTS = (0, None, None, None)  # the fingerprint of a poll without results
_TASKS_AGGREGATE = select(
    func.count(), func.max(Task.pk), func.group_concat(Task.state, ",")
).where(Task.poll_id == bindparam("poll"))
_TASK_ROWS = (
    select(Task.pk, Task.id, Task.state).where(Task.poll_id == bindparam("poll")).order_by(Task.pk)
)


def _as_fingerprint(
    count: int, first: int | None, last: int | None, consumed: int | None, with_config: int
) -> tuple[Any, ...] | None:
    """The aggregate as a fingerprint, or None when a result has a storage config."""
    return None if with_config else (count, first, last, consumed)


def _fingerprint(db: DbSession, poll_id: str) -> tuple[Any, ...] | None:
    return _as_fingerprint(*db.execute(_RESULTS_AGGREGATE, {"poll": poll_id}).one())


def _kept(key: Hashable, fingerprint: tuple[Any, ...] | None) -> EncodedJson | None:
    """The list kept under ``key`` if it was built at ``fingerprint``."""
    if fingerprint is None:
        return None
    with _lock:
        hit = _cache.get(key)
        if hit is None or hit[0] != fingerprint:
            return None
        _cache.move_to_end(key)
        return hit[1]


def _encoded(key: Hashable, fingerprint: tuple[Any, ...] | None, items: list[Any]) -> EncodedJson:
    """``items`` encoded, and kept under ``key`` when it may be (and is not too big)."""
    encoded = EncodedJson(orjson.dumps(items), len(items), keepable=fingerprint is not None)
    if fingerprint is not None and len(encoded.data) <= _MAX_BYTES // 4:
        _keep(key, fingerprint, encoded)
    return encoded


def encoded_results(
    db: DbSession, poll_id: str, links_key: Hashable, build: Callable[[], list[Any]]
) -> EncodedJson:
    """The poll's result list (``build()``) encoded, from the cache while it still holds."""
    fingerprint = _fingerprint(db, poll_id)
    key = (poll_id, links_key)
    hit = _kept(key, fingerprint)
    return hit if hit is not None else _encoded(key, fingerprint, build())


def encoded_page_results(
    db: DbSession,
    poll_ids: list[str],
    links_key: Hashable,
    build: Callable[[list[str]], dict[str, list[Any]]],
) -> dict[str, EncodedJson]:
    """``encoded_results`` for a page of polls: their fingerprints in one query, and
    ``build(poll_ids)`` (their result lists, by poll) asked only for the polls not kept.
    A page of files polls lists every result of each; read again, it costs the
    aggregate, not hundreds of signed links."""
    fingerprints: dict[str, tuple[Any, ...] | None] = dict.fromkeys(poll_ids, _NO_RESULTS)
    rows = db.connection().execute(_PAGE_RESULTS_AGGREGATE, {"polls": poll_ids})
    for poll_id, *aggregate in rows:
        fingerprints[poll_id] = _as_fingerprint(*aggregate)
    found: dict[str, EncodedJson] = {}
    for poll_id in poll_ids:
        hit = _kept((poll_id, links_key), fingerprints[poll_id])
        if hit is not None:
            found[poll_id] = hit
    missing = [poll_id for poll_id in poll_ids if poll_id not in found]
    built = build(missing) if missing else {}
    for poll_id in missing:
        key = (poll_id, links_key)
        found[poll_id] = _encoded(key, fingerprints[poll_id], built.get(poll_id, []))
    return found


def cached_bytes() -> int:
    return _cached_bytes


def _keep(key: Hashable, fingerprint: tuple[Any, ...], encoded: EncodedJson) -> None:
    global _cached_bytes
    with _lock:
        old = _cache.pop(key, None)
        _cached_bytes -= len(old[1].data) if old is not None else 0
        _cache[key] = (fingerprint, encoded)
        _cached_bytes += len(encoded.data)
        while _cached_bytes > _MAX_BYTES:
            _, (_, dropped) = _cache.popitem(last=False)
            _cached_bytes -= len(dropped.data)


TASK_STATES = ("pending", "processing", "succeeded", "failed", "suspended")
_tasks: OrderedDict[str, tuple[tuple[Any, ...], dict[str, list[str]]]] = OrderedDict()
_MAX_TASK_POLLS = 32


def tasks_by_state(db: DbSession, poll_id: str) -> dict[str, list[str]]:
    """The poll's task ids by state, in creation order. Ids never change and new tasks
    come last, so (count, last pk, every state in order) says whether a kept answer
    holds; SQLite builds that string in C, far cheaper than rows of ids. Kept answers
    are keyed by what their own rows give, so a change between the two reads is a miss."""
    sqlite = db.get_bind().dialect.name == "sqlite"  # group_concat is SQLite's
    if sqlite:
        fingerprint = tuple(db.execute(_TASKS_AGGREGATE, {"poll": poll_id}).one())
        with _lock:
            kept = _tasks.get(poll_id)
            if kept is not None and kept[0] == fingerprint:
                return {state: list(ids) for state, ids in kept[1].items()}
    rows = db.execute(_TASK_ROWS, {"poll": poll_id}).all()
    by_state: dict[str, list[str]] = {state: [] for state in TASK_STATES}
    for _pk, task_id, state in rows:
        by_state.setdefault(state, []).append(task_id)
    if sqlite:
        own = (len(rows), rows[-1][0] if rows else None, ",".join(r[2] for r in rows) or None)
        with _lock:
            _tasks[poll_id] = (own, by_state)
            _tasks.move_to_end(poll_id)
            while len(_tasks) > _MAX_TASK_POLLS:
                _tasks.popitem(last=False)
    return {state: list(ids) for state, ids in by_state.items()}
