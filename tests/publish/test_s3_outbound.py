"""The S3 store's connections go through the outbound guard, at connect time.

The host is resolved by the guard, every address vetted, and the socket opened to the
vetted address: a name that resolves to loopback (DNS rebinding) never gets a
connection, and an allowed name is reached at exactly the address that was checked.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloudtap.publish.outbound import OutboundURLGuard, UnsafeURL
from cloudtap.publish.s3 import S3Error, S3ResultStore
from tests.support.s3_server import local_s3
from tests.support.tcp_listener import CountingListener

KEYS = {"access_key_id": "AKIDTESTKEY", "secret_access_key": "test-secret-key"}


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("nxdomain")
        return table[host]

    return resolve


@pytest.fixture
def target() -> Iterator[CountingListener]:
    with CountingListener() as listener:
        yield listener


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"]],
)
def test_a_name_resolving_to_loopback_gets_no_connection(
    target: CountingListener, addresses: list[str]
) -> None:
    guard = OutboundURLGuard(resolver=resolver({"s3.rebind.test": addresses}))
    endpoint = f"http://s3.rebind.test:{target.port}"
    store = S3ResultStore("s3://bucket/p", {**KEYS, "endpoint_url": endpoint}, guard=guard)
    with pytest.raises(S3Error), store.writer("a.json") as (sink, _stored):
        sink.write(b"{}")
    with pytest.raises(FileNotFoundError):
        store.read("a.json")
    assert target.connections == 0


def test_system_dns_answering_loopback_gets_no_connection(
    target: CountingListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile DNS answer, as the whole process sees it: the guard's own lookup and
    boto3's would both say loopback. Without the guard boto3 would connect."""
    real_getaddrinfo = socket.getaddrinfo

    def hostile(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "bucket-host.rebind.test":
            host = "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hostile)
    endpoint = f"http://bucket-host.rebind.test:{target.port}"
    store = S3ResultStore(
        "s3://bucket/p", {**KEYS, "endpoint_url": endpoint}, guard=OutboundURLGuard()
    )
    with pytest.raises(S3Error), store.writer("a.json") as (sink, _stored):
        sink.write(b"{}")
    assert target.connections == 0


@pytest.mark.parametrize(
    "endpoint",
    ["http://169.254.169.254", "http://127.0.0.1:9000", "http://[::1]:9000", "http://localhost"],
)
def test_a_forbidden_literal_endpoint_is_refused_before_any_client_exists(endpoint: str) -> None:
    with pytest.raises(UnsafeURL):
        S3ResultStore("s3://b", {**KEYS, "endpoint_url": endpoint}, guard=OutboundURLGuard())


def test_the_connection_goes_to_the_vetted_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """``s3.pinned.test`` exists only in the guard's resolver, so the round trip works
    only because the socket is opened to the address the guard vetted."""
    import moto.settings

    # moto would read the bucket from an unknown Host name; this store uses path style.
    monkeypatch.setattr(moto.settings, "S3_IGNORE_SUBDOMAIN_BUCKETNAME", True)
    with local_s3() as s3:
        port = s3.endpoint_url.rsplit(":", 1)[1]
        guard = OutboundURLGuard(
            allow=["s3.pinned.test"], resolver=resolver({"s3.pinned.test": ["127.0.0.1"]})
        )
        store = S3ResultStore(
            f"s3://{s3.bucket}",
            {**KEYS, "endpoint_url": f"http://s3.pinned.test:{port}"},
            guard=guard,
        )
        with store.writer("pinned.json") as (sink, stored):
            sink.write(b'{"ok": true}')
        assert b"".join(store.read(stored[0].location)) == b'{"ok": true}'
        assert s3.keys() == ["pinned.json"]
