"""pyicloud's view of a Photos account and cloudtap's ``icpl.photos`` items must agree.

Both read the same sandbox account through the same TLS proxy: the same assets (private
library and Shared Library), and for each the same filename, original size, capture
date, upload date and original dimensions; every file size pyicloud offers is one of
the files cloudtap publishes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.differential.conftest import pyicloud_view

pytestmark = pytest.mark.compat

APPLE_ID = "shared@sandbox.cloudtap.dev"  # 30 assets, and 12 in a Shared Library


async def _cloudtap_items(sandbox: RunningSandbox) -> list[JSONDict]:
    transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    connector = ICloudConnector(transport)
    outcome = await connector.login(Credentials(APPLE_ID, PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    stream = connector.fetch_items(outcome.session_state, "icpl.photos", Filters())
    return [item async for item in stream]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _key(item: JSONDict) -> tuple[str, str]:
    """(zone, master record name) of an item, from its original's file id."""
    ref = PhotoFileRef.parse(item["files"][0]["id"])
    return ref.zone_name, ref.record_name


async def test_pyicloud_and_cloudtap_see_the_same_photos(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    account = sandbox.world.account(APPLE_ID)
    assert account is not None and isinstance(account.photos, GeneratedLibrary)
    assert account.photos.shared_count > 0
    view: dict[str, Any] = pyicloud_view(
        pyicloud_venv,
        "pyicloud_photos.py",
        [APPLE_ID, PASSWORD, str(tmp_path / "cookies")],
        sandbox,
        tmp_path,
    )
    items = {_key(item): item for item in await _cloudtap_items(sandbox)}
    theirs = {(a["zone"], a["master_id"]): a for a in view["assets"]}

    assert any(k.startswith("shared:SharedSync-") for k in view["libraries"])
    assert any(zone.startswith("SharedSync-") for zone, _ in theirs)
    assert len(theirs) == len(view["assets"]) == len(items) > 30
    assert set(theirs) == set(items)
    for key, seen in theirs.items():
        item = items[key]
        original = item["files"][0]
        assert item["filename"] == seen["filename"], key
        assert original["size"] == seen["size"], key
        assert (original["width"], original["height"]) == (seen["width"], seen["height"]), key
        assert _moment(item["date_created"]) == _moment(seen["created"]), key
        assert _moment(item["date_uploaded"]) == _moment(seen["added"]), key
        ours = sorted(f["size"] for f in item["files"])
        assert all(size in ours for size in seen["version_sizes"]), (key, seen, ours)
