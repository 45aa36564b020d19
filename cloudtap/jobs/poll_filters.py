"""A poll payload's filters: ``since``/``until``, under ``filters`` or top-level, and
``filters.albums`` (``icpl.albums`` ids an ``icpl.photos`` listing is limited to) and
``filters.album_kinds`` (the kinds an ``icpl.albums`` listing is limited to).

``payload.filters.since/until`` is canonical; the same keys at the top level of the
payload are accepted as a shorthand. Both the API (to refuse bad input with a 400) and
the task job (to filter) read them here, so they can never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.connector import Filters
from cloudtap.icloud.datatypes.icpl_albums import ALBUM_KINDS, AlbumRef

DATE_KEYS = ("since", "until")
MAX_ALBUMS = 100


class InvalidFilter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_instant(value: Any, field: str) -> datetime | None:
    """An ISO 8601 date-time (``Z`` or an offset; naive means UTC), or None when unset."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidFilter(field, "expected an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidFilter(field, "expected an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        # Before 0001-01-01 or after 9999-12-31 in UTC (e.g. ``0001-01-01T00:00+14:00``):
        # nothing exists that far out, so the calendar's first or last instant means the same.
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year == 1
            else datetime.max.replace(tzinfo=UTC)
        )
    return moment


def filters_of(payload: dict[str, Any]) -> Filters:
    """The payload's date filters; raises :class:`InvalidFilter` for malformed ones."""
    nested = payload.get("filters")
    if nested is None:
        nested = {}
    if not isinstance(nested, dict):
        raise InvalidFilter("payload.filters", "expected an object with since and/or until")
    found: dict[str, datetime | None] = {}
    for key in DATE_KEYS:
        top = parse_instant(payload.get(key), f"payload.{key}")
        inner = parse_instant(nested.get(key), f"payload.filters.{key}")
        if top is not None and inner is not None and top != inner:
            raise InvalidFilter(f"payload.{key}", f"{key} given twice with different values")
        found[key] = top or inner
    since, until = found["since"], found["until"]
    if since is not None and until is not None and since >= until:
        raise InvalidFilter("payload.until", "until must be later than since")
    return Filters(
        since=since,
        until=until,
        albums=albums_of(nested.get("albums")),
        album_kinds=album_kinds_of(nested.get("album_kinds")),
    )


def album_kinds_of(value: Any) -> tuple[str, ...]:
    """``filters.album_kinds``: a non-empty list of ``icpl.album`` kinds."""
    if value is None:
        return ()
    field = "payload.filters.album_kinds"
    known = ", ".join(ALBUM_KINDS)
    if not isinstance(value, list) or not value or any(k not in ALBUM_KINDS for k in value):
        raise InvalidFilter(field, f"expected a list of album kinds ({known})")
    return tuple(dict.fromkeys(value))


def albums_of(value: Any) -> tuple[str, ...]:
    """``filters.albums``: a list of album ids (each once, order kept); folders hold albums,
    not photos, so naming one is refused rather than answered with nothing."""
    if value is None:
        return ()
    field = "payload.filters.albums"
    if not isinstance(value, list) or not value or len(value) > MAX_ALBUMS:
        raise InvalidFilter(field, f"expected a list of 1 to {MAX_ALBUMS} icpl.albums ids")
    for album_id in value:
        if not isinstance(album_id, str):
            raise InvalidFilter(field, "album ids are strings (the id of an icpl.album item)")
        try:
            ref = AlbumRef.parse(album_id)
        except errors.NotFound as exc:
            raise InvalidFilter(field, str(exc)) from exc
        if ref.kind == "folder":
            raise InvalidFilter(field, f"{album_id!r} is a folder: name the albums it holds")
    return tuple(dict.fromkeys(value))
