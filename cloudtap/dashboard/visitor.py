"""Who is looking: the signed-in key, rebuilt from the session cookie on every request.

The key is looked up again each time (through the API's scoping helper), so a revoked
key, or one whose token was rotated elsewhere, ends its dashboard sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from cloudtap.api.auth import Caller, settings_of
from cloudtap.api.common import find_scoped
from cloudtap.dashboard.cookies import COOKIE_NAME, CookieSession, decode, token_fingerprint
from cloudtap.store.db import transaction
from cloudtap.store.models import Key


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


def cookie_session(request: Request) -> CookieSession | None:
    return decode(settings_of(request), request.cookies.get(COOKIE_NAME))


def signed_in(request: Request) -> Visitor:
    """FastAPI dependency of every page behind sign-in."""
    session = cookie_session(request)
    if session is None or session.key_id is None:
        raise SignInRequired
    if session.organisation_id is None or session.environment is None:
        raise SignInRequired
    settings = settings_of(request)
    caller = Caller(session.organisation_id, session.key_id, session.environment, settings)
    with transaction(settings.database_url) as db:
        key = find_scoped(db, Key, caller, session.key_id)
        if key is None or key.state != "active":
            raise SignInRequired
        if token_fingerprint(settings, key.token_hash) != session.token_fingerprint:
            raise SignInRequired
        return Visitor(caller, session, request, key.token_hint)
