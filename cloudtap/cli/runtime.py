"""What ``serve`` and ``worker`` share: migrations, the first key, the sandbox."""

from __future__ import annotations

import logging
from typing import Any

from cloudtap.config import Settings
from cloudtap.jobs.connectors import set_sandbox_transport
from cloudtap.store.accounts import create_organisation, first_organisation, issue_key
from cloudtap.store.db import transaction
from cloudtap.store.migrate import upgrade

log = logging.getLogger(__name__)

DEFAULT_ORGANISATION = "default"


def prepare_database(settings: Settings) -> str | None:
    """Migrate; on a fresh database create an organisation and a sandbox key.

    Returns the new key's token (to show once) or None when the database had one.
    """
    upgrade(settings.database_url)
    with transaction(settings.database_url) as db:
        if first_organisation(db) is not None:
            return None
        org = create_organisation(db, DEFAULT_ORGANISATION)
        return issue_key(db, org.id, "sandbox").token


def start_sandbox(settings: Settings) -> Any | None:
    """Start the built-in sandbox if it is installed, and route sandbox keys to it."""
    try:
        from cloudtap.sandbox.runtime import start_sandbox as start
    except ImportError:
        log.warning("the sandbox runtime is not available; sandbox sessions will fail")
        return None
    running = start(settings)
    from cloudtap.icloud.connector import TransportOptions

    set_sandbox_transport(
        TransportOptions(proxy_url=running.proxy_url, ca_file=str(running.ca_file))
    )
    return running


def stop_sandbox(running: Any | None) -> None:
    if running is not None:
        set_sandbox_transport(None)
        running.close()
