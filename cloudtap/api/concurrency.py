"""Limits on what one key may have in flight: open polls and logins in progress.

A key at its limit gets 429 ``too-many-polls`` / ``too-many-sessions`` naming the limit;
it may retry once some finish. The count is read in the creating transaction, so two
racing creates may both pass by one: a soft ceiling against floods, not an exact quota.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.store.models import OPEN_POLL_STATES, PENDING_SESSION_STATES, Poll, Session

DEFAULT_OPEN_POLLS = 100
DEFAULT_PENDING_SESSIONS = 20


def _limit(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def in_flight_statement(model: type[Poll] | type[Session], states: tuple[str, ...]) -> Any:
    """Counts a key's (``key_id``) objects in ``states``. The states are written into the
    SQL as the partial index of open objects names them (``OPEN_POLLS``,
    ``PENDING_SESSIONS``), which is what lets SQLite count from that index alone: bound
    values could be any states, for all it knows."""
    listed = ", ".join(f"'{state}'" for state in states)
    return select(func.count()).where(
        model.key_id == bindparam("key_id"), text(f"{model.__tablename__}.state IN ({listed})")
    )


_OPEN_POLLS = in_flight_statement(Poll, OPEN_POLL_STATES)
_PENDING_SESSIONS = in_flight_statement(Session, PENDING_SESSION_STATES)


def _in_flight(db: DbSession, statement: Any, key_id: str) -> int:
    return int(db.scalar(statement, {"key_id": key_id}) or 0)


def check_open_polls(db: DbSession, caller: Caller) -> None:
    limit = _limit("CLOUDTAP_MAX_OPEN_POLLS_PER_KEY", DEFAULT_OPEN_POLLS)
    if limit > 0 and _in_flight(db, _OPEN_POLLS, caller.key_id) >= limit:
        raise ApiError(
            429,
            "too-many-polls",
            f"This key already has {limit} polls pending or processing; retry once some finish.",
            {"limit": limit},
        )


def check_pending_sessions(db: DbSession, caller: Caller) -> None:
    limit = _limit("CLOUDTAP_MAX_PENDING_SESSIONS_PER_KEY", DEFAULT_PENDING_SESSIONS)
    if limit > 0 and _in_flight(db, _PENDING_SESSIONS, caller.key_id) >= limit:
        raise ApiError(
            429,
            "too-many-sessions",
            f"This key already has {limit} logins in progress; retry once some finish.",
            {"limit": limit},
        )
