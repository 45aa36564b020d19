"""What ``serve`` and ``worker`` share: migrations, the first key, the one sandbox."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any

from cloudtap.config import Settings
from cloudtap.jobs.connectors import set_sandbox_transport
from cloudtap.jobs.sandbox_endpoint import discover, endpoint_path, publish, withdraw
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


def exit_cleanly_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so ``finally`` blocks stop the consumer and
    withdraw the published sandbox. uvicorn re-raises the signal it caught once it has
    shut down; with the default handler the process would die on the spot."""

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


_publishers: dict[int, Settings] = {}


def start_sandbox(settings: Settings) -> Any | None:
    """Give this deployment its one sandbox and route this process's sandbox keys to it.

    With ``CLOUDTAP_SANDBOX_PROXY_URL`` set, the sandbox runs elsewhere: use it, start
    nothing (returns None). Otherwise start the built-in one and publish its address in
    the data dir, where co-located ``cloudtap worker`` processes find it.
    """
    from cloudtap.icloud.connector import TransportOptions

    if settings.sandbox_proxy_url:
        log.info("sandbox keys use the sandbox at %s", settings.sandbox_proxy_url)
        set_sandbox_transport(discover(settings))
        return None
    try:
        from cloudtap.sandbox.runtime import start_sandbox as start
    except ImportError:
        log.warning("the sandbox runtime is not available; sandbox sessions will fail")
        return None
    running = start(settings)
    set_sandbox_transport(
        TransportOptions(proxy_url=running.proxy_url, ca_file=str(running.ca_file))
    )
    publish(settings, running.proxy_url, running.ca_file)
    _publishers[id(running)] = settings
    log.info("sandbox proxy on %s, published in %s", running.proxy_url, endpoint_path(settings))
    return running


def stop_sandbox(running: Any | None) -> None:
    set_sandbox_transport(None)
    if running is not None:
        published = _publishers.pop(id(running), None)
        if published is not None:
            withdraw(published, running.proxy_url)
        running.close()


def describe_worker_sandbox(settings: Settings) -> str:
    """What a worker will use for sandbox keys (it never starts a sandbox itself)."""
    found = discover(settings)
    if settings.sandbox_proxy_url:
        return f"sandbox keys use the sandbox at {settings.sandbox_proxy_url}"
    if found is not None:
        return f"sandbox keys use the sandbox published by `cloudtap serve` at {found.proxy_url}"
    return (
        f"no sandbox published yet in {endpoint_path(settings)}: sandbox jobs will look "
        "again when they run (start `cloudtap serve` with this data dir, "
        "or set CLOUDTAP_SANDBOX_PROXY_URL)"
    )
