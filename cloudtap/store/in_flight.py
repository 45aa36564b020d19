"""Counting what one key has in flight (open polls, logins in progress) for the API's
per-key limits, from partial indexes of the open ones (migration 0014)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import (
    OPEN_POLL_STATES,
    PENDING_SESSION_STATES,
    Poll,
    Session,
    states_in,
)


def in_flight_statement(model: type[Poll] | type[Session], states: tuple[str, ...]) -> Any:
    """Counts a key's (``key_id``) objects in ``states``. The states are written into the
    SQL as the partial index of open objects names them, which is what lets SQLite count
    from that index alone: bound values could be any states, for all it knows."""
    return select(func.count()).where(model.key_id == bindparam("key_id"), text(states_in(states)))


_OPEN_POLLS = in_flight_statement(Poll, OPEN_POLL_STATES)
_PENDING_SESSIONS = in_flight_statement(Session, PENDING_SESSION_STATES)


def open_polls(db: DbSession, key_id: str) -> int:
    return int(db.scalar(_OPEN_POLLS, {"key_id": key_id}) or 0)


def pending_sessions(db: DbSession, key_id: str) -> int:
    return int(db.scalar(_PENDING_SESSIONS, {"key_id": key_id}) or 0)
