"""Limits on what one key may have in flight: open polls and logins in progress.

A key at its limit gets 429 ``too-many-polls`` / ``too-many-sessions`` naming the limit;
it may retry once some finish. The count is read in the creating transaction, so two
racing creates may both pass by one: a soft ceiling against floods, not an exact quota.
"""

from __future__ import annotations

import os

from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.store.in_flight import open_polls, pending_sessions

DEFAULT_OPEN_POLLS = 100
DEFAULT_PENDING_SESSIONS = 20


def _limit(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def check_open_polls(db: DbSession, caller: Caller) -> None:
    limit = _limit("CLOUDTAP_MAX_OPEN_POLLS_PER_KEY", DEFAULT_OPEN_POLLS)
    if limit > 0 and open_polls(db, caller.key_id) >= limit:
        raise ApiError(
            429,
            "too-many-polls",
            f"This key already has {limit} polls pending or processing; retry once some finish.",
            {"limit": limit},
        )


def check_pending_sessions(db: DbSession, caller: Caller) -> None:
    limit = _limit("CLOUDTAP_MAX_PENDING_SESSIONS_PER_KEY", DEFAULT_PENDING_SESSIONS)
    if limit > 0 and pending_sessions(db, caller.key_id) >= limit:
        raise ApiError(
            429,
            "too-many-sessions",
            f"This key already has {limit} logins in progress; retry once some finish.",
            {"limit": limit},
        )
