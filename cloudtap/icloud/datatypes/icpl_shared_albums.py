"""Shared albums in ``icpl.albums`` (kind ``shared``) and in ``icpl.photos`` (filter
``albums`` naming one): their photos with contributor and comments.

An album item adds to the other kinds' fields ``owner`` (the owner's name, else dsid),
``sharing`` (``owned`` | ``subscribed``) and ``contributors`` (names, in order of first
contribution); its ``asset_count`` is the photos read, so listing one costs the album
list plus one ``webgetassets`` per 100 photos. A photo item is an ``icpl.asset`` with
``contributor`` (``{name, dsid}`` or null) and ``comments`` (``[{author, text, date}]``);
its files have ``icpl_shared://`` ids and sizes null where Apple says 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.icpl_photos import (
    ITEM_TYPE,
    PUBLISHED_RESOURCES,
    decode_filename,
    fallback_filename,
    iso_datetime,
)
from cloudtap.icloud.files.shared_photo import SharedPhotoFileRef
from cloudtap.icloud.files.uti import uti_extension
from cloudtap.icloud.services.cloudkit import Record, field_value
from cloudtap.icloud.services.shared_streams import SharedAlbum, SharedPhoto, album_pages

ALBUM_ITEM_TYPE = "icpl.album"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _plugin(record: Record, name: str) -> str | None:
    plugin = record.get("pluginFields")
    entry = plugin.get(name) if isinstance(plugin, dict) else None
    return _text(entry.get("value")) if isinstance(entry, dict) else None


def contributor(photo: SharedPhoto) -> JSONDict | None:
    asset = photo.asset
    name = _plugin(asset, "contributorFullName")
    if name is None:
        parts = [_plugin(asset, "contributorFirstName"), _plugin(asset, "contributorLastName")]
        name = " ".join(p for p in parts if p) or None
    dsid = _text(field_value(asset, "contributedBy"))
    if name is None and dsid is None:
        return None
    return {"name": name or dsid, "dsid": dsid}


def comments(photo: SharedPhoto) -> list[JSONDict]:
    out: list[JSONDict] = []
    for comment in photo.comments:
        text = field_value(comment, "commentText")
        if not isinstance(text, str):
            continue
        author = _text(field_value(comment, "commenterFullName"))
        if author is None:
            parts = [
                field_value(comment, "commenterFirstName"),
                field_value(comment, "commenterLastName"),
            ]
            author = " ".join(p for p in parts if isinstance(p, str) and p) or None
        out.append(
            {
                "author": author,
                "text": text,
                "date": iso_datetime(field_value(comment, "commentDate")),
            }
        )
    return sorted(out, key=lambda c: c["date"] or "")


def _int(value: Any) -> int | None:
    try:
        return int(value) or None  # Apple's shared-stream sizes are 0: unknown
    except (TypeError, ValueError):
        return None


def _fields(record: Record) -> dict[str, Any]:
    fields = record.get("fields")
    return fields if isinstance(fields, dict) else {}


def file_entries(guid: str, photo: SharedPhoto) -> list[JSONDict]:
    """As a library asset's ``files`` (same resources, same order), ids of their own."""
    files: list[JSONDict] = []
    for prefix in PUBLISHED_RESOURCES:
        for holder in (photo.master, photo.asset):
            fields = _fields(holder)
            res = (fields.get(prefix + "Res") or {}).get("value")
            if not isinstance(res, dict):
                continue
            extension, data_type = uti_extension(field_value(holder, prefix + "FileType"))
            ref = SharedPhotoFileRef(guid, str(holder.get("recordName")), prefix)
            files.append(
                {
                    "id": ref.to_id(),
                    "data_type": data_type,
                    "extension": extension,
                    "size": _int(res.get("size")),
                    "width": _int(field_value(holder, prefix + "Width")),
                    "height": _int(field_value(holder, prefix + "Height")),
                }
            )
    return files


def photo_item_id(guid: str, asset_name: Any) -> str:
    return hashlib.sha256(f"sharedstreams:{guid}:{asset_name}".encode()).hexdigest()[:16]


def photo_item(album_id: str, shared: SharedAlbum, photo: SharedPhoto) -> JSONDict:
    return {
        "id": photo_item_id(shared.guid, photo.asset.get("recordName")),
        "data_type": ITEM_TYPE,
        "filename": decode_filename(photo.master) or fallback_filename(photo.master),
        "files": file_entries(shared.guid, photo),
        "date_created": iso_datetime(field_value(photo.asset, "assetDate")),
        "date_uploaded": iso_datetime(field_value(photo.asset, "addedDate")),
        "albums": [album_id],
        "contributor": contributor(photo),
        "comments": comments(photo),
    }


async def album_item(client: AppleClient, album_id: str, shared: SharedAlbum) -> JSONDict:
    """The album with its count and contributors (read from its photos)."""
    count = 0
    names: dict[str, None] = {}
    async for page in album_pages(client, shared):
        count += len(page)
        for photo in page:
            who = contributor(photo)
            if who is not None:
                names.setdefault(str(who["name"]))
    return {
        "id": album_id,
        "data_type": ALBUM_ITEM_TYPE,
        "name": shared.name,
        "kind": "shared",
        "parent": None,
        "asset_count": count,
        "date_created": iso_datetime(shared.created_ms),
        "date_modified": None,
        "owner": shared.owner_name or shared.owner_dsid,
        "sharing": shared.sharing_type,
        "contributors": list(names),
    }


async def photo_items(
    client: AppleClient, album_id: str, shared: SharedAlbum, filters: Filters
) -> AsyncIterator[JSONDict]:
    """The album's photos in its order; ``since``/``until`` apply to ``date_uploaded``."""
    async for page in album_pages(client, shared):
        for photo in page:
            item = photo_item(album_id, shared, photo)
            if _within(item["date_uploaded"], filters):
                yield item


def _within(uploaded: str | None, filters: Filters) -> bool:
    if filters.since is None and filters.until is None:
        return True
    if uploaded is None:
        return False
    moment = uploaded.replace("Z", "+00:00")
    at = datetime.fromisoformat(moment)
    since = filters.since.replace(tzinfo=filters.since.tzinfo or UTC) if filters.since else None
    until = filters.until.replace(tzinfo=filters.until.tzinfo or UTC) if filters.until else None
    return (since is None or at > since) and (until is None or at < until)
