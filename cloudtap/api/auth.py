"""``Authorization: Token <key token>`` → the calling key and its organisation.

A key found by its token hash is remembered for ``KEY_CACHE_SECONDS`` (one second), so
a client's burst of requests costs one query, not one each. A key changed or deleted
through this process (rotated, deactivated) is forgotten at once; a change made by
another process (another ``serve``, a database edit) takes effect within that second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event, select

from cloudtap.api.errors import ApiError
from cloudtap.config import Settings
from cloudtap.crypto.tokens import hash_token
from cloudtap.store.db import transaction
from cloudtap.store.models import Key

KEY_CACHE_SECONDS = 1.0
_KEY_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Caller:
    organisation_id: str
    key_id: str
    environment: str
    settings: Settings


@dataclass(frozen=True)
class _KnownKey:
    organisation_id: str
    key_id: str
    environment: str
    until: float  # time.monotonic() after which the key is looked up again


# (database URL, token hash) → the active key; inactive or unknown tokens are not kept.
_known: dict[tuple[str, str], _KnownKey] = {}
_lock = threading.Lock()


def forget_keys(*_args: Any) -> None:
    """Drops every remembered key (a key changed: rotate, deactivate, delete)."""
    with _lock:
        _known.clear()


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(Key, _change, forget_keys)


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


def _lookup(database_url: str, token_hash: str) -> _KnownKey | None:
    """The active key with this token hash: one query, columns only."""
    with transaction(database_url) as db:
        row = db.execute(
            select(Key.organisation_id, Key.id, Key.environment, Key.state).where(
                Key.token_hash == token_hash
            )
        ).first()
    if row is None or row.state != "active":
        return None
    return _KnownKey(row.organisation_id, row.id, row.environment, 0.0)


def _remembered(cache_key: tuple[str, str]) -> _KnownKey | None:
    known = _known.get(cache_key)
    return known if known is not None and known.until > time.monotonic() else None


def _identity(found: _KnownKey | None) -> tuple[str, str, str] | None:
    return None if found is None else (found.organisation_id, found.key_id, found.environment)


def key_of_token(database_url: str, token: str) -> tuple[str, str, str] | None:
    """(organisation, key, environment) of an active key's token: remembered as
    ``authenticate`` remembers it, else looked up (it queries: call it off the loop)."""
    token_hash = hash_token(token)
    return _identity(_remembered((database_url, token_hash)) or _key_for(database_url, token_hash))


def remembered_key_of_token(database_url: str, token: str) -> tuple[str, str, str] | None:
    """``key_of_token`` if the key is remembered, without a query; else None."""
    return _identity(_remembered((database_url, hash_token(token))))


def _key_for(database_url: str, token_hash: str) -> _KnownKey | None:
    """Looks the key up (in a worker thread: it queries) and remembers it briefly."""
    cache_key = (database_url, token_hash)
    found = _lookup(database_url, token_hash)
    with _lock:
        if found is None:
            _known.pop(cache_key, None)
            return None
        if len(_known) >= _KEY_CACHE_MAX:
            _known.clear()
        until = time.monotonic() + KEY_CACHE_SECONDS
        _known[cache_key] = found = replace(found, until=until)
    return found


async def authenticate(request: Request) -> Caller:
    # Async so a remembered key costs no hop to the thread pool; a lookup still runs there.
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "authentication-required", "Send 'Authorization: Token <key token>'.")
    token = _token_from(header)
    if token is None:
        raise ApiError(
            401, "invalid-token", "The Authorization header must be 'Token <key token>'."
        )
    settings = settings_of(request)
    token_hash = hash_token(token)
    key = _remembered((settings.database_url, token_hash))
    if key is None:
        key = await run_in_threadpool(_key_for, settings.database_url, token_hash)
    if key is None:
        raise ApiError(401, "invalid-token", "The key token is invalid or inactive.")
    return Caller(key.organisation_id, key.key_id, key.environment, settings)
