"""The API token an ASGI request carries, for middleware that runs before authentication."""

from __future__ import annotations

from starlette.types import Scope


def scope_token(scope: Scope) -> str | None:
    """The token of the first ``Authorization: Token|Bearer <token>`` header, if any."""
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() in ("token", "bearer") and token.strip():
                return token.strip()
    return None
