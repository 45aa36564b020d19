"""Recording events, and telling interested parties (webhook delivery) once they commit.

Webhook delivery (``cloudtap.publish.webhooks``) plugs in with :func:`add_listener`;
listeners receive event ids after the transaction that recorded them commits, so they
never see an event that was rolled back.
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

EventListener = Callable[[str], None]
_listeners: list[EventListener] = []


def add_listener(listener: EventListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: EventListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _notify(event_id: str) -> None:
    for listener in list(_listeners):
        try:
            listener(event_id)
        except Exception:  # one broken listener must not break the job that emitted
            log.exception("event listener failed for %s", event_id)


def emit(
    db: DbSession,
    organisation_id: str,
    key_id: str | None,
    type_: str,
    action: str,
    data: dict[str, Any],
    notify: bool = True,
) -> Event:
    """Record an event; listeners hear of it after commit unless ``notify`` is False
    (a ``webhook_config.test`` event is delivered by its own task, to its own config)."""
    event = Event(
        id=new_id(),
        organisation_id=organisation_id,
        key_id=key_id,
        type=type_,
        action=action,
        data=data,
    )
    db.add(event)
    db.flush()
    event_id = event.id
    if notify:
        on_commit(db, lambda: _notify(event_id))
    return event
