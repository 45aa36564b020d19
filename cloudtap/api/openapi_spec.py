"""The published OpenAPI document says what the API really answers.

FastAPI documents a 422 validation error per operation, but cloudtap answers invalid
input with ricloud's 400 ``invalid-parameter``; and every operation can also answer
401, 404, 405, 409, 413, 429 or 503 with ricloud's error body. This rewrites the
generated document once: the 422s go, the ricloud errors come in, and the
``Authorization: Token …`` scheme and every POST's ``Idempotency-Key`` header are
declared.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from cloudtap.api.idempotency import MAX_KEY_LENGTH

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message", "params"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "params": {"type": "object"},
    },
}
ERRORS = {
    "400": "Invalid body or parameter (`invalid-body`, `invalid-parameter`, ...).",
    "401": "Missing or invalid `Authorization: Token <key token>`.",
    "403": "Not allowed for this key (`missing-scope`, `limit-exceeded`, `live-key-required`).",
    "404": "No such object for this organisation and environment.",
    "405": "Method not allowed (`Allow` names the allowed ones).",
    "409": "Conflicts with an existing object, or an `Idempotency-Key` in flight.",
    "413": "Request body too large.",
    "422": "`Idempotency-Key` reused with another request.",
    "429": "Rate limited (`Retry-After`), or too many logins/polls in flight.",
}
_PUBLIC_WITHOUT_AUTH = {"/healthz", "/readyz", "/metrics"}
# Every POST honours Idempotency-Key (cloudtap.api.idempotency).
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        f"Up to {MAX_KEY_LENGTH} characters, unique per request you mean once."
        " A retry with the same key, method, path and body gets the first answer again"
        " (`Idempotent-Replayed: true`);"
        " with another request, 422 `idempotency-key-reused`; while the first is running,"
        " 409 `idempotency-key-in-progress`. Kept a day (`CLOUDTAP_IDEMPOTENCY_TTL`)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = spec.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for unused in ("HTTPValidationError", "ValidationError"):
            components["schemas"].pop(unused, None)
        components["securitySchemes"] = {
            "token": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <key token>`",
            }
        }
        for path, operations in spec.get("paths", {}).items():
            if "post" in operations:
                operations["post"].setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                for status, description in ERRORS.items():
                    responses.setdefault(status, _error_response(description))
                if path not in _PUBLIC_WITHOUT_AUTH:
                    operation["security"] = [{"token": []}]
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
