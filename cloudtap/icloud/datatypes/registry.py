"""Data type id -> the module that lists it.

A data type module exposes ``DATA_TYPE`` and
``fetch(client, filters, set_cursor) -> AsyncIterator[item]`` (photos takes its
``PhotosLibrary``). The registry
hides the per-service setup (which Apple service client each one needs) behind one call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes import (
    callkit_calls,
    cloudkit_reminders,
    cloudkit_safari,
    fmip_devices,
    icloud_drive,
    icpl_album_photos,
    icpl_albums,
    icpl_photos,
    mme_calendar,
    mme_contacts,
    mme_notes,
)
from cloudtap.icloud.datatypes.listing_diff import FeedChanges, diffed
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.services.photos import PhotosLibrary

Fetcher = Callable[[AppleClient, Filters, CursorSink], AsyncIterator[JSONDict]]


def _photos(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    if filters.albums:  # in album order; their own cursor (their members), not the library's
        return icpl_album_photos.fetch_albums(PhotosLibrary(client), filters, set_cursor)
    return icpl_photos.fetch(PhotosLibrary(client), filters, set_cursor)


def _all_albums(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    return icpl_albums.fetch(PhotosLibrary(client), filters, set_cursor)


async def _album_changes(client: AppleClient, cursor: JSONDict) -> FeedChanges | None:
    return await icpl_albums.changes(PhotosLibrary(client), cursor)


_diffed_albums = diffed(_all_albums, _album_changes)


def _albums(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    if filters.album_kinds:  # a partial listing: nothing to diff against, no cursor
        return icpl_albums.fetch(PhotosLibrary(client), filters, lambda cursor: None)
    return _diffed_albums(client, filters, set_cursor)


DATA_TYPES: dict[str, Fetcher] = {
    icpl_photos.DATA_TYPE: _photos,
    # No change feed from Apple for these: changes since a whole listing are worked out
    # here (listing_diff), so a resumed listing publishes nothing twice. Contacts has a
    # feed (/co/changeset), and the albums' zones and calendars' ctags one that says
    # whether anything changed: asked first; the digests stay for when they give no answer.
    icpl_albums.DATA_TYPE: _albums,
    mme_contacts.DATA_TYPE: diffed(mme_contacts.fetch, mme_contacts.changes),
    mme_calendar.DATA_TYPE: diffed(mme_calendar.fetch, mme_calendar.changes),
    mme_notes.DATA_TYPE: mme_notes.fetch,
    callkit_calls.DATA_TYPE: callkit_calls.fetch,
    cloudkit_safari.DATA_TYPE: cloudkit_safari.fetch,
    cloudkit_reminders.DATA_TYPE: cloudkit_reminders.fetch,
    fmip_devices.DATA_TYPE: diffed(fmip_devices.fetch),
    # Drive works out its own changes (etags, items gone since its cursor).
    icloud_drive.DATA_TYPE: icloud_drive.fetch,
}


def fetcher_for(data_type: str) -> Fetcher:
    try:
        return DATA_TYPES[data_type]
    except KeyError:
        raise errors.NotFound(f"unknown data type {data_type!r}") from None


def data_type_ids() -> list[str]:
    return sorted(DATA_TYPES)
