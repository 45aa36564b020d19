"""A session's Apple state as jobs use it: opened from its sealed form, or the session
marked expired (and announced) when there is none left to use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.icloud.errors import SessionExpired
from cloudtap.jobs.session_horizon import reason_for_refusal
from cloudtap.jobs.vault import open_state, session_context
from cloudtap.publish.events import emit
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Session
from cloudtap.wire.sessions import serialize_session


def open_session_state(settings: Settings, session: Session) -> dict[str, Any]:
    """The session's Apple state, unsealed; :class:`SessionExpired` if it holds none."""
    state = open_state(
        settings, session_context(session.id), session.state_key_id, session.state_sealed
    )
    if state is None:
        raise SessionExpired("the session holds no Apple state")
    return dict(state)


def expire_session(db: DbSession, session: Session, reason: str | None = None) -> None:
    """Mark the session expired, drop its Apple state and announce it (once), with
    ``error_info.reason`` (see :func:`reason_for_refusal` when the caller knows none)."""
    if session.state == "expired":
        return
    session.state, session.error, session.date_expired = "expired", "session-expired", utcnow()
    session.error_info = {"reason": reason or reason_for_refusal(session)}
    session.state_sealed = session.state_key_id = None
    data = serialize_session(db, session)
    emit(db, session.organisation_id, session.key_id, "session", "expired", data)
