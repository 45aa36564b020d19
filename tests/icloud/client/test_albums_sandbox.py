"""What listing albums costs in Apple requests, through the sandbox proxy: the folder walk
asks once per folder, every album and smart album is counted in one lookup, and each
shared album costs one page of photos after the shared-album list."""

from __future__ import annotations

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters
from tests.icloud.client.conftest import PASSWORD, RequestLog, apple_id


async def test_listing_rich_albums_costs_ten_requests_and_three_for_shared_ones(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    outcome = await connector.login(Credentials(apple_id("rich"), PASSWORD), None)
    assert outcome.session_state
    requests_made.clear()
    stream = connector.fetch_items(outcome.session_state, "icpl.albums", Filters())
    albums = [item async for item in stream]
    folders = [a for a in albums if a["kind"] == "folder"]
    shared = [a for a in albums if a["kind"] == "shared"]
    assert len(folders) == 2 and len(albums) > 15 and len(shared) == 2
    calls = [u.rsplit("/", 2)[-2] + "/" + u.rsplit("/", 1)[-1] for u in requests_made.urls]
    # Both zone lists, each zone's sync token (a count, for the cursor), the indexing
    # check, the top level and one query per folder, one batched count of every album and
    # smart album, one count of the Shared Library; the shared-album list and one page
    # per shared album (each under 100 photos).
    assert sorted(calls) == sorted(
        ["zones/list"] * 2
        + ["records/query"] * (1 + 1 + len(folders))
        + ["query/batch"] * (2 + 2)
        + ["sharedstreams/webgetalbumslist"]
        + ["sharedstreams/webgetassets"] * len(shared)
    ), requests_made.urls
