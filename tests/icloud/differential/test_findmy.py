"""Unmodified pyicloud 2026.10.1 and cloudtap read the same sandbox Find My account and
agree on every device: count, name, model, class, battery and, when located, where."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.findmy import DELAY_ENV
from tests.icloud.differential.conftest import cloudtap_view, pyicloud_account_view
from tests.support.sandbox import live_sandbox

pytestmark = pytest.mark.compat

ACCOUNT = "rich"  # own devices, three family members, unreachable devices


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(
        tmp_path_factory.mktemp("differential-findmy"),
        start_env={DELAY_ENV: "0"},  # devices report on the first call, for both clients
    ) as running:
        yield running


async def test_pyicloud_and_cloudtap_agree_on_every_device(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    theirs = pyicloud_account_view(pyicloud_venv, "pyicloud_findmy.py", ACCOUNT, sandbox, tmp_path)
    ours = {item["id"]: item for item in await cloudtap_view(sandbox, ACCOUNT, "fmip.devices")}
    devices = theirs["devices"]
    assert len(devices) == len(ours) > 0
    for device in devices:
        item = ours[stable_id("fmip", device["id"])]
        assert item["name"] == device["name"]
        assert item["model_name"] == device["model_name"]
        assert item["model_identifier"] == device["raw_model"]
        assert item["product_type"] == device["device_type"]
        assert item["battery_level"] == device["battery_level"]
        assert item["battery_status"] == device["battery_status"]
        owner = item["owner"]
        assert (owner["id"] if owner else None) == device["prs_id"]
        if device["location"] is None:
            assert item["location"] is None, device["name"]
        else:
            location = item["location"]
            assert location is not None, device["name"]
            assert location["latitude"] == device["location"]["latitude"]
            assert location["longitude"] == device["location"]["longitude"]
    # The comparison covered family devices, located and unlocated ones, unicode names.
    assert {o["id"] for o in (i["owner"] for i in ours.values()) if o} == set(theirs["members"])
    assert any(d["location"] for d in devices) and any(not d["location"] for d in devices)
    assert any(not d["name"].isascii() for d in devices)
