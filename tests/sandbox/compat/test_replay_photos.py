"""A capture from the field, replayed: pyicloud lists and downloads a replay account.

The sandbox runs with ``CLOUDTAP_SANDBOX_CAPTURES`` pointing at the captures folder, as
a user would start it; unmodified pyicloud then sees exactly the captured library.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.photos.replay import REPLAY_PASSWORD, load_capture
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox
from tests.sandbox.compat.conftest import run_driver
from tests.sandbox.compat.photos_support import served_bytes

pytestmark = pytest.mark.compat

APPLE_ID = "replay-listing-photos@sandbox.cloudtap.dev"


@pytest.fixture(scope="module")
def replay_sandbox(
    tmp_path_factory: pytest.TempPathFactory, captures_dir: Path
) -> Iterator[RunningSandbox]:
    data_dir = tmp_path_factory.mktemp("sandbox-replay")
    settings = Settings.from_env(
        {"CLOUDTAP_DATA_DIR": str(data_dir), "CLOUDTAP_SANDBOX_CAPTURES": str(captures_dir)}
    )
    running = start_sandbox(settings)
    try:
        yield running
    finally:
        running.close()


def test_pyicloud_lists_exactly_the_captured_library(
    pyicloud_venv: Path, replay_sandbox: RunningSandbox, captures_dir: Path, tmp_path: Path
) -> None:
    account = replay_sandbox.world.account(APPLE_ID)
    assert account is not None and account.scenario == "replay:listing_photos.yml"
    zone = next(
        z for z in load_capture(captures_dir / "listing_photos.yml") if z.database == "private"
    )
    captured_names = [
        base64.b64decode(
            zone.masters[a["fields"]["masterRef"]["value"]["recordName"]]["fields"]["filenameEnc"][
                "value"
            ]
        ).decode()
        for a in zone.assets
    ]
    out = tmp_path / "original.bin"
    seen = run_driver(
        pyicloud_venv,
        "pyicloud_photos.py",
        [APPLE_ID, REPLAY_PASSWORD, str(tmp_path / "cookies"), str(out)],
        replay_sandbox,
        tmp_path,
    )
    assert seen["count"] == len(zone.assets) == 100
    assert sorted(seen["filenames"]) == sorted(captured_names)
    data = out.read_bytes()
    assert len(data) == seen["first_size"] > 0
    assert data == served_bytes(replay_sandbox, seen["first_url"])
