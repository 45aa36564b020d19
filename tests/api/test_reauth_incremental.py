"""Re-authentication keeps the history (issue 22): listing cursors belong to the source,
so after Apple ends a session for good, a new session's next poll of every data type
resumes from them: ``incremental: true`` with its ``changes_since`` point, and nothing
already published is published again. Types with a change feed (CloudKit's
``changes/zone``, contacts' ``/co/changeset``, the calendars' ``ctag``s) ask Apple only
for it (requests counted at the sandbox's proxy); the others ask for the same whole
listing and publish only what differs from the kept digests."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudtap.sandbox.contact_log import ContactLog
from cloudtap.sandbox.proxy import Exchange
from cloudtap.sandbox.services.content import events as event_content
from cloudtap.sandbox.services.content.contacts import contact_id
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401

ACCOUNT = "trust-60s"
# Data types Apple keeps a change feed for (CloudKit sync tokens, the contacts book's
# sync token), and those it does not: these are listed again in full on Apple's side and
# compared with the kept digests.
WITH_FEED = [
    "icpl.photos",
    "mme_notes.notes",
    "callkit.calls",
    "cloudkit_safari.history",
    "mme_contacts.contacts",
    "icpl.albums",  # the zones' feed says whether anything changed (then listed again)
    "mme_calendar.events",  # each calendar's ctag says whether it changed (then listed again)
]
WITHOUT_FEED = ["fmip.devices"]
FEEDS = ("/changes/zone", "/co/changeset", "/ca/allcollections")
# Shared albums are no CloudKit zone's records and have no feed: a resumed album listing
# lists them again (the list, then each album's photos) beside the zones' feed.
SHARED_ALBUMS = ("/sharedstreams/webgetalbumslist", "/sharedstreams/webgetassets")


def _poll(
    live: LiveAPI, session_id: str, data_type: str, albums: list[str] | None = None, **dates: str
) -> tuple[dict[str, Any], list[Exchange]]:
    before = len(live.sandbox.exchanges())
    payload: dict[str, Any] = {"data_types": [data_type], **dates}
    if albums:
        payload["filters"] = {"albums": albums}
    poll = live.poll(session_id, payload)
    errors = [(e["target"], e.get("error"), e.get("message")) for e in poll["errors"]["data"]]
    assert poll["state"] == "completed" and errors == [], errors
    # The data type's own requests (the session's ``validate`` on setup aside).
    calls = [c for c in live.sandbox.exchanges()[before:] if not c.host.startswith("setup.")]
    return poll, calls


def _result(poll: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    [result] = poll["results"]["data"]
    body = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    return result, body["data"]


def _sync_state_check(data_type: str, call: Exchange) -> bool:
    """Not a listing: call history's check that its container is synced at all (one
    records/query, as on a full listing), and the albums' zone lists (which zones to ask
    the feed about)."""
    if data_type == "icpl.albums":
        return call.path.endswith("/zones/list")
    return data_type == "callkit.calls" and call.path.endswith("/records/query")


def _end_for_good(live: LiveAPI) -> None:
    """Apple ends the session, its sign-in and the trusted browser: only a new code helps."""
    world = live.sandbox.world
    world.expire_sessions_of(apple_id(ACCOUNT))
    world.sign_ins.end_sign_ins(apple_id(ACCOUNT))
    world.sign_ins.revoke_trust(apple_id(ACCOUNT))


def test_a_new_session_continues_every_data_types_cursor(live: LiveAPI) -> None:
    first = live.active_session(ACCOUNT)
    published: dict[str, set[str]] = {}
    full_requests: dict[str, int] = {}
    for data_type in WITH_FEED + WITHOUT_FEED:
        poll, calls = _poll(live, first["id"], data_type)
        result, items = _result(poll)
        assert (result["incremental"], result["changes_since"]) == (False, None), data_type
        assert items, data_type
        published[data_type] = {json.dumps(item, sort_keys=True) for item in items}
        full_requests[data_type] = len(calls)
    # An album-limited photos poll keeps a cursor of its own (the album's members).
    album = next(
        a for a in _result(_poll(live, first["id"], "icpl.albums")[0])[1] if a["asset_count"]
    )
    album_poll, _ = _poll(live, first["id"], "icpl.photos", albums=[album["id"]])
    assert _result(album_poll)[1], album

    _end_for_good(live)
    refused = live.poll(first["id"], {"info_types": ["*"]})
    assert refused["state"] == "completed"
    assert live.client.get(f"/sessions/{first['id']}", headers=live.headers).json()["state"] == (
        "expired"
    )

    second = live.active_session(ACCOUNT)  # a new code, a new session, the same source
    assert second["source"]["id"] == first["source"]["id"] and second["id"] != first["id"]
    since = datetime.now(UTC).isoformat()  # after every first listing started
    for data_type in WITH_FEED + WITHOUT_FEED:
        poll, calls = _poll(live, second["id"], data_type, since=since)
        result, items = _result(poll)
        again = {json.dumps(item, sort_keys=True) for item in items}
        assert not again & published[data_type], data_type  # nothing published twice
        assert result["incremental"] is True, data_type
        # The point the listing resumed from: when the first listing started (to the
        # second, as the API writes dates), not after this poll's ``since``.
        point = result["changes_since"]
        assert point is not None and _moment(point) <= _moment(since), (point, since)
        if data_type in WITH_FEED:
            # Only the change feed from the kept token (call history first checks that
            # its container is synced at all: one records/query, as on a full listing).
            listing = [c.path for c in calls if not _sync_state_check(data_type, c)]
            listing = [p for p in listing if not p.endswith(SHARED_ALBUMS)]
            assert listing and all(p.endswith(FEEDS) for p in listing), listing
            assert len(calls) <= full_requests[data_type], data_type
        else:
            # No feed at Apple: the same whole listing is asked, and only what differs
            # from the kept digests is published.
            assert len(calls) == full_requests[data_type], data_type
    album_poll, calls = _poll(live, second["id"], "icpl.photos", albums=[album["id"]], since=since)
    result, items = _result(album_poll)
    assert (result["incremental"], items) == (True, [])
    assert [c.path.rsplit("/", 2)[-2:] for c in calls] == [["changes", "zone"]], calls


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_contacts_changes_after_a_new_session_come_from_the_changeset(live: LiveAPI) -> None:
    """The owner adds, edits and deletes contacts while the session is gone: the new
    session's next poll asks ``/co/changeset`` once and publishes exactly those changes."""
    contacts = "mme_contacts.contacts"
    first = live.active_session(ACCOUNT)
    poll, _ = _poll(live, first["id"], contacts)
    _, listed = _result(poll)
    _end_for_good(live)
    world = live.sandbox.world
    added = world.add_contact(apple_id(ACCOUNT))
    world.edit_contact(apple_id(ACCOUNT), 1)
    world.delete_contact(apple_id(ACCOUNT), 2)

    second = live.active_session(ACCOUNT)
    since = datetime.now(UTC).isoformat()
    poll, calls = _poll(live, second["id"], contacts, since=since)
    result, items = _result(poll)
    body = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    assert [c.path for c in calls] == ["/co/changeset"]
    assert result["incremental"] is True
    by_uid = {item["uid"]: item for item in items}
    spec = live.sandbox.world.account(apple_id(ACCOUNT)).content  # type: ignore[union-attr]
    assert set(by_uid) == {_uid(spec, added), _uid(spec, 1)}
    assert by_uid[_uid(spec, 1)]["notes"] == "Edited once"
    gone = next(i["id"] for i in listed if i["uid"] == _uid(spec, 2))
    assert body["deleted"] == [gone]


def _uid(spec: Any, index: int) -> str:
    return base64.b64encode(contact_id(spec, index).encode()).decode()


def test_a_changeset_refusing_the_kept_token_falls_back_to_the_whole_book(
    live: LiveAPI,
) -> None:
    """Apple no longer answers for the kept sync token (here: the sandbox forgot the
    book's changes, so the token is from its future, a 400): the poll does not fail, and
    never stays failed; it lists the whole book, compared with the kept digests."""
    contacts = "mme_contacts.contacts"
    session = live.active_session(ACCOUNT)
    live.sandbox.world.add_contact(apple_id(ACCOUNT))
    _poll(live, session["id"], contacts)
    live.sandbox.world.contact_log = ContactLog()

    poll, calls = _poll(live, session["id"], contacts, since=datetime.now(UTC).isoformat())
    result, items = _result(poll)
    assert [c.path for c in calls][:2] == ["/co/changeset", "/co/startup"], calls
    assert (result["incremental"], items) == (True, [])  # the same book: nothing new


def test_calendar_changes_after_a_new_session_come_from_the_changed_calendars(
    live: LiveAPI,
) -> None:
    """Nothing changed: the new session's calendar poll asks only for the collections
    (their ctags are the cursor's) and publishes nothing. Then the owner edits one event
    and deletes another: the ctags of their calendars change, the window is listed again
    (no public source shows /ca/events asked for one calendar), and exactly the edited
    event and the deletion are published."""
    calendar = "mme_calendar.events"
    first = live.active_session(ACCOUNT)
    _, listed = _result(_poll(live, first["id"], calendar)[0])
    _end_for_good(live)
    second = live.active_session(ACCOUNT)

    poll, calls = _poll(live, second["id"], calendar, since=datetime.now(UTC).isoformat())
    result, items = _result(poll)
    assert [c.path for c in calls] == ["/ca/allcollections"]
    assert (result["incremental"], items) == (True, [])

    world = live.sandbox.world
    spec = world.account(apple_id(ACCOUNT)).content  # type: ignore[union-attr]
    by_guid = {item["event_guid"]: item for item in listed}
    series = {guid.partition("*")[0] for guid in by_guid if "*" in guid}
    indexes = [
        i
        for i in range(spec.events)
        if event_content.event_guid(spec, i) in by_guid.keys() - series  # one-off events
    ]
    edited, deleted = indexes[0], indexes[1]
    world.edit_event(apple_id(ACCOUNT), edited)
    world.delete_event(apple_id(ACCOUNT), deleted)

    poll, calls = _poll(live, second["id"], calendar, since=datetime.now(UTC).isoformat())
    result, items = _result(poll)
    body = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    # The ctags first, then the window listed again (its own collections request):
    # Apple's /ca/events answers every calendar at once.
    paths = [c.path for c in calls]
    assert paths[:2] == ["/ca/allcollections"] * 2 and set(paths[2:]) == {"/ca/events"}, paths
    assert result["incremental"] is True
    was = by_guid[event_content.event_guid(spec, edited)]
    [now] = items
    assert now["id"] == was["id"] and now["title"] == f"{was['title']} (edited)"
    assert body["deleted"] == [by_guid[event_content.event_guid(spec, deleted)]["id"]]
