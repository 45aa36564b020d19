"""Which environment (sandbox or live) each row belongs to, as SQL conditions.

Sandbox and live data of one organisation are kept apart the way Stripe's test and live
modes are: a key sees only its own environment's objects. Keys, sessions and storage
and webhook configs carry an ``environment`` column; every other per-environment row is
tied to one through the key that made it (sessions, polls, subscriptions and tasks are
made by a key of their session's environment), a user, or a poll/task. The organisation
and its permissions are shared by both environments. A model missing from both tables is
a programming error, so a new resource cannot silently skip the boundary.

A key publishes results and delivers events only through a config of its own
environment (:func:`config_of_key`): its own, else the organisation's default when that
is of the key's environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, bindparam, or_, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.sql.elements import BindParameter

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

ORGANISATION_WIDE: frozenset[type[Base]] = frozenset({Organisation, Permissions})


def _keys(organisation_id: str, environment: str) -> Any:
    return select(Key.id).where(
        Key.organisation_id == organisation_id, Key.environment == environment
    )


def _made_by_key(column: Any) -> Callable[[str, str], list[Any]]:
    return lambda org, env: [column.in_(_keys(org, env))]


def _source(org: str, env: str) -> list[Any]:
    # Its own user by id (correlated), not a list of every user of the organisation (a
    # service with a user per customer would build thousands per request): see _result.
    user = select(User.id).where(
        User.id == Source.user_id, User.organisation_id == org, User.key_id.in_(_keys(org, env))
    )
    return [user.exists()]


def _result(org: str, env: str) -> list[Any]:
    # Correlated: each result's own task or poll is looked up by its id. As lists
    # (``task_id IN (SELECT ... every task of the environment)``) SQLite built the list
    # of the organisation's every task for each request, so ``GET /results?poll=`` cost
    # grew with everything the organisation had ever polled (8 ms of CPU after a few
    # thousand files, 1.5 ms on a new organisation).
    by_task = select(Task.id).where(
        Task.id == Result.task_id, Task.organisation_id == org, Task.key_id.in_(_keys(org, env))
    )
    by_poll = select(Poll.id).where(
        Poll.id == Result.poll_id, Poll.organisation_id == org, Poll.key_id.in_(_keys(org, env))
    )
    return [or_(by_task.exists(), by_poll.exists())]


PER_ENVIRONMENT: dict[type[Base], Callable[[str, str], list[Any]]] = {
    Key: lambda _org, env: [Key.environment == env],
    Session: lambda _org, env: [Session.environment == env],
    StorageConfig: lambda _org, env: [StorageConfig.environment == env],
    WebhookConfig: lambda _org, env: [WebhookConfig.environment == env],
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


Config = StorageConfig | WebhookConfig


def config_of_key(
    db: DbSession,
    model: type[StorageConfig] | type[WebhookConfig],
    organisation_id: str,
    key_id: str | None,
) -> Config | None:
    """The storage or webhook config ``key_id``'s results or events go through: the key's
    own, else the organisation's default, and only if it is of the key's environment.

    Without a key (``None``) the organisation's default, whatever its environment (what
    the organisation's own state reports); an unknown key has none.
    """
    statements = _CONFIG_OF_KEY[model]
    environment: str | None = None
    config_id: str | None = None
    values = {"key_id": key_id, "organisation_id": organisation_id}
    # Columns in one statement, not the key's and the organisation's rows one by one:
    # every poll created and every GET /organisation asks this.
    if key_id is not None:
        found_key = db.execute(statements.key, values).first()
        if found_key is None:
            return None
        environment, config_id = found_key[0], found_key[1] or found_key[2]
    else:
        config_id = db.scalar(statements.organisation_default, values)
    if config_id is None:
        return None
    config = statements.config if environment is not None else statements.config_any_environment
    values = {
        "config_id": config_id,
        "organisation_id": organisation_id,
        "environment": environment,
    }
    found = db.scalars(config, values).first()
    return found if isinstance(found, (StorageConfig, WebhookConfig)) else None


@dataclass(frozen=True)
class _ConfigStatements:
    """``config_of_key``'s statements for one model, built once, values bound per call."""

    key: Executable
    organisation_default: Executable
    config: Executable
    config_any_environment: Executable


def _config_statements(model: type[StorageConfig] | type[WebhookConfig]) -> _ConfigStatements:
    storage = model is StorageConfig
    org_default = (
        Organisation.storage_config_default if storage else Organisation.webhook_config_default
    )
    key_config = Key.storage_config_id if storage else Key.webhook_config_id
    key_id: BindParameter[str] = bindparam("key_id")
    organisation_id: BindParameter[str] = bindparam("organisation_id")
    owned = [model.id == bindparam("config_id"), model.organisation_id == organisation_id]
    return _ConfigStatements(
        key=select(Key.environment, key_config, org_default)
        .join(Organisation, Organisation.id == Key.organisation_id)
        .where(Key.id == key_id, Key.organisation_id == organisation_id),
        organisation_default=select(org_default).where(Organisation.id == organisation_id),
        config=select(model).where(*owned, model.environment == bindparam("environment")),
        config_any_environment=select(model).where(*owned),
    )


_CONFIG_OF_KEY = {model: _config_statements(model) for model in (StorageConfig, WebhookConfig)}
