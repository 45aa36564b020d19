"""The Apple state of an API key's live session, for ``cloudtap capture --session``:
read on the server (its database and master key), used in this process only, never
written anywhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.icloud.errors import SessionExpired
from cloudtap.jobs.session_state import open_session_state
from cloudtap.store.db import transaction
from cloudtap.store.models import Session


class SessionNotCapturable(Exception):
    """No such session, or it is not active (the message says which)."""


def live_session_state(settings: Settings, session_id: str) -> tuple[dict[str, Any], str]:
    """The session's Apple state and its key's environment (``sandbox``/``production``)."""
    with transaction(settings.database_url) as db:
        session = db.scalar(select(Session).where(Session.id == session_id))
        if session is None:
            raise SessionNotCapturable(f"no session {session_id!r}")
        if session.state != "active":
            raise SessionNotCapturable(f"session {session_id!r} is {session.state}, not active")
        try:
            return open_session_state(settings, session), session.environment
        except SessionExpired as exc:
            raise SessionNotCapturable(f"session {session_id!r} holds no Apple state") from exc
