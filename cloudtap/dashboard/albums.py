"""An ``icpl.albums`` result as a tree of albums, and each album's photos as an
``icpl.photos`` poll limited to it (its grid then shows thumbnails as any photo result's).

An album's photos poll is an ordinary poll of the same session whose payload also names
the album and the albums result it came from (``dashboard_album_photos_for``); finding it
again is what keeps a second click from asking Apple twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudtap.api.resources import polls
from cloudtap.dashboard import derived_polls
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.visitor import Visitor

MARKER = "dashboard_album_photos_for"
MAX_ROWS = 500
MAX_NAMES = 20  # contributors shown per shared album
MAX_DEPTH = 16  # folders nest; a parent cycle in a hostile result stops here


@dataclass(frozen=True)
class AlbumRow:
    id: str
    name: str
    kind: str
    depth: int
    asset_count: int | None
    has_photos: bool  # a folder holds albums, not photos
    owner: str | None = None  # a shared album's
    contributors: tuple[str, ...] = ()  # a shared album's, in order of first contribution


def album_rows(items: list[dict[str, Any]]) -> list[AlbumRow]:
    """Albums in listing order (parents before children), each with its folder depth."""
    parents = {str(i.get("id")): i.get("parent") for i in items}

    def depth(parent: Any) -> int:
        level = 0
        while parent and str(parent) in parents and level < MAX_DEPTH:
            parent, level = parents[str(parent)], level + 1
        return level

    rows = []
    for item in items[:MAX_ROWS]:
        count = item.get("asset_count")
        rows.append(
            AlbumRow(
                id=str(item.get("id")),
                name=str(item.get("name") or "(no name)"),
                kind=str(item.get("kind") or ""),
                depth=depth(item.get("parent")),
                asset_count=count if isinstance(count, int) else None,
                has_photos=item.get("kind") != "folder",
                owner=str(item["owner"]) if item.get("owner") else None,
                contributors=_names(item.get("contributors")),
            )
        )
    return rows


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(n) for n in value[:MAX_NAMES] if n) if isinstance(value, list) else ()


def photo_polls(visitor: Visitor, session_id: str, result_id: str) -> dict[str, dict[str, Any]]:
    """album id → the photos poll made for it from this albums result."""
    return derived_polls.made_from(visitor, session_id, MARKER, result_id)


def request_photos(
    visitor: Visitor, session_id: str, result_id: str, album_id: str
) -> dict[str, Any]:
    """The album's photos poll: the one made before, else a new one."""
    known = photo_polls(visitor, session_id, result_id).get(album_id)
    if known is not None:
        return known
    payload = {
        "data_types": ["icpl.photos"],
        "filters": {"albums": [album_id]},
        MARKER: derived_polls.tag(result_id, album_id),
    }
    return run(visitor, polls.create_poll, body={"session": session_id, "payload": payload})


def photos_result(poll: dict[str, Any] | None) -> str | None:
    """The id of the poll's ``icpl.photos`` result, once there is one."""
    if poll is None:
        return None
    return next(
        (str(r["id"]) for r in poll["results"]["data"] if r.get("identifier") == "icpl.photos"),
        None,
    )
