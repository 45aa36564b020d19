"""What listing albums costs in Apple requests, through the sandbox proxy: the folder walk
asks once per folder, and every album and smart album is counted in one lookup."""

from __future__ import annotations

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters
from tests.icloud.client.conftest import PASSWORD, RequestLog, apple_id


async def test_listing_rich_albums_costs_eight_requests(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    outcome = await connector.login(Credentials(apple_id("rich"), PASSWORD), None)
    assert outcome.session_state
    requests_made.clear()
    stream = connector.fetch_items(outcome.session_state, "icpl.albums", Filters())
    albums = [item async for item in stream]
    folders = [a for a in albums if a["kind"] == "folder"]
    assert len(folders) == 2 and len(albums) > 15
    calls = [u.rsplit("/", 2)[-2] + "/" + u.rsplit("/", 1)[-1] for u in requests_made.urls]
    # Both zone lists, the indexing check, the top level and one query per folder, one
    # batched count of every album and smart album, one count of the Shared Library.
    assert sorted(calls) == sorted(
        ["zones/list"] * 2 + ["records/query"] * (1 + 1 + len(folders)) + ["query/batch"] * 2
    ), requests_made.urls
