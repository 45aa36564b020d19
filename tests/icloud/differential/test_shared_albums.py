"""pyicloud 2026.10.1's shared albums (``photos.shared_streams``) and cloudtap's agree.

Both read ``rich@`` (an album it owns, one it subscribes to with two contributors)
through the same TLS proxy: the same albums (guids, names, sharing, creation dates,
counts) and, for every album, the same photos in the same order with the same filenames
and the same original bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, TransportOptions
from cloudtap.icloud.datatypes.icpl_albums import AlbumRef
from cloudtap.icloud.datatypes.icpl_shared_albums import photo_item_id
from cloudtap.icloud.files.shared_photo import SharedPhotoFileRef
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.datatypes.sandbox_session import download, items, session
from tests.icloud.differential.conftest import pyicloud_account_view

pytestmark = pytest.mark.compat


async def test_pyicloud_and_cloudtap_see_the_same_shared_albums_and_photos(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    view: dict[str, Any] = pyicloud_account_view(
        pyicloud_venv, "pyicloud_shared_albums.py", "rich", sandbox, tmp_path
    )
    theirs = view["albums"]
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    state = await session(connector, "rich")
    ours = [a for a in await items(connector, state, "icpl.albums") if a["kind"] == "shared"]

    assert [AlbumRef.parse(a["id"]).key for a in ours] == [a["id"] for a in theirs]
    assert [a["name"] for a in ours] == [a["name"] for a in theirs]
    assert [a["sharing"] for a in ours] == [a["sharing_type"] for a in theirs]
    assert [a["asset_count"] for a in ours] == [a["count"] for a in theirs]
    for album, their in zip(ours, theirs, strict=True):
        created = datetime.fromisoformat(album["date_created"].replace("Z", "+00:00"))
        assert created == datetime.fromisoformat(their["created"])
        photos = await items(connector, state, "icpl.photos", Filters(albums=(album["id"],)))
        guid = their["id"]
        assert [p["id"] for p in photos] == [photo_item_id(guid, t["id"]) for t in their["photos"]]
        assert [p["filename"] for p in photos] == [t["filename"] for t in their["photos"]]
        for photo, their_photo in zip(photos, their["photos"], strict=True):
            original = next(
                f["id"]
                for f in photo["files"]
                if SharedPhotoFileRef.parse(f["id"]).resource == "resOriginal"
            )
            data = await download(connector, state, original)
            assert hashlib.sha256(data).hexdigest() == their_photo["sha256"], photo["filename"]
    # Not vacuous: two albums, one subscribed, and photos in each.
    assert {a["sharing_type"] for a in theirs} == {"owned", "subscribed"}
    assert all(a["photos"] for a in theirs)
