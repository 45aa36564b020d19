"""Incremental shared-album polls through HTTP. Apple gives shared albums no change feed,
so a poll with ``since`` from a kept cursor lists the album again and compares each
photo's digest with the cursor's: it publishes only the photos added or changed
(comments included) and ``deleted`` for those removed, nothing twice. Each such poll of
a small album costs two Apple requests (``webgetalbumslist`` and one ``webgetassets``;
one more per 100 photos), counted at the sandbox's proxy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudtap.sandbox.photos.shared_streams import shared_streams
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401


def _body(poll: dict[str, Any]) -> dict[str, Any]:
    assert poll["state"] == "completed" and not poll["errors"]["data"], poll["errors"]
    (result,) = poll["results"]["data"]
    body: dict[str, Any] = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    return body


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_a_later_shared_album_poll_returns_only_what_was_added_or_removed(live: LiveAPI) -> None:
    session = live.active_session("rich")["id"]
    account = live.sandbox.world.account(apple_id("rich"))
    assert account is not None
    family = shared_streams(account)[0]
    kinds = {"data_types": ["icpl.albums"], "filters": {"album_kinds": ["shared"]}}
    albums = _body(live.poll(session, kinds))["data"]
    album_id = next(a["id"] for a in albums if a["name"] == family.name)

    def poll(since: str | None = None) -> tuple[dict[str, Any], list[str]]:
        before = len(live.sandbox.exchanges())
        payload: dict[str, Any] = {"data_types": ["icpl.photos"], "filters": {"albums": [album_id]}}
        if since is not None:
            payload["since"] = since
        body = _body(live.poll(session, payload))
        calls = [c.path.rsplit("/", 1)[-1] for c in live.sandbox.exchanges()[before:]]
        return body, [c for c in calls if c.startswith("web")]

    whole, _ = poll()
    ids = [p["id"] for p in whole["data"]]
    assert [p["filename"] for p in whole["data"]] == [p.spec.filename for p in family.photos]

    unchanged, calls = poll(_now())
    assert unchanged["data"] == [] and not unchanged.get("deleted")
    assert calls == ["webgetalbumslist", "webgetassets"]

    live.sandbox.world.remove_shared_photo(apple_id("rich"), family.guid, 0)
    try:
        lost, calls = poll(_now())
    finally:
        live.sandbox.world.restore_shared_photo(apple_id("rich"), family.guid, 0)
    assert lost["data"] == [] and lost.get("deleted") == [ids[0]]  # the others did not change
    assert calls == ["webgetalbumslist", "webgetassets"]

    gained, _ = poll(_now())
    assert [p["id"] for p in gained["data"]] == [ids[0]] and not gained.get("deleted")

    # The account holder comments on the second photo: only that photo comes again.
    live.sandbox.world.comment_shared_photo(apple_id("rich"), family.guid, 1, "Lovely 🌅")
    try:
        commented, _ = poll(_now())
    finally:
        live.sandbox.world.uncomment_shared_photo(apple_id("rich"), family.guid, 1)
    assert [p["id"] for p in commented["data"]] == [ids[1]] and not commented.get("deleted")
    assert [c["text"] for c in commented["data"][0]["comments"]] == ["Lovely 🌅"]
    uncommented, _ = poll(_now())
    assert [p["id"] for p in uncommented["data"]] == [ids[1]]
    assert uncommented["data"][0]["comments"] == []

    again, _ = poll()  # without `since`: the whole album, the cursor does not narrow it
    assert [p["id"] for p in again["data"]] == ids
