"""Incremental album polls through HTTP: after a whole listing of an album, a poll with
``since`` returns only what the album gained or lost, checked against the sandbox world,
and costs one Apple request when nothing changed (counted at the sandbox's proxy)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudtap.icloud.datatypes.icpl_photos import asset_item_id
from cloudtap.icloud.services.photos import PhotoZone
from cloudtap.sandbox.cloudkit.context import state_of
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, source_for
from cloudtap.sandbox.photos.edits import PhotosEdits
from cloudtap.sandbox.photos.library import GeneratedSource
from cloudtap.sandbox.proxy import Exchange
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401

PRIMARY = PhotoZone("private", {"zoneName": PRIMARY_ZONE})


def _body(poll: dict[str, Any]) -> dict[str, Any]:
    assert poll["state"] == "completed" and not poll["errors"]["data"], poll["errors"]
    (result,) = poll["results"]["data"]
    body: dict[str, Any] = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    return body


def _album_poll(
    live: LiveAPI, session_id: str, album_id: str, since: str | None = None
) -> tuple[dict[str, Any], list[Exchange]]:
    """An album-limited photos poll's result, and the Apple requests it made."""
    before = len(live.sandbox.exchanges())
    payload: dict[str, Any] = {"data_types": ["icpl.photos"], "filters": {"albums": [album_id]}}
    if since is not None:
        payload["since"] = since
    body = _body(live.poll(session_id, payload))
    return body, live.sandbox.exchanges()[before:]


def _now() -> str:
    """A ``since`` at or after the last listing's start (it has finished): its kept
    cursor is usable."""
    return datetime.now(UTC).isoformat()


def test_a_later_album_poll_returns_only_what_was_added_or_removed(live: LiveAPI) -> None:
    session = live.active_session("rich")
    listed = _body(live.poll(session["id"], {"data_types": ["icpl.albums"]}))["data"]
    rome = next(a for a in listed if a["name"] == "Rome")
    account = live.sandbox.world.account(apple_id("rich"))
    assert account is not None
    source = source_for(account, "private", PRIMARY_ZONE)
    assert isinstance(source, GeneratedSource)
    spec = next(a for a in source.albums() if a.name == "Rome")
    assert spec.members is not None and len(spec.members) >= 2
    members = [spec.members.at(r) for r in range(len(spec.members))]

    def item_of(index: int) -> str:
        return asset_item_id(PRIMARY, generator.asset_name(source.seed, PRIMARY_ZONE, index))

    first, _ = _album_poll(live, session["id"], rome["id"])
    assert [i["id"] for i in first["data"]] == [item_of(i) for i in members]

    unchanged, calls = _album_poll(live, session["id"], rome["id"], _now())
    assert unchanged["data"] == [] and not unchanged.get("deleted")
    print("unchanged album:", [(c.method, c.path) for c in calls])
    assert [c.path.rsplit("/", 2)[-2:] for c in calls] == [["changes", "zone"]]  # one request

    # On a device: one of Rome's photos to Recently Deleted.
    edits = state_of(live.sandbox.world, "photos-edits", PhotosEdits)
    edits.set_deleted(account.dsid, PRIMARY_ZONE, members[0], True)
    lost, calls = _album_poll(live, session["id"], rome["id"], _now())
    print("album that lost a photo:", [(c.method, c.path) for c in calls])
    assert lost["data"] == [] and lost["deleted"] == [item_of(members[0])]

    # ... and back: the album gains it again, published with the album holding it.
    edits.set_deleted(account.dsid, PRIMARY_ZONE, members[0], False)
    gained, calls = _album_poll(live, session["id"], rome["id"], _now())
    print("album that gained a photo:", [(c.method, c.path) for c in calls])
    assert [i["id"] for i in gained["data"]] == [item_of(members[0])]
    assert gained["data"][0]["albums"] == [rome["id"]] and not gained.get("deleted")

    # Without `since` a poll wants the whole album: the cursor must not narrow it.
    whole, _ = _album_poll(live, session["id"], rome["id"])
    assert [i["id"] for i in whole["data"]] == [item_of(i) for i in members]


def test_a_resumed_album_listing_asks_the_zones_feed_first(live: LiveAPI) -> None:
    """``icpl.albums`` resumed from its cursor: while no zone changed, the zone lists and
    one ``changes/zone`` are all it asks of the library (the shared albums, no zone's
    records, are listed again), and it publishes nothing; once a photo leaves an album,
    the albums are listed again and only those whose count moved are published."""
    session = live.active_session("rich")

    def albums_poll(since: str | None = None) -> tuple[dict[str, Any], list[str]]:
        before = len(live.sandbox.exchanges())
        payload: dict[str, Any] = {"data_types": ["icpl.albums"]}
        if since is not None:
            payload["since"] = since
        body = _body(live.poll(session["id"], payload))
        paths = [
            c.path for c in live.sandbox.exchanges()[before:] if not c.host.startswith("setup.")
        ]
        return body, paths

    listed, _ = albums_poll()
    rome = next(a for a in listed["data"] if a["name"] == "Rome")
    unchanged, paths = albums_poll(_now())
    assert unchanged["data"] == [] and not unchanged.get("deleted")
    listing = [p for p in paths if not p.endswith("/zones/list")]
    library = [p.rsplit("/", 2)[-2:] for p in listing if "/sharedstreams/" not in p]
    assert library == [["changes", "zone"]], paths
    shared = sorted({p.rsplit("/", 1)[-1] for p in listing if "/sharedstreams/" in p})
    assert shared == ["webgetalbumslist", "webgetassets"], paths

    account = live.sandbox.world.account(apple_id("rich"))
    assert account is not None
    source = source_for(account, "private", PRIMARY_ZONE)
    assert isinstance(source, GeneratedSource)
    spec = next(a for a in source.albums() if a.name == "Rome")
    assert spec.members is not None
    edits = state_of(live.sandbox.world, "photos-edits", PhotosEdits)
    edits.set_deleted(account.dsid, PRIMARY_ZONE, spec.members.at(0), True)
    changed, paths = albums_poll(_now())
    assert any(p.endswith("/records/query") for p in paths)  # listed again
    by_id = {a["id"]: a for a in changed["data"]}
    assert by_id[rome["id"]]["asset_count"] == rome["asset_count"] - 1
    assert len(by_id) < len(listed["data"])  # only what moved
