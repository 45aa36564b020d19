"""Limits on what one key may have in flight: open polls and logins in progress.

A key at its limit gets 429 ``too-many-polls`` / ``too-many-sessions`` naming the limit;
it may retry once some finish. The count is read in the creating transaction, so two
racing creates may both pass by one: a soft ceiling against floods, not an exact quota.
"""

from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.store.models import Poll, Session

DEFAULT_OPEN_POLLS = 100
DEFAULT_PENDING_SESSIONS = 20


def _limit(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _in_flight(
    db: DbSession, model: type[Poll] | type[Session], key_id: str, states: tuple[str, ...]
) -> int:
    query = select(func.count()).where(model.key_id == key_id, model.state.in_(states))
    return int(db.scalar(query) or 0)


def check_open_polls(db: DbSession, caller: Caller) -> None:
    limit = _limit("CLOUDTAP_MAX_OPEN_POLLS_PER_KEY", DEFAULT_OPEN_POLLS)
    if limit > 0 and _in_flight(db, Poll, caller.key_id, ("pending", "processing")) >= limit:
        raise ApiError(
            429,
            "too-many-polls",
            f"This key already has {limit} polls pending or processing; retry once some finish.",
            {"limit": limit},
        )


def check_pending_sessions(db: DbSession, caller: Caller) -> None:
    limit = _limit("CLOUDTAP_MAX_PENDING_SESSIONS_PER_KEY", DEFAULT_PENDING_SESSIONS)
    if limit > 0 and _in_flight(db, Session, caller.key_id, ("pending",)) >= limit:
        raise ApiError(
            429,
            "too-many-sessions",
            f"This key already has {limit} logins in progress; retry once some finish.",
            {"limit": limit},
        )
