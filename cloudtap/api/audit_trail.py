"""Records key, config and deletion actions in the audit log, for every route at once.

Who: the calling key's id (looked up before the request runs, since a rotation makes its
token invalid); what: the action and the object's id (from the path, or from the answer
for a create); when: the entry's date. ``details`` names the *fields* a request set,
never their values: a webhook secret or bucket credentials must not reach the log.
Only successful (2xx) requests are recorded.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudtap.api.auth import key_of_token, remembered_key_of_token
from cloudtap.api.scope_token import scope_token
from cloudtap.config import Settings
from cloudtap.store.audit import append
from cloudtap.store.db import transaction

log = logging.getLogger(__name__)

# (method, route template) → (action, object type, path parameter naming the object).
AUDITED: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("POST", "/keys"): ("key.created", "key", None),
    ("POST", "/key"): ("key.updated", "key", None),
    ("POST", "/keys/{key_id}"): ("key.updated", "key", "key_id"),
    ("POST", "/keys/{key_id}/rotate"): ("key.rotated", "key", "key_id"),
    ("POST", "/organisation"): ("organisation.updated", "organisation", None),
    ("POST", "/permissions"): ("permissions.created", "permissions", None),
    ("POST", "/permissions/{permissions_id}"): (
        "permissions.updated",
        "permissions",
        "permissions_id",
    ),
    ("POST", "/configs/storage"): ("storage_config.created", "storage_config", None),
    ("POST", "/configs/storage/{config_id}"): (
        "storage_config.updated",
        "storage_config",
        "config_id",
    ),
    ("DELETE", "/configs/storage/{config_id}"): (
        "storage_config.deleted",
        "storage_config",
        "config_id",
    ),
    ("POST", "/configs/webhook"): ("webhook_config.created", "webhook_config", None),
    ("POST", "/configs/webhook/{config_id}"): (
        "webhook_config.updated",
        "webhook_config",
        "config_id",
    ),
    ("DELETE", "/configs/webhook/{config_id}"): (
        "webhook_config.deleted",
        "webhook_config",
        "config_id",
    ),
    ("DELETE", "/sessions/{session_id}"): ("session.deleted", "session", "session_id"),
    ("DELETE", "/users/{user_id}"): ("user.deleted", "user", "user_id"),
    ("DELETE", "/subscriptions/{subscription_id}"): (
        "subscription.deleted",
        "subscription",
        "subscription_id",
    ),
}
_METHODS = {method for method, _ in AUDITED}
# The answer is read for a create's id only; bigger answers are not audited by id.
_MAX_ANSWER_BYTES = 64 * 1024


def _field_names(body: bytes) -> list[str]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        return []
    return sorted(str(name) for name in parsed) if isinstance(parsed, dict) else []


class AuditTrail:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = scope_token(scope) if scope["type"] == "http" else None
        if token is None or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        # The key as authentication remembers it (no query, no thread) when it was used
        # in the last second; looked up before the request either way, so that a request
        # deleting its own key is still recorded as that key's.
        database_url = self.settings.database_url
        actor = remembered_key_of_token(database_url, token)
        if actor is None:
            actor = await run_in_threadpool(key_of_token, database_url, token)
        if actor is None:
            await self.app(scope, receive, send)
            return
        request_body: list[bytes] = []
        answer: list[bytes] = []
        status = 500

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.append(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and sum(map(len, answer)) < (
                _MAX_ANSWER_BYTES
            ):
                answer.append(message.get("body", b""))
            await send(message)

        await self.app(scope, reading, sending)
        route = getattr(scope.get("route"), "path", None)
        audited = AUDITED.get((scope["method"], str(route)))
        if audited is None or not 200 <= status < 300:
            return
        action, object_type, id_param = audited
        object_id = scope.get("path_params", {}).get(id_param) if id_param else None
        if object_id is None:
            object_id = self._created_id(b"".join(answer), object_type, actor)
        details: dict[str, Any] = {"fields": _field_names(b"".join(request_body))}
        await run_in_threadpool(self._record, actor, action, object_type, object_id, details)

    @staticmethod
    def _created_id(answer: bytes, object_type: str, actor: tuple[str, str, str]) -> str | None:
        if object_type == "organisation":
            return actor[0]
        try:
            parsed = json.loads(answer)
        except ValueError:
            return actor[1] if object_type == "key" else None
        found = parsed.get("id") if isinstance(parsed, dict) else None
        return str(found) if found else None

    def _record(
        self,
        actor: tuple[str, str, str],
        action: str,
        object_type: str,
        object_id: str | None,
        details: dict[str, Any],
    ) -> None:
        organisation_id, key_id, environment = actor
        try:
            with transaction(self.settings.database_url) as db:
                append(
                    db,
                    organisation_id=organisation_id,
                    key_id=key_id,
                    environment=environment,
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    details=details,
                )
        except Exception:  # the action happened; a lost audit line is logged loudly
            log.exception("audit entry for %s %s not recorded", action, object_id)
