"""``fmip.devices``: every field cloudtap publishes equals the sandbox world's own device.

Expected values come from the Find My content generator (``sandbox.services.content.
devices``) and the account model, never from the sandbox's reply: the account's own
devices and its family's, devices that never report a location (AirPods, an offline
iMac), and names outside ASCII.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import devices as gen
from cloudtap.sandbox.services.findmy import DELAY_ENV
from tests.icloud.datatypes.sandbox_session import world_account
from tests.support.sandbox import live_sandbox

DOMAIN = "sandbox.cloudtap.dev"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(
        tmp_path_factory.mktemp("findmy-ground-truth"),
        start_env={DELAY_ENV: "0"},  # devices report on the first call
    ) as running:
        yield running


async def published(sandbox: RunningSandbox, name: str) -> tuple[list[JSONDict], float, float]:
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    outcome = await connector.login(Credentials(f"{name}@{DOMAIN}", PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    before = time.time()
    stream = connector.fetch_items(outcome.session_state, "fmip.devices", Filters())
    items = [item async for item in stream]
    return items, before, time.time()


def expected_owner(account: SandboxAccount, device: gen.Device) -> dict[str, Any] | None:
    if device.member == 0:
        return None
    first, last = gen.member_name(account.content.seed, device.member)
    return {
        "id": str(device.owner_prs_id),
        "first_name": first,
        "last_name": last,
        "apple_id": gen.member_apple_id(account.content.seed, device.member),
    }


def expected_location(device: gen.Device) -> dict[str, Any] | None:
    if not device.kind.reachable:
        return None
    return {
        "data_type": "location",
        "latitude": device.latitude,
        "longitude": device.longitude,
        "altitude": 0.0,
        "horizontal_accuracy": device.horizontal_accuracy,
        "vertical_accuracy": 0.0,
        "positioning_type": device.positioning,
        "is_old": False,
    }


def expected_item(account: SandboxAccount, device: gen.Device) -> dict[str, Any]:
    return {
        "id": stable_id("fmip", device.id),
        "data_type": "fmip.device",
        "name": device.name,
        "model_name": device.kind.display_name,
        "model_identifier": device.kind.raw_model,
        "product_type": device.kind.device_class,
        "battery_status": device.battery_status,
        "battery_level": device.battery_level,
        "low_power_mode": device.low_power_mode,
        "lost_mode_enabled": False,
        "owner": expected_owner(account, device),
        "location": expected_location(device),
    }


@pytest.mark.parametrize("name", ["rich", "calls-20k"])  # with and without a family
async def test_every_published_field_is_the_worlds_own(sandbox: RunningSandbox, name: str) -> None:
    account = world_account(sandbox, name)
    truth = gen.devices(account.content, account.first_name, with_family=True)
    items, before, after = await published(sandbox, name)

    assert truth and len(items) == len(truth)
    by_id = {item["id"]: item for item in items}
    assert len(by_id) == len(items)  # ids are unique
    for device in truth:
        item = dict(by_id[stable_id("fmip", device.id)])
        location = item["location"]
        if location is not None:
            # The fix is taken during this poll (the sandbox's locate delay is 0 here).
            taken = datetime.fromisoformat(location.pop("date_created")).timestamp()
            assert before - 1 <= taken <= after + 1, device.name
        assert item == expected_item(account, device), device.name


async def test_the_rich_account_covers_the_hard_cases(sandbox: RunningSandbox) -> None:
    """The cases above are really exercised: family, no location, unicode names."""
    account = world_account(sandbox, "rich")
    truth = gen.devices(account.content, account.first_name, with_family=True)
    items, _, _ = await published(sandbox, "rich")
    assert {d.member for d in truth} == set(range(account.content.family_members + 1))
    assert any(not d.kind.reachable for d in truth)
    assert any(not d.name.isascii() for d in truth)
    published_names = {item["name"] for item in items}
    assert {d.name for d in truth} == published_names
    assert sum(1 for item in items if item["owner"] is not None) == sum(
        1 for d in truth if d.member
    )
