"""pyicloud 2026.10.1's albums and cloudtap's ``icpl.albums`` must agree, album by album.

Both read ``rich@`` (nested folders, an empty album, a unicode name) through the same TLS
proxy: the same albums (names, kinds, counts) and, for every album, the same assets in the
same order (cloudtap's ``icpl.photos`` limited to that album by the filter ``albums``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, TransportOptions
from cloudtap.icloud.datatypes.icpl_photos import asset_item_id
from cloudtap.icloud.services.photos import PhotoZone
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.datatypes.sandbox_session import items, session
from tests.icloud.differential.conftest import pyicloud_account_view

pytestmark = pytest.mark.compat

PRIMARY = PhotoZone("private", {"zoneName": "PrimarySync"})


async def test_pyicloud_and_cloudtap_see_the_same_albums_and_their_assets(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    view: dict[str, Any] = pyicloud_account_view(
        pyicloud_venv, "pyicloud_albums.py", "rich", sandbox, tmp_path
    )
    theirs = {a["name"]: a for a in view["albums"]}
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    state = await session(connector, "rich")
    ours = {
        a["name"]: a
        for a in await items(connector, state, "icpl.albums")
        if a["kind"] not in ("shared_library", "shared")  # shared: test_shared_albums
    }

    assert len(theirs) == len(view["albums"])  # names are unique on both sides
    assert {n: a["kind"] for n, a in ours.items()} == {n: a["kind"] for n, a in theirs.items()}
    assert {"Rome", "Europe", "Empty", "Été à Tōkyō 🌸", "Favorites"} <= set(ours)
    for name, album in ours.items():
        if album["kind"] == "folder":
            continue  # pyicloud counts a folder's relations (none); cloudtap publishes null
        assert album["asset_count"] == theirs[name]["count"], name
        listed = await items(connector, state, "icpl.photos", Filters(albums=(album["id"],)))
        expected = [asset_item_id(PRIMARY, asset_id) for asset_id in theirs[name]["ids"]]
        assert [i["id"] for i in listed] == expected, name
    # Not vacuous: most albums hold assets, and the Library's order is pyicloud's own.
    assert sum(1 for a in theirs.values() if a["ids"]) >= 8
    assert len(theirs["Library"]["ids"]) == ours["Library"]["asset_count"] > 0
