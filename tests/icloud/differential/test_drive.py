"""Unmodified pyicloud 2026.10.1 and cloudtap read the same sandbox iCloud Drive and
agree on the tree (paths, names, kinds, sizes, dates) and on the downloaded bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import TransportOptions
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.client.conftest import PASSWORD, apple_id
from tests.icloud.datatypes.sandbox_session import session
from tests.icloud.differential.conftest import cloudtap_view, pyicloud_view

pytestmark = pytest.mark.compat

ACCOUNT = "rich"  # nested folders, packages, an empty file, unicode names, trash
MAX_DOWNLOAD = 2**20  # the 200 MB film is compared by size and dates, not bytes


def _utc(text: str | None) -> datetime | None:
    """pyicloud's naive UTC and cloudtap's ``…Z``, as one aware moment."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_pyicloud_and_cloudtap_agree_on_the_tree_and_the_bytes(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    args = [apple_id(ACCOUNT), PASSWORD, str(tmp_path / "cookies"), str(MAX_DOWNLOAD)]
    theirs: list[dict[str, Any]] = pyicloud_view(
        pyicloud_venv, "pyicloud_drive.py", args, sandbox, tmp_path
    )
    items = await cloudtap_view(sandbox, ACCOUNT, "icloud_drive.files")
    ours = {i["path"]: i for i in items if i["path"]}  # pyicloud lists the root's children
    assert sorted(n["path"] for n in theirs) == sorted(ours)
    downloads = 0
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    state = await session(connector, ACCOUNT)
    for node in theirs:
        item = ours[node["path"]]
        assert item["name"] == node["name"]
        assert item["kind"] == node["type"], node["path"]
        assert item["trashed"] == node["trashed"]
        if node["type"] == "file":
            # pyicloud reads a zero size as "no size".
            assert item["size"] == (node["size"] or 0)
        assert _utc(item["date_modified"]) == _utc(node["date_modified"])
        assert _utc(item["date_changed"]) == _utc(node["date_changed"])
        assert _utc(item["date_last_opened"]) == _utc(node["date_last_open"])
        if node["sha256"] is not None:
            stream = await connector.open_file(state, item["files"][0]["id"])
            got = b"".join([chunk async for chunk in stream.iter_bytes()])
            assert hashlib.sha256(got).hexdigest() == node["sha256"], node["path"]
            downloads += 1
    assert downloads >= 10
    assert {"Holiday.mov", "Essay.pages", "Empty.txt"} <= {n["name"] for n in theirs}
    # The folder another Apple ID shares with rich@, down to a file in a folder in it.
    shared = {"Trip with Sam", "Trip with Sam/Day 1", "Trip with Sam/Day 1/beach.jpg"}
    assert shared <= {n["path"] for n in theirs}
    assert all(n["sha256"] for n in theirs if n["path"] == "Trip with Sam/Day 1/beach.jpg")
    assert all(ours[p]["shared"] for p in shared)
