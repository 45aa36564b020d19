"""Appending to a poll's ``errors`` list safely while several workers fail its tasks.

A read-append-write of the JSON column loses entries when two workers interleave, so
each append is a conditional UPDATE that only applies if the list is still the one it
was built from (compared as stored text, which works for JSON on SQLite and
PostgreSQL alike), retried on a lost race.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, cast, select, update
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import Poll

# Each lost race means another worker's append landed: this many workers at once.
MAX_ATTEMPTS = 1000


class PollErrorsContended(RuntimeError):
    pass


def append_poll_error(db: DbSession, poll_id: str, entry: dict[str, Any]) -> bool:
    """Add ``entry`` to the poll's errors in this unit of work; False if the poll is gone."""
    stored_text = cast(Poll.errors, Text)
    for _ in range(MAX_ATTEMPTS):
        row = db.execute(select(stored_text).where(Poll.id == poll_id)).first()
        if row is None:
            return False
        current: str | None = row[0]
        errors = json.loads(current) if current else None
        unchanged = stored_text.is_(None) if current is None else stored_text == current
        changed = db.execute(
            update(Poll)
            .where(Poll.id == poll_id, unchanged)
            .values(errors=[*(errors or []), entry])
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) == 1:
            return True
    raise PollErrorsContended(f"could not record an error on poll {poll_id}")
