"""The one place that decides which :class:`Connector` a job uses.

Sandbox keys reach the deployment's one sandbox through its TLS proxy (this process's,
or the one :mod:`cloudtap.jobs.sandbox_endpoint` finds); live keys reach Apple. One code
path: only the transport differs. Every connector gets the deployment-wide per-Apple-ID
locks of :mod:`cloudtap.jobs.locks`. Tests of the job layer may install their own
connector factory with :func:`set_connector_factory`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cloudtap.config import get_settings
from cloudtap.icloud.connector import Connector, TransportOptions
from cloudtap.icloud.errors import ICloudError
from cloudtap.icloud.transport import add_exchange_observer
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.sandbox_endpoint import discover
from cloudtap.mocks.connector import SOURCE_TYPE as MOCK_SOURCE_TYPE
from cloudtap.mocks.connector import MockConnector
from cloudtap.ops.metrics import observe_apple

# Every request a job's connector makes to Apple (or the sandbox) is counted and timed.
add_exchange_observer(observe_apple)


class ConnectorUnavailable(ICloudError):
    """No iCloud client is installed, or no sandbox can be found."""

    code = "connector-unavailable"


ConnectorFactory = Callable[[str], Connector]

_lock = threading.Lock()
_factory: ConnectorFactory | None = None
_sandbox_transport: TransportOptions | None = None


def set_connector_factory(factory: ConnectorFactory | None) -> None:
    """Replace how connectors are made (``None`` restores the real one)."""
    global _factory
    with _lock:
        _factory = factory


def set_sandbox_transport(transport: TransportOptions | None) -> None:
    """Called by ``cloudtap serve`` for the sandbox it runs or was pointed at."""
    global _sandbox_transport
    with _lock:
        _sandbox_transport = transport


def connector_for(environment: str, source_type: str = "icloud.account") -> Connector:
    if source_type == MOCK_SOURCE_TYPE:
        # The API lets only sandbox keys open mock sources; checked again here.
        if environment != "sandbox":
            raise ConnectorUnavailable("mocks.mock is a test source for sandbox keys")
        return MockConnector()
    with _lock:
        factory, sandbox = _factory, _sandbox_transport
    if factory is not None:
        return factory(environment)
    try:
        from cloudtap.icloud.client.connector import ICloudConnector
    except ImportError as exc:
        raise ConnectorUnavailable("the iCloud client is not installed") from exc
    settings = get_settings()
    locks = lock_provider_for(settings)
    if environment == "sandbox":
        transport = sandbox or discover(settings)
        if transport is None:
            raise ConnectorUnavailable(
                "no sandbox found: run `cloudtap serve` with this data dir, "
                "or set CLOUDTAP_SANDBOX_PROXY_URL"
            )
        return ICloudConnector(transport, locks=locks)
    return ICloudConnector(TransportOptions(), locks=locks)
