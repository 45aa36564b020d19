"""Reading and writing listing cursors (one per source and data type)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import utcnow
from cloudtap.store.models import ListingCursor


def find_cursor(db: DbSession, source_id: str, data_type: str) -> ListingCursor | None:
    return db.scalars(
        select(ListingCursor).where(
            ListingCursor.source_id == source_id, ListingCursor.data_type == data_type
        )
    ).first()


def put_cursor(
    db: DbSession, source_id: str, data_type: str, key_id: str, blob: bytes, as_of: datetime
) -> None:
    """Keep the newer of the stored cursor and this one (listings may finish out of order)."""
    row = find_cursor(db, source_id, data_type)
    if row is None:
        db.add(
            ListingCursor(
                source_id=source_id,
                data_type=data_type,
                cursor_sealed=blob,
                cursor_key_id=key_id,
                as_of=as_of,
            )
        )
        return
    if row.as_of <= as_of:
        row.cursor_sealed, row.cursor_key_id = blob, key_id
        row.as_of, row.date_updated = as_of, utcnow()
