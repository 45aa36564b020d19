"""API key tokens: generated with an environment prefix, stored only as a hash.

Tokens carry 256 bits of randomness, so a plain SHA-256 is a sound storage hash (a slow
password hash would only cost latency on every request). A prefix kept in clear lets the
API tell a sandbox key from a live one and lets operators recognise a leaked token.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

Environment = Literal["sandbox", "live"]
TOKEN_PREFIX: dict[str, str] = {"sandbox": "ct_sandbox_", "live": "ct_live_"}


def new_token(environment: Environment) -> str:
    return TOKEN_PREFIX[environment] + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_environment(token: str) -> Environment | None:
    for env, prefix in TOKEN_PREFIX.items():
        if token.startswith(prefix):
            return env  # type: ignore[return-value]
    return None
