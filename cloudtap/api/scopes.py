"""Permission scopes, enforced per endpoint (``missing-scope``, 403).

A permissions object maps ``"<scope type>:<pattern>"`` to limits; patterns may use
``*`` (``task_type:icloud.*``). The scopes that bind a key are those of the permissions
object named by its id (``identifier`` = key id) if there is one, else the union of its
organisation's that name no key. Each scope type is an allow-list once it names a
pattern; a scope type with no pattern at all is not restricted, so an organisation's
default permissions (``scopes: {}``) keep full access. Limits (``count``) are stored,
not yet enforced.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.store.models import Key, Permissions

SCOPE_TYPES = ("source_type", "task_type", "data_type", "file_type")
# What a poll's three lists ask the job layer to run (cloudtap.jobs.polling's task types).
TASK_TYPES = {"info_types": "icloud.info", "data_types": "icloud.data", "files": "icloud.file"}


def granted_patterns(db: DbSession, caller: Caller) -> dict[str, list[str]]:
    rows = list(
        db.scalars(
            select(Permissions)
            .where(Permissions.organisation_id == caller.organisation_id)
            .order_by(Permissions.pk)
        )
    )
    own = [r for r in rows if r.identifier == caller.key_id]
    if not own:
        # Organisation-wide: every permissions object that names no key of its own.
        keys = set(db.scalars(select(Key.id).where(Key.organisation_id == caller.organisation_id)))
        own = [r for r in rows if r.identifier not in keys]
    patterns: dict[str, list[str]] = {}
    for row in own:
        for scope in row.scopes or {}:
            kind, _, pattern = str(scope).partition(":")
            patterns.setdefault(kind, []).append(pattern)
    return patterns


def missing_scope(scope: str) -> ApiError:
    return ApiError(
        403,
        "missing-scope",
        f"This key's permissions do not include the scope {scope}.",
        {"scope": scope},
    )


def require_scopes(db: DbSession, caller: Caller, needed: Iterable[str]) -> None:
    granted = granted_patterns(db, caller)
    for scope in needed:
        kind, _, value = scope.partition(":")
        patterns = granted.get(kind)
        if patterns is None:
            continue
        if not any(fnmatchcase(value, pattern) for pattern in patterns):
            raise missing_scope(scope)


def _file_type(file_id: str) -> str:
    """``icpl://…`` → ``icpl``; a file id without a scheme is its own type."""
    scheme, sep, _ = file_id.partition("://")
    return scheme if sep else file_id


def poll_scopes(payload: dict[str, Any]) -> list[str]:
    """The scopes a poll payload needs (polls and subscriptions alike)."""
    needed: list[str] = []
    for field, task_type in TASK_TYPES.items():
        if payload.get(field):
            needed.append(f"task_type:{task_type}")
    needed += [f"data_type:{t}" for t in payload.get("data_types") or []]
    needed += [f"file_type:{_file_type(f)}" for f in payload.get("files") or []]
    return needed
