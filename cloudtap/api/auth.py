"""``Authorization: Token <key token>`` → the calling key and its organisation."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from cloudtap.api.errors import ApiError
from cloudtap.config import Settings
from cloudtap.store.accounts import key_for_token
from cloudtap.store.db import transaction


@dataclass(frozen=True)
class Caller:
    organisation_id: str
    key_id: str
    environment: str
    settings: Settings


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _token_from(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        return None
    return token.strip()


def authenticate(request: Request) -> Caller:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "authentication-required", "Send 'Authorization: Token <key token>'.")
    token = _token_from(header)
    if token is None:
        raise ApiError(
            401, "invalid-token", "The Authorization header must be 'Token <key token>'."
        )
    settings = settings_of(request)
    with transaction(settings.database_url) as db:
        key = key_for_token(db, token)
        if key is None:
            raise ApiError(401, "invalid-token", "The key token is invalid or inactive.")
        return Caller(key.organisation_id, key.id, key.environment, settings)
