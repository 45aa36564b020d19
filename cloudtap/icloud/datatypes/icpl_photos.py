"""Data type ``icpl.photos``: iCloud Photo Library assets as the seed's ``icpl.asset`` items.

Each item: ``id`` (stable across polls), ``data_type`` ``icpl.asset``, ``filename``,
``files`` (original first, then RAW/alternative, edited render, live-photo video, and
the smaller renditions; each ``{id, data_type, extension, size, width, height}``),
``date_created`` (``assetDate``) and ``date_uploaded`` (``addedDate``). ``since`` and
``until`` filter on ``date_uploaded``. With the filter ``albums``, items also carry
``albums``: the asked-for albums holding them (``icpl_album_photos``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.stream import CursorSink, removed, warning
from cloudtap.icloud.files.icpl import file_id, id_prefix
from cloudtap.icloud.files.uti import uti_extension
from cloudtap.icloud.services.cloudkit import Record, Scope, field_value
from cloudtap.icloud.services.photos import (
    AssetRecords,
    Order,
    PhotosLibrary,
    PhotoZone,
    added_order,
)

DATA_TYPE = "icpl.photos"
ITEM_TYPE = "icpl.asset"

# Resources published per asset, in order; the first is what `--cascade` downloads.
PUBLISHED_RESOURCES = (
    "resOriginal",
    "resOriginalAlt",
    "resJPEGFull",
    "resOriginalVidCompl",
    "resJPEGMed",
    "resJPEGThumb",
    "resVidMed",
    "resVidSmall",
)

# datetime's range, in seconds since the epoch: 0001-01-01 to 9999-12-31T23:59:59.
_FIRST_SECOND, _LAST_SECOND = -62_135_596_800, 253_402_300_799


def iso_datetime(milliseconds: Any) -> str | None:
    """``2026-05-28T10:00:00.123000Z`` (what ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` writes),
    built from ``gmtime``: two per item, so the formatting shows in a listing's CPU."""
    try:
        seconds, millis = divmod(int(milliseconds), 1000)
    except (TypeError, ValueError, OverflowError):
        return None
    if not _FIRST_SECOND <= seconds <= _LAST_SECOND:
        return None
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{millis * 1000:06d}Z"
    )


def decode_filename(master: Record) -> str | None:
    field = (master.get("fields") or {}).get("filenameEnc")
    if not isinstance(field, dict) or not isinstance(field.get("value"), str):
        return None
    value = field["value"]
    if field.get("type") == "STRING":
        return value or None
    try:
        return base64.b64decode(value).decode("utf-8") or None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def fallback_filename(master: Record) -> str:
    """No ``filenameEnc``: a name from the record id and the type, like icloudpd does."""
    cleaned = re.sub(r"[^0-9A-Za-z]", "", str(master.get("recordName", "")))[:12] or "asset"
    extension, _ = uti_extension(field_value(master, "itemType"))
    return f"{cleaned}.{extension.upper()}"


def item_id(assets: AssetRecords) -> str:
    return asset_item_id(assets.zone, assets.asset.get("recordName"))


def asset_item_id(zone: PhotoZone, record_name: Any) -> str:
    source = f"{zone.key}:{record_name}"
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _int(value: Any) -> int | None:
    if type(value) is int:  # what Apple sends: no exception machinery for it
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _value(fields: dict[str, Any], name: str) -> Any:
    field = fields.get(name)
    return field.get("value") if isinstance(field, dict) else None


def _fields(record: Record) -> dict[str, Any]:
    fields = record.get("fields")
    return fields if isinstance(fields, dict) else {}


# Each published resource's field names, spelled once: (resource, Res, FileType, Width,
# Height).
_RESOURCE_FIELDS = tuple(
    (p, f"{p}Res", f"{p}FileType", f"{p}Width", f"{p}Height") for p in PUBLISHED_RESOURCES
)


def file_entries(assets: AssetRecords) -> list[JSONDict]:
    # Plain loops and each record's fields looked up once: this runs for every asset.
    # Each resource is listed from every record that holds it: the master's copy (the
    # original's) first, then the asset's own (an edit's renditions, e.g. its resJPEGMed),
    # so an edit never hides the original's renditions.
    master, asset = assets.master, assets.asset
    holders = (
        (str(master.get("recordName")), _fields(master)),
        (str(asset.get("recordName")), _fields(asset)),
    )
    prefix = id_prefix(assets.zone.scope, assets.zone.name)
    files: list[JSONDict] = []
    for resource, res_key, type_key, width_key, height_key in _RESOURCE_FIELDS:
        for record_name, fields in holders:
            # Most records hold few of the resources: the miss costs one lookup, no call.
            field = fields.get(res_key)
            res = field.get("value") if isinstance(field, dict) else None
            if not isinstance(res, dict):
                continue
            extension, data_type = uti_extension(_value(fields, type_key))
            files.append(
                {
                    "id": file_id(prefix, record_name, resource),
                    "data_type": data_type,
                    "extension": extension,
                    "size": _int(res.get("size")),
                    "width": _int(_value(fields, width_key)),
                    "height": _int(_value(fields, height_key)),
                }
            )
    return files


def to_item(assets: AssetRecords) -> JSONDict:
    fields = _fields(assets.asset)
    return {
        "id": item_id(assets),
        "data_type": ITEM_TYPE,
        "filename": decode_filename(assets.master) or fallback_filename(assets.master),
        "files": file_entries(assets),
        "date_created": iso_datetime(_value(fields, "assetDate")),
        "date_uploaded": iso_datetime(_value(fields, "addedDate")),
    }


def uploaded_at(assets: AssetRecords) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(field_value(assets.asset, "addedDate")) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def within(assets: AssetRecords, filters: Filters) -> bool:
    if filters.since is None and filters.until is None:
        return True  # a full listing: no date to read
    moment = uploaded_at(assets)
    if moment is None:
        return filters.since is None and filters.until is None
    if filters.since is not None and moment <= _aware(filters.since):
        return False
    return not (filters.until is not None and moment >= _aware(filters.until))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def fetch(
    library: PhotosLibrary, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    """Every asset in the library (or what changed since ``filters.cursor``)."""
    tokens = (filters.cursor or {}).get("zones") if isinstance(filters.cursor, dict) else None
    if isinstance(tokens, dict) and tokens:
        async for item in _changed_since(
            library, {str(k): str(v) for k, v in tokens.items()}, filters, set_cursor
        ):
            yield item
        return
    incremental = filters.since is not None
    # An incremental poll trusts the indexing check of the first one and reads the
    # newest pages only, so an unchanged library costs a couple of requests.
    counted: tuple[int, str | None] | None = None
    if incremental:
        zones = await library.zones()
    else:
        # PrimarySync (always the first zone) is checked and counted while the zone lists
        # are read: one round trip before its first page.
        zones, counted = await library.zones_counted()
    if library.shared_list_failed is not None:
        yield warning(
            "shared-library-unavailable",
            "Apple did not list the shared database's zones "
            f"({library.shared_list_failed.code}): any Shared Library it holds is missing "
            "from this listing; the next poll lists everything again",
        )
    new_tokens: dict[str, str] = {}
    for zone in zones:
        pages: AsyncGenerator[list[AssetRecords], None]
        if incremental:
            token = zone.sync_token or (await library.count(zone))[1]
            pages = library.iter_newest(zone)
        else:
            if zone is zones[0] and counted is not None:
                total, token = counted
            else:
                total, token = await library.checked_count(zone)
            token = token or zone.sync_token
            pages = library.iter_assets(zone, total)
        if token:
            new_tokens[zone.key] = token
        async with aclosing(pages):
            async for page in pages:
                for assets in page:
                    if within(assets, filters):
                        yield to_item(assets)
                order = "newest-first" if incremental else added_order(page)
                if _reached(page, filters, order):
                    break
    if len(new_tokens) == len(zones) and library.shared_list_failed is None:
        set_cursor({"zones": new_tokens})


async def _changed_since(
    library: PhotosLibrary, tokens: dict[str, str], filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    new_tokens: dict[str, str] = {}
    scopes: tuple[Scope, ...] = ("private", "shared")
    for scope in scopes:
        gone: list[tuple[PhotoZone, str]] = []
        changed, scope_tokens = await library.changes(scope, tokens, gone)
        new_tokens.update(scope_tokens)
        for zone, record_name in gone:
            yield removed(asset_item_id(zone, record_name))
        for assets in changed:
            if within(assets, filters):
                yield to_item(assets)
    set_cursor({"zones": new_tokens})


def _reached(page: list[AssetRecords], filters: Filters, order: Order | None) -> bool:
    """Whether the rest of the zone lies outside the date filters (pages are by date).

    ``order``: how the walk runs (the incremental walk is newest first; a full listing
    runs whichever way the index does, read from the page itself; None: unknown).
    """
    if filters.since is None and filters.until is None:
        return False
    moments = [m for m in map(uploaded_at, page) if m is not None]
    if not moments:
        return False
    if order == "newest-first":
        return filters.since is not None and min(moments) <= _aware(filters.since)
    if order == "oldest-first":
        return filters.until is not None and min(moments) >= _aware(filters.until)
    return False
