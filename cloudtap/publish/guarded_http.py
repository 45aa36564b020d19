"""botocore's HTTP connections, made to vet and pin their address through the guard.

boto3 resolves and connects by itself, so the outbound guard is applied where the
socket is opened: the host is resolved once, every address vetted, and the connection
made to the vetted address (TLS still checks the certificate against the host name).
"""

from __future__ import annotations

import socket
from typing import Any

from botocore.awsrequest import (
    AWSHTTPConnection,
    AWSHTTPConnectionPool,
    AWSHTTPSConnection,
    AWSHTTPSConnectionPool,
)
from urllib3.exceptions import NewConnectionError

from cloudtap.publish.outbound import OutboundURLGuard, UnsafeURL


def _guarded(connection: type[Any], guard: OutboundURLGuard) -> type[Any]:
    class GuardedConnection(connection):
        def _new_conn(self) -> socket.socket:
            host: str = getattr(self, "_dns_host")  # noqa: B009 - urllib3's private name
            try:
                address = guard.vet(host, self.port)
            except UnsafeURL as exc:
                raise NewConnectionError(self, f"refused: {exc}") from exc
            # Connect to the address just vetted rather than resolving the name again.
            self._dns_host = address
            try:
                sock: socket.socket = super()._new_conn()
            finally:
                self._dns_host = host
            return sock

    return GuardedConnection


def install_guard(client: Any, guard: OutboundURLGuard) -> None:
    """Every connection ``client`` (a boto3 client) opens from now on goes through ``guard``."""
    # botocore shares this dict with its pool managers (proxied ones too).
    pools: dict[str, type[Any]] = client._endpoint.http_session._pool_classes_by_scheme
    pools["http"] = type(
        "GuardedHTTPPool",
        (AWSHTTPConnectionPool,),
        {"ConnectionCls": _guarded(AWSHTTPConnection, guard)},
    )
    pools["https"] = type(
        "GuardedHTTPSPool",
        (AWSHTTPSConnectionPool,),
        {"ConnectionCls": _guarded(AWSHTTPSConnection, guard)},
    )
