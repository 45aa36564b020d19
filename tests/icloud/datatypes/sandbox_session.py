"""Shared steps of the ground-truth tests: log into a sandbox account through the real
TLS proxy, read every item of a data type, download a file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict
from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.client.conftest import PASSWORD, apple_id


def world_account(sandbox: RunningSandbox, name: str) -> SandboxAccount:
    account = sandbox.world.account(apple_id(name))
    assert account is not None, f"no sandbox account {name}"
    return account


async def session(connector: ICloudConnector, name: str) -> JSONDict:
    outcome = await connector.login(Credentials(apple_id(name), PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    return outcome.session_state


async def items(
    connector: ICloudConnector, state: JSONDict, data_type: str, filters: Filters | None = None
) -> list[JSONDict]:
    return [i async for i in connector.fetch_items(state, data_type, filters or Filters())]


async def download(connector: ICloudConnector, state: JSONDict, file_id: str) -> bytes:
    stream = await connector.open_file(state, file_id)
    return b"".join([chunk async for chunk in stream.iter_bytes()])


def moment(published: str | None) -> datetime | None:
    """A published ISO time as an aware datetime (to compare instants, not spellings)."""
    if published is None:
        return None
    value = datetime.fromisoformat(published.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def from_ms(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


async def assert_published_as_world(
    connector: ICloudConnector, name: str, data_type: str, expected: dict[str, dict[str, Any]]
) -> None:
    """Every ``data_type`` item of account ``name`` is its ``expected`` entry (by id; its
    ``date`` compared as an instant), and there are as many items as entries."""
    published = await items(connector, await session(connector, name), data_type)
    assert len(published) == len(expected)
    for item in published:
        assert {**item, "date": moment(item["date"])} == expected[item["id"]], item["id"]


def assert_spans_retention(dates: list[datetime], now: datetime, days: int) -> None:
    """``dates`` reach back to ``days`` before ``now`` (within two days), none past ``now``."""
    window = timedelta(days=days)
    assert now - window <= min(dates) < now - window + timedelta(days=2) and max(dates) <= now
