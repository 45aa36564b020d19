"""Who is looking: the signed-in key, found from the session the cookie names.

The session is looked up on the server on every request (sign-out, rotation and
deactivation delete it), and so is its key, through the API's scoping helper, so a
revoked key ends its dashboard sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from fastapi import Request

from cloudtap.api.auth import Caller, settings_of
from cloudtap.api.common import find_scoped
from cloudtap.dashboard.cookies import COOKIE_NAME, CookieSession, anonymous_session, unsign
from cloudtap.store.dashboard_sessions import find_session
from cloudtap.store.db import transaction
from cloudtap.store.models import DashboardSession, Key


class SignInRequired(Exception):
    """No valid signed-in session: the visitor is sent to the sign-in page."""


@dataclass(frozen=True)
class Visitor:
    caller: Caller
    session: CookieSession
    request: Request
    key_hint: str

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def is_sandbox(self) -> bool:
        return self.caller.environment == "sandbox"


def signed_in_session(session_id: str, row: DashboardSession) -> CookieSession:
    return CookieSession(
        session_id=session_id,
        csrf=row.csrf,
        expires=int(row.date_expires.replace(tzinfo=UTC).timestamp()),
        key_id=row.key_id,
        organisation_id=row.organisation_id,
        environment=row.environment,
    )


def cookie_session(request: Request) -> CookieSession | None:
    """The cookie's session: signed in if the server still records it, else anonymous
    (its id kept, so the sign-in form's token stays valid); None without a good cookie."""
    settings = settings_of(request)
    session_id = unsign(settings, request.cookies.get(COOKIE_NAME))
    if session_id is None:
        return None
    with transaction(settings.database_url) as db:
        row = find_session(db, session_id)
        if row is not None:
            return signed_in_session(session_id, row)
    return anonymous_session(settings, session_id)


def signed_in(request: Request) -> Visitor:
    """FastAPI dependency of every page behind sign-in."""
    settings = settings_of(request)
    session_id = unsign(settings, request.cookies.get(COOKIE_NAME))
    if session_id is None:
        raise SignInRequired
    with transaction(settings.database_url) as db:
        row = find_session(db, session_id)
        if row is None:
            raise SignInRequired
        caller = Caller(row.organisation_id, row.key_id, row.environment, settings)
        key = find_scoped(db, Key, caller, row.key_id)
        if key is None or key.state != "active":
            raise SignInRequired
        return Visitor(caller, signed_in_session(session_id, row), request, key.token_hint)
