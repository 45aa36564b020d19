"""A live sandbox (real TLS CONNECT proxy) and our connector pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import TransportOptions
from cloudtap.sandbox.runtime import RunningSandbox
from tests.support.sandbox import live_sandbox

PASSWORD = "sandbox-password"
CODE = "123456"
DOMAIN = "sandbox.cloudtap.dev"


class RequestLog:
    """An httpx request hook that records every call the connector makes to 'Apple'."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.urls.append(f"{request.method} {request.url.host}{request.url.path}")

    def clear(self) -> None:
        self.urls.clear()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path_factory.mktemp("sandbox-data")) as running:
        yield running


@pytest.fixture
def transport(sandbox: RunningSandbox) -> TransportOptions:
    return TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))


@pytest.fixture
def requests_made() -> RequestLog:
    return RequestLog()


@pytest.fixture
def connector(transport: TransportOptions, requests_made: RequestLog) -> ICloudConnector:
    return ICloudConnector(transport, request_hooks=[requests_made])


def apple_id(name: str) -> str:
    return f"{name}@{DOMAIN}"
