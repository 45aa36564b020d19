"""Shared albums: the ``sharedstreams`` web service, as pyicloud 2026.10.1 reads it.

- ``POST {sharedstreams}/{dsid}/sharedstreams/webgetalbumslist`` ``{}`` → ``albums``;
- ``POST {albumlocation}webgetassets`` ``{albumguid, albumctag, offset, limit}`` (strings;
  ``limit`` is the page's end) → ``records``: each photo's ``CPLMaster`` and ``CPLAsset``,
  and ``CPLTextComment`` records for its comments.

Shapes and what is assumed: docs/apple-evidence.md, "Shared albums". The walk is
defensive: a page that adds nothing new ends it, a page repeating a photo or an album
growing past Apple's limit is an error, never a short listing passed off as whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import raise_for_common, take_json_body
from cloudtap.icloud.services.cloudkit import Record, field_value

SERVICE = "sharedstreams"
PAGE = 100  # photos per webgetassets request (pyicloud asks for 200 at a time)
MAX_PHOTOS = 5000  # Apple's limit per shared album (docs/apple-evidence.md)


@dataclass(frozen=True)
class SharedAlbum:
    guid: str
    name: str
    location: str  # where the album's calls go (ends with "/")
    ctag: str | None
    owner_dsid: str | None
    owner_name: str | None
    sharing_type: str | None  # "owned" | "subscribed"
    created_ms: int | None


@dataclass
class SharedPhoto:
    master: Record
    asset: Record
    position: int  # in the album's order, from 0
    comments: list[Record] = field(default_factory=list)


def _root(client: AppleClient) -> str:
    root = client.session.service_url(SERVICE)
    if not root:
        raise errors.ServiceDisabled("shared albums are not available for this account")
    return root.rstrip("/")


async def _post(client: AppleClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.service("POST", url, json=body)
    raise_for_common(response)
    if response.status_code == 404:
        raise errors.NotFound("that shared album is no longer shared with this account")
    if response.status_code >= 400:
        raise errors.AppleUnavailable(f"shared albums answered HTTP {response.status_code}")
    reply = take_json_body(response)
    if not isinstance(reply, dict):
        raise errors.AppleUnavailable("shared albums answered something other than an object")
    return reply


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _album(raw: Any) -> SharedAlbum | None:
    if not isinstance(raw, dict):
        return None
    found = raw.get("attributes")
    attributes: dict[str, Any] = found if isinstance(found, dict) else {}
    guid, location = _text(raw.get("albumguid")), _text(raw.get("albumlocation"))
    if guid is None or location is None:
        return None
    owner = _text(raw.get("ownerfullname"))
    if owner is None:
        names = [_text(raw.get("ownerfirstname")), _text(raw.get("ownerlastname"))]
        owner = " ".join(n for n in names if n) or None
    return SharedAlbum(
        guid=guid,
        name=_text(attributes.get("name")) or guid,
        location=location if location.endswith("/") else location + "/",
        ctag=_text(raw.get("albumctag")),
        owner_dsid=_text(raw.get("ownerdsid")),
        owner_name=owner,
        sharing_type=_text(raw.get("sharingtype")),
        created_ms=_int(attributes.get("creationDate")),
    )


async def albums(client: AppleClient) -> list[SharedAlbum]:
    """The shared albums the account owns or subscribes to, in Apple's order."""
    dsid = client.session.dsid
    if not dsid:
        raise errors.AppleUnavailable("the session has no dsid for shared albums")
    reply = await _post(client, f"{_root(client)}/{dsid}/sharedstreams/webgetalbumslist", {})
    listed = reply.get("albums")
    if not isinstance(listed, list):
        raise errors.AppleUnavailable("webgetalbumslist answered without an albums list")
    found = [a for a in map(_album, listed) if a is not None]
    if len(found) != len(listed):
        raise errors.AppleUnavailable("webgetalbumslist listed an album without guid or location")
    return found


async def album(client: AppleClient, guid: str) -> SharedAlbum:
    for shared in await albums(client):
        if shared.guid == guid:
            return shared
    raise errors.NotFound("that shared album is no longer shared with this account")


def _master_name(asset: Record) -> str | None:
    ref = field_value(asset, "masterRef")
    return _text(ref.get("recordName")) if isinstance(ref, dict) else None


def _page_photos(records: Any, first: int) -> list[SharedPhoto]:
    """The page's photos in order (a master joined with its asset), comments attached."""
    if not isinstance(records, list):
        raise errors.AppleUnavailable("webgetassets answered without a records list")
    masters: dict[str, Record] = {}
    assets: list[Record] = []
    comments: list[Record] = []
    for record in records:
        if not isinstance(record, dict):
            continue
        kind = record.get("recordType")
        if kind == "CPLMaster" and _text(record.get("recordName")):
            masters[str(record["recordName"])] = record
        elif kind == "CPLAsset":
            assets.append(record)
        elif kind == "CPLTextComment":
            comments.append(record)
    photos: list[SharedPhoto] = []
    by_asset: dict[str, SharedPhoto] = {}
    for asset in assets:
        master = masters.get(_master_name(asset) or "")
        if master is None:
            continue  # an asset without its master has no files to offer
        photo = SharedPhoto(master, asset, first + len(photos))
        photos.append(photo)
        by_asset[str(asset.get("recordName"))] = photo
    for comment in comments:
        ref = field_value(comment, "assetRef")
        target = by_asset.get(str(ref.get("recordName"))) if isinstance(ref, dict) else None
        if target is not None:
            target.comments.append(comment)
    return photos


async def album_pages(
    client: AppleClient, shared: SharedAlbum, first: int = 0, last: int | None = None
) -> AsyncIterator[list[SharedPhoto]]:
    """The album's photos page by page, from position ``first`` (to ``last``, excluded)."""
    seen: set[str] = set()
    offset = first
    while last is None or offset < last:
        end = offset + PAGE if last is None else min(offset + PAGE, last)
        body: dict[str, Any] = {
            "albumguid": shared.guid,
            "offset": str(offset),
            "limit": str(end),
        }
        if shared.ctag:
            body["albumctag"] = shared.ctag
        reply = await _post(client, f"{shared.location}webgetassets", body)
        photos = _page_photos(reply.get("records"), offset)
        names = {str(p.asset.get("recordName")) for p in photos}
        if names & seen or len(names) != len(photos):
            raise errors.AppleUnavailable("a shared album page repeated a photo")
        seen |= names
        if photos:
            yield photos
        if len(photos) < end - offset:
            return  # a short (or empty) page is the album's end
        offset = end
        if offset > MAX_PHOTOS:
            raise errors.AppleUnavailable(f"a shared album listed more than {MAX_PHOTOS} photos")
