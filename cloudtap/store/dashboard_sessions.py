"""Dashboard sessions kept on the server: opened at sign-in, ended by sign-out, by the
key's rotation or deactivation, or by time.

The browser holds only a random session id (signed by the dashboard); the table holds
its SHA-256. A session whose row is gone is over for good, whatever the browser kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import utcnow
from cloudtap.store.models import DashboardSession, Key


@dataclass(frozen=True)
class OpenedSession:
    # The only time the id exists in clear: it goes into the cookie, never the database.
    session_id: str
    row: DashboardSession


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(
    db: DbSession, key: Key, lifetime: timedelta, csrf: str | None = None
) -> OpenedSession:
    """A new session for ``key``; ``csrf`` carries a page's form token over (rotation)."""
    now = utcnow()
    db.execute(delete(DashboardSession).where(DashboardSession.date_expires <= now))
    session_id = secrets.token_urlsafe(32)
    row = DashboardSession(
        id_hash=_hash(session_id),
        key_id=key.id,
        organisation_id=key.organisation_id,
        environment=key.environment,
        csrf=csrf or secrets.token_urlsafe(24),
        date_created=now,
        date_expires=now + lifetime,
    )
    db.add(row)
    db.flush()
    return OpenedSession(session_id, row)


def find_session(db: DbSession, session_id: str) -> DashboardSession | None:
    """The live session named by ``session_id``, or None (unknown, ended or expired)."""
    row = db.scalars(
        select(DashboardSession).where(DashboardSession.id_hash == _hash(session_id))
    ).first()
    if row is None or row.date_expires <= utcnow():
        return None
    return row


def end_session(db: DbSession, session_id: str) -> None:
    db.execute(delete(DashboardSession).where(DashboardSession.id_hash == _hash(session_id)))


def end_sessions_of_key(db: DbSession, key_id: str) -> None:
    """Every dashboard session signed in with this key ends (rotation, deactivation)."""
    db.execute(delete(DashboardSession).where(DashboardSession.key_id == key_id))
