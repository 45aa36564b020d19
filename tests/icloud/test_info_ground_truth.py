"""Every info type cloudtap offers: each published field equals the sandbox's own value.

Expected values come from the sandbox account model and its content generators
(``content.devices.signed_in_devices``, ``content.storage.usage``), never from a reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, JSONDict, TransportOptions
from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import devices as device_gen
from cloudtap.sandbox.services.content import storage as storage_gen
from tests.icloud.datatypes.sandbox_session import world_account as account_of
from tests.support.sandbox import live_sandbox

DOMAIN = "sandbox.cloudtap.dev"
# A no-2FA account with devices and a family, a 2FA account, a mainland-China account.
ACCOUNTS = ["rich", "2fa-device", "china"]
TWO_FACTOR = {"none": "none", "2sv": "2sv"}  # every hsa2 flavour publishes "2fa"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path_factory.mktemp("info-ground-truth")) as running:
        yield running


@pytest.fixture(scope="module")
def connector(sandbox: RunningSandbox) -> ICloudConnector:
    return ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )


async def session_of(connector: ICloudConnector, name: str) -> JSONDict:
    apple_id = f"{name}@{DOMAIN}"
    outcome = await connector.login(Credentials(apple_id, PASSWORD), None)
    if outcome.state != "active":  # the 2FA account: the same login, finished with its code
        credentials = Credentials(apple_id, PASSWORD, code=CODE)
        outcome = await connector.login(credentials, outcome.session_state)
    assert outcome.state == "active" and outcome.session_state
    return outcome.session_state


def expected_info(account: SandboxAccount) -> dict[str, Any]:
    return {
        "id": account.dsid,
        "data_type": "icloud.account.info",
        "apple_id": account.apple_id,
        "full_name": account.full_name,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "primary_email": account.apple_id,
        "country": account.country,
        "language": "zh-cn" if account.china else "en-us",
        "two_factor": TWO_FACTOR.get(account.auth, "2fa"),
        "managed_apple_id": False,
        "china_mainland": account.china,
    }


def expected_devices(account: SandboxAccount) -> dict[str, Any]:
    return {
        "data_type": "icloud.account.devices",
        "devices": [
            {
                "name": d.device.name,
                "model": d.device.kind.raw_model,
                "model_name": d.device.kind.display_name,
                "serial_number": d.serial_number,
                "os_version": f"{d.os_name} {d.os_version}",
                "udid": d.udid,
            }
            for d in device_gen.signed_in_devices(account.content, account.first_name)
        ],
    }


def expected_storage(account: SandboxAccount) -> dict[str, Any]:
    meter = storage_gen.usage(account)
    return {
        "data_type": "icloud.account.storage",
        "total_bytes": meter.total_bytes,
        "used_bytes": meter.used_bytes,
        "available_bytes": meter.total_bytes - meter.used_bytes,
        "drive_used_bytes": next(m.used_bytes for m in meter.media if m.key == "docs"),
        "by_category": [{"name": m.label, "used_bytes": m.used_bytes} for m in meter.media],
    }


EXPECTED = {
    "icloud.account.info": expected_info,
    "icloud.account.devices": expected_devices,
    "icloud.account.storage": expected_storage,
}


def test_every_offered_info_type_is_covered(connector: ICloudConnector) -> None:
    assert set(connector.info_types()) == {*EXPECTED, "icloud.account.data_types"}


@pytest.mark.parametrize("name", ACCOUNTS)
@pytest.mark.parametrize("info_type", sorted(EXPECTED))
async def test_info_type_is_the_accounts_own(
    sandbox: RunningSandbox, connector: ICloudConnector, name: str, info_type: str
) -> None:
    account = account_of(sandbox, name)
    published = await connector.fetch_info(await session_of(connector, name), info_type)
    assert published == EXPECTED[info_type](account)


async def test_rich_account_has_devices_to_compare(sandbox: RunningSandbox) -> None:
    """The device comparison above is not vacuous, and covers a non-ASCII name."""
    account = account_of(sandbox, "rich")
    listed = device_gen.signed_in_devices(account.content, account.first_name)
    assert len(listed) >= 4 and any(not d.device.name.isascii() for d in listed)


@pytest.mark.parametrize("name", ACCOUNTS)
async def test_data_types_are_those_the_account_offers(
    sandbox: RunningSandbox, connector: ICloudConnector, name: str
) -> None:
    state = await session_of(connector, name)
    published = await connector.fetch_info(state, "icloud.account.data_types")
    # Every sandbox account has every service cloudtap implements.
    assert published == {
        "data_type": "icloud.account.data_types",
        "data_types": [
            {"id": data_type, "available": True} for data_type in sorted(connector.data_types())
        ],
    }
