"""The one place that decides which :class:`Connector` a job uses.

Sandbox keys reach the built-in sandbox through its TLS proxy; live keys reach Apple.
One code path: only the transport differs. Tests of the job layer may install their own
connector factory with :func:`set_connector_factory`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cloudtap.icloud.connector import Connector, TransportOptions
from cloudtap.icloud.errors import ICloudError


class ConnectorUnavailable(ICloudError):
    """No iCloud client is installed, or the sandbox is not running in this process."""

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
    """Called by whoever started the sandbox (``cloudtap serve``/``worker``)."""
    global _sandbox_transport
    with _lock:
        _sandbox_transport = transport


def sandbox_transport() -> TransportOptions | None:
    return _sandbox_transport


def connector_for(environment: str) -> Connector:
    with _lock:
        factory, sandbox = _factory, _sandbox_transport
    if factory is not None:
        return factory(environment)
    try:
        from cloudtap.icloud.client.connector import ICloudConnector
    except ImportError as exc:
        raise ConnectorUnavailable("the iCloud client is not installed") from exc
    if environment == "sandbox":
        if sandbox is None:
            raise ConnectorUnavailable("the sandbox is not running in this process")
        return ICloudConnector(sandbox)
    return ICloudConnector(TransportOptions())
