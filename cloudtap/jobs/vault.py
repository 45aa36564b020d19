"""Sealing what jobs must keep secret: credentials in the queue, Apple state in rows.

The queue may be Redis on another machine, so a login job's password and code travel
only as an AES-GCM blob bound to the session id, and expire quickly. Apple session
state is stored the same way, with the sealing key's id on the row.
"""

from __future__ import annotations

import time
from typing import Any

from cloudtap.config import Settings
from cloudtap.crypto.sealing import Sealed, Sealer
from cloudtap.icloud.connector import Credentials

CREDENTIALS_TTL_SECONDS = 15 * 60


class CredentialsExpired(Exception):
    """The login job ran too long after the request that carried the password."""


def sealer(settings: Settings) -> Sealer:
    return Sealer(settings.master_key)


def seal_credentials(settings: Settings, session_id: str, credentials: Credentials) -> Sealed:
    payload = {
        "apple_id": credentials.apple_id,
        "password": credentials.password,
        "code": credentials.code,
        "choice": credentials.choice,
        "expires": time.time() + CREDENTIALS_TTL_SECONDS,
    }
    return sealer(settings).seal_json(payload, f"login-credentials:{session_id}")


def open_credentials(settings: Settings, session_id: str, sealed: Sealed) -> Credentials:
    payload = sealer(settings).open_json(sealed, f"login-credentials:{session_id}")
    if payload["expires"] < time.time():
        raise CredentialsExpired
    return Credentials(
        apple_id=payload["apple_id"],
        password=payload["password"],
        code=payload["code"],
        choice=payload["choice"],
    )


def seal_state(settings: Settings, context: str, state: dict[str, Any]) -> Sealed:
    return sealer(settings).seal_json(state, context)


def open_state(settings: Settings, context: str, key_id: str | None, blob: bytes | None) -> Any:
    if not key_id or not blob:
        return None
    return sealer(settings).open_json(Sealed(key_id, blob), context)


# Contexts bind each blob to its row and purpose, so one cannot be swapped for another.
def session_context(session_id: str) -> str:
    return f"session-state:{session_id}"


def source_login_context(source_id: str) -> str:
    return f"source-login:{source_id}"


def source_trust_context(source_id: str) -> str:
    return f"source-trust:{source_id}"
