"""Data type id -> the module that lists it.

A data type module exposes ``DATA_TYPE`` and
``fetch(library_or_client, filters, set_cursor) -> AsyncIterator[item]``. The registry
hides the per-service setup (which Apple service client each one needs) behind one call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes import icpl_photos
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.services.photos import PhotosLibrary

Fetcher = Callable[[AppleClient, Filters, CursorSink], AsyncIterator[JSONDict]]


def _photos(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    return icpl_photos.fetch(PhotosLibrary(client), filters, set_cursor)


DATA_TYPES: dict[str, Fetcher] = {
    icpl_photos.DATA_TYPE: _photos,
}


def fetcher_for(data_type: str) -> Fetcher:
    try:
        return DATA_TYPES[data_type]
    except KeyError:
        raise errors.NotFound(f"unknown data type {data_type!r}") from None


def data_type_ids() -> list[str]:
    return sorted(DATA_TYPES)
