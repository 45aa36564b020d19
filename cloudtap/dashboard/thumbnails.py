"""Photo thumbnails for a ``icpl.photos`` result, fetched once through a files poll.

The files poll is an ordinary poll of the same session whose payload also names the
result it serves (``dashboard_thumbnails_for``); finding it again is what caches the
thumbnails, across page loads and dashboard sessions alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudtap.api.resources import polls
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.visitor import Visitor

MARKER = "dashboard_thumbnails_for"
# Formats every browser shows; HEIC originals are skipped for their JPEG renditions.
SHOWABLE = ("jpg", "jpeg", "png", "gif", "webp")
MAX_PHOTOS = 60
MAX_COMMENTS = 20  # per photo


@dataclass(frozen=True)
class Photo:
    filename: str
    date_created: str | None
    thumbnail_id: str | None
    contributor: str | None = None  # a shared album's photo: who added it
    comments: tuple[tuple[str, str], ...] = ()  # (author, text), oldest first


def photos_of(items: list[dict[str, Any]]) -> list[Photo]:
    photos = []
    for item in items[:MAX_PHOTOS]:
        files = [
            f
            for f in item.get("files") or []
            if f.get("data_type") == "image" and str(f.get("extension")).lower() in SHOWABLE
        ]
        smallest = min(files, key=_weight, default=None)
        photos.append(
            Photo(
                filename=str(item.get("filename") or item.get("id")),
                date_created=item.get("date_created"),
                thumbnail_id=smallest["id"] if smallest else None,
                contributor=_contributor(item.get("contributor")),
                comments=_comments(item.get("comments")),
            )
        )
    return photos


def _number(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _weight(file: dict[str, Any]) -> tuple[int, int]:
    """Smallest first: by size, else (a shared album's sizes are unknown) by pixels."""
    return _number(file.get("size")), _number(file.get("width")) * _number(file.get("height"))


def _contributor(value: Any) -> str | None:
    name = value.get("name") if isinstance(value, dict) else None
    return str(name) if name else None


def _comments(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    found = [c for c in value[:MAX_COMMENTS] if isinstance(c, dict) and c.get("text")]
    return tuple((str(c.get("author") or "someone"), str(c["text"])) for c in found)


def cached_poll(visitor: Visitor, session_id: str, result_id: str) -> dict[str, Any] | None:
    listed = run(visitor, polls.list_polls, session=session_id, limit=1000)
    for poll in listed["data"]:
        if (poll.get("payload") or {}).get(MARKER) == result_id:
            return poll
    return None


def request_thumbnails(
    visitor: Visitor, session_id: str, result_id: str, photos: list[Photo]
) -> dict[str, Any]:
    files = [p.thumbnail_id for p in photos if p.thumbnail_id]
    payload = {"files": files, MARKER: result_id}
    return run(visitor, polls.create_poll, body={"session": session_id, "payload": payload})


def thumbnail_results(poll: dict[str, Any] | None) -> dict[str, str]:
    """File id → the id of the result holding its bytes."""
    if poll is None:
        return {}
    return {r["identifier"]: r["id"] for r in poll["results"]["data"]}
