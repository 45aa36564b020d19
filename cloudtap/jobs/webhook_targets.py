"""Whether a database has any webhook config: without one, no event can be delivered.

A delivery job for an event no config can receive reads the event and its key's
config and leaves it ``pending`` (redeliverable once a config exists). Every commit that
records events would otherwise queue such a job (a poll's life queues several), so the
listener first asks this: one query at most every ``KNOWN_FOR_SECONDS`` per database.
A config saved through this process is known as soon as it commits; one saved by
another process (another ``serve``, a ``cloudtap worker``) within that second, as the
key cache (``cloudtap.api.auth``) treats keys. Events recorded meanwhile stay pending.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import event, exists, select
from sqlalchemy.orm import object_session

from cloudtap.store.db import on_commit, transaction
from cloudtap.store.models import WebhookConfig

KNOWN_FOR_SECONDS = 1.0

# database URL -> (whether a config exists, time.monotonic() until which that holds)
_known: dict[str, tuple[bool, float]] = {}
_lock = threading.Lock()


def _forget() -> None:
    with _lock:
        _known.clear()


def _config_changed(_mapper: Any, _connection: Any, target: WebhookConfig) -> None:
    _forget()
    db = object_session(target)
    if db is not None:  # and again once it commits: a look meanwhile saw none
        on_commit(db, _forget)


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(WebhookConfig, _change, _config_changed)


def any_webhook_config(database_url: str) -> bool:
    now = time.monotonic()
    with _lock:
        known = _known.get(database_url)
    if known is not None and known[1] > now:
        return known[0]
    with transaction(database_url) as db:
        found = bool(db.scalar(select(exists().where(WebhookConfig.id.is_not(None)))))
    with _lock:
        _known[database_url] = (found, now + KNOWN_FOR_SECONDS)
    return found
