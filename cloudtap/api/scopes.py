"""Permission scopes, enforced per endpoint (``missing-scope``, 403), and their limits.

A permissions object maps ``"<scope type>:<pattern>"`` to limits; patterns may use
``*`` (``task_type:icloud.*``). The scopes that bind a key are those of the permissions
object named by its id (``identifier`` = key id) if there is one, else the union of its
organisation's that name no key. Each scope type is an allow-list once it names a
pattern; a scope type with no pattern at all is not restricted, so an organisation's
default permissions (``scopes: {}``) keep full access.

A limit is ``{"level": "organisation" | "key" | "user", "type": "count", "value": N}``
(N > 0; anything else is refused when the object is written). ricloud documents no
more than that shape, so cloudtap enforces only the reading that is clear: a count
limit on ``source_type:<pattern>`` caps how many sources whose type matches the pattern
may exist for the caller's organisation, key or user, within the caller's environment
(``cloudtap.api.resources.sources``; one more is 403 ``limit-exceeded``). Count limits
on ``task_type``, ``data_type`` and ``file_type`` scopes are stored, not enforced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.store.models import Key, Permissions

SCOPE_TYPES = ("source_type", "task_type", "data_type", "file_type")
# What a poll's three lists ask the job layer to run (cloudtap.jobs.polls' task types).
TASK_TYPES = {"info_types": "icloud.info", "data_types": "icloud.data", "files": "icloud.file"}


LimitLevel = Literal["organisation", "key", "user"]


class Limit(BaseModel):
    """One limit of a scope, as a permissions object is written (other keys are kept)."""

    model_config = ConfigDict(extra="allow")

    level: LimitLevel
    type: Literal["count"]
    value: Annotated[StrictInt, Field(gt=0)]


@dataclass(frozen=True)
class CountLimit:
    """A count limit binding the caller, on the scope ``<kind>:<pattern>``."""

    scope: str
    pattern: str
    level: str
    value: int

    def as_params(self) -> dict[str, Any]:
        return {"level": self.level, "type": "count", "value": self.value}


def binding_permissions(db: DbSession, caller: Caller) -> list[Permissions]:
    """The permissions objects whose scopes bind the caller's key."""
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
    return own


def granted_patterns(db: DbSession, caller: Caller) -> dict[str, list[str]]:
    patterns: dict[str, list[str]] = {}
    for row in binding_permissions(db, caller):
        for scope in row.scopes or {}:
            kind, _, pattern = str(scope).partition(":")
            patterns.setdefault(kind, []).append(pattern)
    return patterns


def count_limits(db: DbSession, caller: Caller, kind: str, value: str) -> list[CountLimit]:
    """The count limits binding the caller on scopes of ``kind`` whose pattern matches
    ``value``, in the order they were written. Limits stored before they were validated
    and not of a known shape are skipped."""
    found: list[CountLimit] = []
    for row in binding_permissions(db, caller):
        for scope, limits in (row.scopes or {}).items():
            scope_kind, _, pattern = str(scope).partition(":")
            if scope_kind != kind or not fnmatchcase(value, pattern):
                continue
            for limit in limits if isinstance(limits, list) else []:
                level = limit.get("level") if isinstance(limit, dict) else None
                count = limit.get("value") if isinstance(limit, dict) else None
                if (
                    isinstance(limit, dict)
                    and limit.get("type") == "count"
                    and level in ("organisation", "key", "user")
                    and isinstance(count, int)
                    and not isinstance(count, bool)
                    and count > 0
                ):
                    found.append(CountLimit(str(scope), pattern, str(level), count))
    return found


def limit_exceeded(limit: CountLimit, what: str) -> ApiError:
    return ApiError(
        403,
        "limit-exceeded",
        f"The permission limit of {limit.value} {what} per {limit.level} for the scope "
        f"{limit.scope} is reached.",
        {"scope": limit.scope, "limit": limit.as_params()},
    )


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
