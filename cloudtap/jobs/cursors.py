"""Listing cursors between polls: what makes a repeated incremental poll cheap.

After a data type's listing finishes, the client's resume cursor (CloudKit sync tokens)
is kept sealed per source and data type, stamped with when that listing started. A
later poll of the same source and data type resumes from it only when its ``since`` is
at or after that moment: then every item it asks for changed after the cursor was
taken, so the change feed holds all of them and the full listing can be skipped.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.crypto.sealing import SealError
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.jobs.vault import open_state, seal_state
from cloudtap.store.cursors import find_cursor, put_cursor
from cloudtap.store.db import transaction

log = logging.getLogger(__name__)


@dataclass
class Resume:
    """The cursor handed to a listing, and the one it left once read to the end."""

    given: JSONDict | None = None
    left: JSONDict | None = None
    key: str = ""  # where ``left`` is kept (cursor_key); empty: the data type itself
    # When the listing that left ``given`` started: what an incremental result follows.
    given_as_of: datetime | None = None


def cursor_key(data_type: str, filters: Filters) -> str:
    """Where a listing's cursor is kept: per data type, and per set of albums for a
    listing limited to albums (its cursor holds their members, not the library's tokens).
    """
    if not filters.albums:
        return data_type
    digest = hashlib.sha256("\n".join(sorted(set(filters.albums))).encode()).hexdigest()
    return f"{data_type}#albums:{digest[:32]}"


def _context(source_id: str, data_type: str) -> str:
    return f"listing-cursor:{source_id}:{data_type}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def usable_cursor(
    settings: Settings, db: DbSession, source_id: str, data_type: str, filters: Filters
) -> Resume:
    """The source's kept cursor for ``data_type`` if this listing may start from it
    (cursors belong to the source, so a new session of the same source resumes too)."""
    key = cursor_key(data_type, filters)
    if filters.since is None:
        return Resume(key=key)  # without `since` the caller wants everything, not changes
    data_type = key
    row = find_cursor(db, source_id, data_type)
    if row is None or _aware(filters.since) < _aware(row.as_of):
        return Resume(key=key)
    try:
        cursor = open_state(
            settings, _context(source_id, data_type), row.cursor_key_id, row.cursor_sealed
        )
    except SealError:
        log.warning("listing cursor of source %s is unreadable; listing afresh", source_id)
        return Resume(key=key)
    if not isinstance(cursor, dict):
        return Resume(key=key)
    return Resume(given=dict(cursor), given_as_of=row.as_of, key=key)


def keep_cursor(
    settings: Settings, source_id: str, data_type: str, cursor: JSONDict, as_of: datetime
) -> None:
    """Store the cursor in a transaction of its own: losing it only costs a full listing."""
    sealed = seal_state(settings, _context(source_id, data_type), cursor)
    try:
        with transaction(settings.database_url) as db:
            put_cursor(db, source_id, data_type, sealed.key_id, sealed.blob, as_of)
    except IntegrityError:
        pass  # a concurrent listing of the same source and data type stored its own
