"""Kept list counts: an unfiltered list's ``total_count`` costs the rows added since it was
last counted, not every row the organisation ever made.

Every ``GET /events`` and ``GET /polls`` answers with ``total_count``. Counted in full, its
cost grows with the organisation's history: 47,000 events made a count take 4 ms of CPU
per request (``bench/api_calls_in_process.py --history 300``), a year of a busy service
would make it hundreds. A kept count says "``count`` rows of this list have a primary key
up to ``upto_pk``"; the next request counts only the rows above it (a primary-key range)
and adds.

That is exact only where a row committed later never has a smaller primary key than one
already seen: SQLite, whose one writer at a time takes ``max(pk) + 1``. On PostgreSQL a
sequence hands out keys before their transactions commit, in any order, so its lists
are counted in full. Deleting rows breaks the sum too: every delete from a watched
table (and the keys and tasks/polls a row's environment is found through) adds to
``list_deletions.deleted`` (a trigger, so other processes' deletes count), and a count
kept at another value is counted again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Select, bindparam, func, select
from sqlalchemy.sql.elements import BindParameter

from cloudtap.store.models import Base, Event, ListDeletions, Poll, Result, Task

# The tables whose lists grow with everything an organisation ever polled.
KEPT_MODELS: frozenset[type[Base]] = frozenset({Poll, Task, Result, Event})
MAX_KEPT = 4096  # lists (organisation, environment, table): bounded, least recent go

_SINCE_PK: BindParameter[int] = bindparam("kept_since_pk", type_=Integer)
_DELETED = select(ListDeletions.deleted).where(ListDeletions.pk == 1).scalar_subquery()


@dataclass(frozen=True)
class KeptCount:
    deleted: int | None
    upto_pk: int
    count: int


@dataclass(frozen=True)
class CountStatements:
    """``full``: (rows, their largest pk, deletions so far); ``since``: the same over
    the rows above ``kept_since_pk``. One statement each, so one snapshot each."""

    full: Select[Any]
    since: Select[Any]


def count_statements(model: type[Base], conditions: list[Any]) -> CountStatements:
    column: Any = model
    counted = select(func.count(), func.max(column.pk), _DELETED).select_from(model)
    return CountStatements(
        full=counted.where(*conditions),
        since=counted.where(column.pk > _SINCE_PK, *conditions),
    )


_KEPT: OrderedDict[Hashable, KeptCount] = OrderedDict()
_LOCK = threading.Lock()


def _kept(key: Hashable) -> KeptCount | None:
    with _LOCK:
        found = _KEPT.get(key)
        if found is not None:
            _KEPT.move_to_end(key)
        return found


def _keep(key: Hashable, kept: KeptCount) -> None:
    with _LOCK:
        _KEPT[key] = kept
        _KEPT.move_to_end(key)
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)


def kept_total(
    connection: Connection,
    statements: CountStatements,
    values: Mapping[str, Any],
    key: Hashable,
) -> int:
    """The list's row count (SQLite only, see above), from its kept count when no row was
    deleted since; ``key`` names the list (its table, organisation and environment)."""
    kept = _kept(key)
    if kept is not None:
        since = {**values, "kept_since_pk": kept.upto_pk}
        added, upto, deleted = connection.execute(statements.since, since).one()
        if deleted == kept.deleted:
            if added:
                _keep(key, KeptCount(deleted, int(upto), kept.count + int(added)))
            return kept.count + int(added)
    count, upto, deleted = connection.execute(statements.full, values).one()
    _keep(key, KeptCount(deleted, int(upto or 0), int(count)))
    return int(count)


def forget_kept_counts() -> None:
    """Drop every kept count (tests; a database replaced under a running process)."""
    with _LOCK:
        _KEPT.clear()


def kept_counts() -> int:
    with _LOCK:
        return len(_KEPT)
