"""``result`` objects."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, select

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Result

# A result as an ORM object, or as a plain row of ``RESULT_COLUMNS`` (many times cheaper
# to load when a poll lists hundreds of results); both read the same attributes.
ResultFields = Result | Row[Any]

# Makes a result's ``signed_url`` ({url, date_expires}) or None. Links are bound to the
# request's base URL, so only the API has one; event payloads carry none.
Signer = Callable[[Any], dict[str, Any] | None]

RESULT_COLUMNS = (
    Result.id,
    Result.organisation_id,
    Result.poll_id,
    Result.task_id,
    Result.identifier,
    Result.type,
    Result.url,
    Result.size,
    Result.checksum,
    Result.state,
    Result.date_created,
    Result.date_expires,
    Result.incremental,
    Result.changes_since,
    # What signing a link needs.
    Result.storage,
    Result.storage_config_id,
    Result.location,
)


def select_result_rows() -> Select[Any]:
    """Results as plain rows that ``serialize_result`` and a ``Signer`` accept."""
    query: Select[Any] = select(*RESULT_COLUMNS)  # type: ignore[assignment]
    return query


# A poll's GET formats two dates per result, the same ones on every read.
cached_isoformat = lru_cache(maxsize=65536)(isoformat)


def serialize_result(row: ResultFields, sign: Signer | None = None) -> dict[str, Any]:
    signed = sign(row) if sign is not None and row.state == "available" else None
    return {
        "id": row.id,
        "resource": "result",
        "organisation": row.organisation_id,
        "poll": row.poll_id,
        "task": row.task_id,
        "identifier": row.identifier,
        "type": row.type,
        "url": row.url,
        "signed_url": signed,
        "size": row.size,
        "checksum": row.checksum,
        "state": row.state,
        "date_created": cached_isoformat(row.date_created),
        "date_expires": cached_isoformat(row.date_expires),
        # Data types only: replace (a full listing) or merge (changes since a point).
        "incremental": row.incremental,
        "changes_since": cached_isoformat(row.changes_since),
    }
