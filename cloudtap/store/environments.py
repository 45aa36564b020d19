"""Which environment (sandbox or live) each row belongs to, as SQL conditions.

Sandbox and live data of one organisation are kept apart the way Stripe's test and live
modes are: a key sees only its own environment's objects. Only keys and sessions carry
an ``environment`` column; every other per-environment row is tied to one through the
key that made it (sessions, polls, subscriptions and tasks are made by a key of their
session's environment), a user, or a poll/task. Configuration objects are shared by the
whole organisation. A model missing from both tables is a programming error, so a new
resource cannot silently skip the boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select

from cloudtap.store.models import (
    Base,
    Event,
    Key,
    Organisation,
    Permissions,
    Poll,
    Result,
    Session,
    Source,
    StorageConfig,
    Subscription,
    Task,
    User,
    WebhookConfig,
)

ORGANISATION_WIDE: frozenset[type[Base]] = frozenset(
    {Organisation, StorageConfig, WebhookConfig, Permissions}
)


def _keys(organisation_id: str, environment: str) -> Any:
    return select(Key.id).where(
        Key.organisation_id == organisation_id, Key.environment == environment
    )


def _made_by_key(column: Any) -> Callable[[str, str], list[Any]]:
    return lambda org, env: [column.in_(_keys(org, env))]


def _source(org: str, env: str) -> list[Any]:
    users = select(User.id).where(User.organisation_id == org, *_made_by_key(User.key_id)(org, env))
    return [Source.user_id.in_(users)]


def _result(org: str, env: str) -> list[Any]:
    tasks = select(Task.id).where(Task.organisation_id == org, Task.key_id.in_(_keys(org, env)))
    polls = select(Poll.id).where(Poll.organisation_id == org, Poll.key_id.in_(_keys(org, env)))
    return [or_(Result.task_id.in_(tasks), Result.poll_id.in_(polls))]


PER_ENVIRONMENT: dict[type[Base], Callable[[str, str], list[Any]]] = {
    Key: lambda _org, env: [Key.environment == env],
    Session: lambda _org, env: [Session.environment == env],
    User: _made_by_key(User.key_id),
    Source: _source,
    Subscription: _made_by_key(Subscription.key_id),
    Poll: _made_by_key(Poll.key_id),
    Task: _made_by_key(Task.key_id),
    Event: _made_by_key(Event.key_id),
    Result: _result,
}


def environment_scope(model: type[Base], organisation_id: str, environment: str) -> list[Any]:
    """Conditions limiting ``model``'s rows to ``environment`` (none if organisation-wide)."""
    if model in ORGANISATION_WIDE:
        return []
    try:
        conditions = PER_ENVIRONMENT[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not classified by environment") from None
    return conditions(organisation_id, environment)
