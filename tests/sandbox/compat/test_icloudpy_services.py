"""Unmodified icloudpy 0.11.0, through the live proxy: Find My and contacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox
from cloudtap.sandbox.services.findmy import DELAY_ENV
from tests.sandbox.compat.conftest import run_driver

pytestmark = pytest.mark.compat

RICH = "rich@sandbox.cloudtap.dev"


@pytest.fixture(scope="module")
def fast_locate_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    data_dir = tmp_path_factory.mktemp("sandbox-services")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DELAY_ENV, "0.5-1.5")
        running = start_sandbox(Settings.from_env({"CLOUDTAP_DATA_DIR": str(data_dir)}))
    try:
        yield running
    finally:
        running.close()


def test_find_my_and_contacts(
    icloudpy_venv: Path, fast_locate_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    args = [RICH, PASSWORD, str(tmp_path / "cookies"), "2"]
    out = run_driver(icloudpy_venv, "icloudpy_services.py", args, fast_locate_sandbox, tmp_path)
    account = fast_locate_sandbox.world.account(RICH)
    assert account is not None
    assert out["located_at_first"] == 0
    located = [d for d in out["devices"] if d["location"]]
    assert located and all("latitude" in d["location"] for d in located)
    assert all(d["status"]["name"] for d in out["devices"])
    assert out["contacts"] == account.content.contacts
    assert out["first_contact"]["firstName"]
