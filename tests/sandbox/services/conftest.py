"""An in-process sandbox with one content-rich account, reached over httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import httpx
import pytest

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld


class ServiceClient(Protocol):
    """The ``service_client`` fixture: opens a client for one service host."""

    def __call__(
        self, service: str, signed_in: bool = True
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]: ...


RICH = ContentSpec(
    seed=7,
    devices=6,
    family_members=2,
    contacts=300,
    events=2000,
    notes=120,
    calls=400,
    history=800,
)


def make_account(
    content: ContentSpec = RICH, apple_id: str = "rich@sandbox.test"
) -> SandboxAccount:
    return SandboxAccount(
        apple_id=apple_id,
        password="sandbox-password",
        scenario="test",
        dsid="20000001",
        first_name="Robin",
        last_name="Rich",
        content=content,
    )


@pytest.fixture
def account() -> SandboxAccount:
    return make_account()


@pytest.fixture
def world(account: SandboxAccount) -> SandboxWorld:
    return SandboxWorld.with_accounts([account])


@pytest.fixture
def service_client(world: SandboxWorld, account: SandboxAccount) -> ServiceClient:
    """``async with service_client("contacts") as client`` → a signed-in client for that host."""

    @asynccontextmanager
    async def open_client(service: str, signed_in: bool = True) -> AsyncIterator[httpx.AsyncClient]:
        app = SandboxApp(world)
        cookies = {}
        if signed_in:
            cookies[WEB_SESSION_COOKIE] = world.issue_web_session(account).token
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"https://p61-{service}.icloud.com",
            cookies=cookies,
        ) as client:
            yield client

    return open_client
