"""Recording events, and telling interested parties (webhook delivery) once they commit.

Webhook delivery (``cloudtap.publish.webhooks``) plugs in with :func:`add_batch_listener`
(the ids a transaction recorded, all at once); listeners hear of events after the
transaction that recorded them commits, so they never see an event that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session as DbSession

from cloudtap.store.db import on_commit
from cloudtap.store.ids import new_id
from cloudtap.store.models import Event

log = logging.getLogger(__name__)

BatchListener = Callable[[list[str]], None]
_batch_listeners: list[BatchListener] = []
# Where a unit of work keeps the ids of the events it recorded, until it commits.
_RECORDED = "cloudtap.events.recorded"


def add_batch_listener(listener: BatchListener) -> None:
    if listener not in _batch_listeners:
        _batch_listeners.append(listener)


def remove_batch_listener(listener: BatchListener) -> None:
    if listener in _batch_listeners:
        _batch_listeners.remove(listener)


def _notify(event_ids: list[str]) -> None:
    for batch_listener in list(_batch_listeners):
        try:
            batch_listener(list(event_ids))
        except Exception:  # one broken listener must not break the job that emitted
            log.exception("event listener failed for %d events", len(event_ids))


def emit(
    db: DbSession,
    organisation_id: str,
    key_id: str | None,
    type_: str,
    action: str,
    data: dict[str, Any],
    notify: bool = True,
    flush: bool = True,
) -> Event:
    """Record an event; listeners hear of it after commit unless ``notify`` is False
    (a ``webhook_config.test`` event is delivered by its own task, to its own config).
    ``flush=False`` leaves writing it to the next flush (a caller recording many)."""
    event = Event(
        id=new_id(),
        organisation_id=organisation_id,
        key_id=key_id,
        type=type_,
        action=action,
        data=data,
    )
    db.add(event)
    if flush:
        db.flush()
    if notify:
        recorded: list[str] | None = db.info.get(_RECORDED)
        if recorded is None:
            # One notice per commit, for every event the unit of work recorded.
            recorded = db.info[_RECORDED] = []
            on_commit(db, lambda: _notify(db.info.pop(_RECORDED, None) or []))
        recorded.append(event.id)
    return event
