"""Telling the person running ``pull`` that the session's trust nears its end: once per
session, a set number of days before its ``date_expires`` (docs/sessions.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass
class TrustWatch:
    days_ahead: float = 7.0
    _told: set[str] = field(default_factory=set)

    def message(self, session: dict[str, Any], now: datetime | None = None) -> str | None:
        """What to tell about ``session`` now, or None (nothing new, or not yet)."""
        ends, session_id = session.get("date_expires"), str(session.get("id"))
        if not isinstance(ends, str) or session_id in self._told:
            return None
        moment = datetime.fromisoformat(ends.replace("Z", "+00:00"))
        if (now or datetime.now(UTC)) < moment - timedelta(days=self.days_ahead):
            return None
        self._told.add(session_id)
        estimate = " (an estimate: Apple did not say)" if session.get("expires_estimated") else ""
        return (
            f"Apple's trust for {session.get('source', {}).get('identifier', 'this account')} "
            f"ends {moment:%Y-%m-%d %H:%M} UTC{estimate}: a new verification code will be "
            "needed then"
        )
