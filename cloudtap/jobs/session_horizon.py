"""A session's horizon: when its trust ends, announced ahead and when it comes.

At login the session's ``date_expires`` is set from what Apple said (the trust cookie's
expiry, :mod:`cloudtap.icloud.auth.trust_horizon`) or, where it said nothing, from the
documented estimate (icloudpd's docs: trust lasts "currently two months"), marked
``expires_estimated``. The lease sweeper then calls :func:`sweep_session_horizons`:

- ``session.expiring`` once, ``session_expiring_days`` before ``date_expires``;
- at ``date_expires`` an estimated horizon is only a guess, so the session stays active
  until Apple refuses it; Apple's own horizon expires it with reason ``trust-ended``.

Each step is a conditional UPDATE, so sweepers on many workers announce each once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.publish.events import emit
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Session
from cloudtap.wire.sessions import serialize_session

log = logging.getLogger(__name__)

# icloudpd's docs: Apple's trust lasts "currently two months" (see docs/sessions.md).
ESTIMATED_TRUST = timedelta(days=60)
_BATCH = 200


def set_horizon(session: Session, trust_expires: float | None) -> None:
    """Set ``date_expires`` for a session that just became active."""
    if trust_expires is not None:
        moment = datetime.fromtimestamp(trust_expires, UTC).replace(tzinfo=None)
        session.date_expires, session.expires_estimated = moment, False
    else:
        session.date_expires, session.expires_estimated = utcnow() + ESTIMATED_TRUST, True
    session.date_expiring_sent = None


def reason_for_refusal(session: Session, now: datetime | None = None) -> str:
    """Why Apple refused a session: past Apple's horizon its trust ended; before it,
    Apple does not say (a password change and a revoked browser look alike), so
    ``revoked`` [assumed]."""
    moment = now or utcnow()
    if session.date_expires is not None and session.date_expires <= moment:
        return "trust-ended"
    return "revoked"


def _emit(db: DbSession, session: Session, action: str) -> None:
    data = serialize_session(db, session)
    emit(db, session.organisation_id, session.key_id, "session", action, data)


def _due(settings: Settings, *conditions: ColumnElement[bool]) -> Sequence[str]:
    """Ids of active sessions matching ``conditions`` (a batch at most)."""
    with transaction(settings.database_url) as db:
        query = select(Session.id).where(Session.state == "active", *conditions).limit(_BATCH)
        return db.scalars(query).all()


def _claim_each(
    settings: Settings,
    ids: Sequence[str],
    condition: ColumnElement[bool],
    values: dict[str, Any],
    action: str,
) -> int:
    """Move each session still matching ``condition`` to ``values`` and announce it with
    ``session.<action>``; the conditional update keeps concurrent sweepers from
    announcing one twice. Returns how many it moved."""
    moved = 0
    for session_id in ids:
        with transaction(settings.database_url) as db:
            claimed = db.execute(
                update(Session)
                .where(Session.id == session_id, Session.state == "active", condition)
                .values(**values)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            session = db.scalars(select(Session).where(Session.id == session_id)).one()
            _emit(db, session, action)
            moved += 1
    return moved


def _announce_expiring(settings: Settings, now: datetime) -> int:
    ahead = now + timedelta(days=settings.session_expiring_days)
    not_sent = Session.date_expiring_sent.is_(None)
    due = _due(settings, Session.date_expires <= ahead, Session.date_expires > now, not_sent)
    return _claim_each(settings, due, not_sent, {"date_expiring_sent": now}, "expiring")


def _expire_ended(settings: Settings, now: datetime) -> int:
    due = _due(settings, Session.date_expires <= now, Session.expires_estimated.is_(False))
    ended = {
        "state": "expired",
        "error": "session-expired",
        "error_info": {"reason": "trust-ended"},
        "date_expired": now,
        "state_sealed": None,
        "state_key_id": None,
    }
    expired = _claim_each(settings, due, true(), ended, "expired")
    if expired:
        log.info("%d sessions expired: their trust ended", expired)
    return expired


def sweep_session_horizons(settings: Settings, now: datetime | None = None) -> tuple[int, int]:
    """Announce sessions nearing their horizon and expire those past Apple's; returns
    (announced, expired). ``now`` is injectable so tests run a fast clock."""
    moment = now or utcnow()
    return _announce_expiring(settings, moment), _expire_ended(settings, moment)
