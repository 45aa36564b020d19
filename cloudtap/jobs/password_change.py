"""Why a source's earlier sessions ended, learnt from a later login's refusal.

Apple answers an old password exactly as a wrong one, and ends every session when the
owner changes it [assumed: no capture shows the change itself]. So when a login of a
source that was active before is refused its password, the source's active sessions are
checked with Apple: those it refuses too ended with the password, and expire with reason
``password-changed``; a typo leaves them working and untouched. A login refused because
Apple locked the account (``account-locked``) likewise expires those Apple refuses with
reason ``locked``.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.icloud.errors import ICloudError, SessionExpired
from cloudtap.jobs.connectors import connector_for
from cloudtap.jobs.session_state import expire_session, open_session_state
from cloudtap.store.db import transaction
from cloudtap.store.models import Session

log = logging.getLogger(__name__)
REASON = "password-changed"
# The login error that tells why Apple refuses the source's other sessions.
REASONS = {"invalid-credentials": REASON, "account-locked": "locked"}


def _refused(environment: str, source_type: str, state: dict[str, object]) -> bool:
    connector = connector_for(environment, source_type)
    try:
        asyncio.run(connector.validate(dict(state)))
    except SessionExpired:
        return True
    except ICloudError as exc:
        return exc.code == "session-expired"
    return False


def sessions_refused_with_password(settings: Settings, source_id: str, login_id: str) -> list[str]:
    """The source's other active sessions that Apple no longer accepts (Apple is called
    outside any transaction)."""
    with transaction(settings.database_url) as db:
        rows = db.scalars(
            select(Session).where(
                Session.source_id == source_id, Session.state == "active", Session.id != login_id
            )
        ).all()
        states = []
        for row in rows:
            try:
                states.append((row.id, row.environment, open_session_state(settings, row)))
            except SessionExpired:
                states.append((row.id, row.environment, {}))
    source_type = "icloud.account"
    refused = []
    for session_id, environment, state in states:
        try:
            if not state or _refused(environment, str(state.get("mock") or source_type), state):
                refused.append(session_id)
        except Exception as exc:  # a check that cannot run proves nothing
            log.info("could not check session %s: %s", session_id, type(exc).__name__)
    return refused


def expire_with_password(db: DbSession, session_ids: list[str], reason: str = REASON) -> int:
    """Expire the sessions the password change (or lock) ended (each announced once)."""
    expired = 0
    for session_id in session_ids:
        session = db.scalars(select(Session).where(Session.id == session_id)).first()
        if session is not None and session.state == "active":
            expire_session(db, session, reason)
            expired += 1
    return expired
