"""Shared albums: the ``sharedstreams`` web service (``pNN-sharedstreams.icloud.com``).

The calls pyicloud 2026.10.1 makes (``PhotoStreamLibrary``, ``SharedPhotoStreamAlbum``),
each a POST with a JSON body (docs/apple-evidence.md, "Shared albums"):

- ``/{dsid}/sharedstreams/webgetalbumslist`` ``{}`` → ``{"albums": [{albumguid,
  albumlocation, albumctag, ownerdsid, sharingtype, iswebuploadsupported, attributes:
  {name, creationDate (ms, a string), allowcontributions, ispublic}}]}``;
- ``{albumlocation}webgetassetcount`` ``{albumguid}`` → ``{"albumassetcount": n}``;
- ``{albumlocation}webgetassets`` ``{albumguid, albumctag, offset, limit}`` →
  ``{"records": [CPLMaster, CPLAsset, …]}`` for the photos ``offset`` to ``limit``
  (an end, not a count, as pyicloud and the other public clients send it).

Resource sizes are 0, as a public client reports of Apple's shared-stream records; each
``downloadURL`` serves the photo's bytes on the content host. Contributors and comments
ride along on the assets (``contributedBy``, ``pluginFields``) and as ``CPLTextComment``
records: their names and placement are assumed.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.apple.account_json import partition_of
from cloudtap.sandbox.cloudkit import envelope
from cloudtap.sandbox.cloudkit.container import Record, Zone
from cloudtap.sandbox.hosts import service_url
from cloudtap.sandbox.photos import records
from cloudtap.sandbox.photos.container import owner_of_dsid
from cloudtap.sandbox.photos.generator import AssetSpec
from cloudtap.sandbox.photos.resources import ResourceSpec
from cloudtap.sandbox.photos.shared_streams import (
    ALBUM_STRIDE,
    SharedComment,
    SharedPhoto,
    SharedStream,
    listed_ctag,
    listed_photos,
    shared_streams,
)
from cloudtap.sandbox.photos.urls import ContentRef, download_url
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.world import SandboxWorld

CONTAINER = "sharedstreams"  # the content URLs' ckc (assumed)
MAX_PAGE = 500  # assumed: photos per webgetassets reply (pyicloud asks for 200)


def album_location(account: SandboxAccount) -> str:
    """Where an album's calls go: the account's own host and dsid (pyicloud appends the
    endpoint's name to it, so it ends with a slash)."""
    host = service_url("sharedstreams", partition_of(account), account.china)
    return f"{host}/{account.dsid}/sharedstreams/"


def album_json(
    account: SandboxAccount, stream: SharedStream, ctag: str | None = None
) -> dict[str, Any]:
    return {
        "albumguid": stream.guid,
        "albumlocation": album_location(account),
        "albumctag": ctag or stream.ctag,
        "ownerdsid": stream.owner.dsid,
        # Assumed: the owner's names, as the public webstream names its owner.
        "ownerfirstname": stream.owner.first_name,
        "ownerlastname": stream.owner.last_name,
        "ownerfullname": stream.owner.full_name,
        "sharingtype": stream.sharing_type,
        "iswebuploadsupported": False,
        "attributes": {
            "name": stream.name,
            "creationDate": str(stream.created_ms),
            "allowcontributions": stream.allow_contributions,
            "ispublic": stream.public,
        },
    }


def _zero_sizes(record: Record) -> Record:
    for name, value in record.get("fields", {}).items():
        if name.endswith("Res") and isinstance(value, dict) and isinstance(value["value"], dict):
            value["value"]["size"] = 0
    return record


def photo_records(
    account: SandboxAccount, stream: SharedStream, position: int, photo: SharedPhoto
) -> list[Record]:
    """The photo's CPLMaster and CPLAsset, then its comments."""
    zone = Zone(stream.guid, owner_of_dsid(stream.owner.dsid))
    token_index = stream.ordinal * ALBUM_STRIDE + position

    def url_for(spec: AssetSpec, res: ResourceSpec) -> str:
        ref = ContentRef(account.dsid, False, "s", token_index, res.code)
        return download_url(ref, stream.guid, CONTAINER, account.china, partition_of(account))

    master = _zero_sizes(records.master_record(photo.spec, zone, url_for))
    asset = _zero_sizes(records.asset_record(photo.spec, zone, url_for))
    fields = asset["fields"]
    fields["addedDate"] = envelope.ts_field(photo.added_ms)
    # A public client reads contributedBy (a string); its value here is assumed.
    fields["contributedBy"] = envelope.str_field(photo.contributor.dsid)
    asset["pluginFields"] = {
        "likeCount": envelope.int_field(0),  # pyicloud's PhotoStreamAsset
        "likedByCaller": envelope.field(False, "BOOLEAN"),
        # Assumed: the contributor's names as the public webstream gives them.
        "contributorFirstName": envelope.str_field(photo.contributor.first_name),
        "contributorLastName": envelope.str_field(photo.contributor.last_name),
        "contributorFullName": envelope.str_field(photo.contributor.full_name),
    }
    comments = [_comment_record(c, photo.spec.asset_name, zone) for c in photo.comments]
    return [master, asset, *comments]


def _comment_record(comment: SharedComment, asset_name: str, zone: Zone) -> Record:
    fields: dict[str, object] = {
        "commentText": envelope.str_field(comment.text),  # as CloudKit shared albums hold it
        # Assumed: which photo, who and when.
        "assetRef": envelope.field({"recordName": asset_name, "action": "NONE"}, "REFERENCE"),
        "commenterFirstName": envelope.str_field(comment.author.first_name),
        "commenterLastName": envelope.str_field(comment.author.last_name),
        "commenterFullName": envelope.str_field(comment.author.full_name),
        "commentDate": envelope.ts_field(comment.created_ms),
    }
    return envelope.record(
        name=comment.guid,
        record_type="CPLTextComment",
        fields=fields,
        zone=zone,
        created_ms=comment.created_ms,
    )


class _NotFound(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _not_found(request: Request, exc: Exception) -> Response:
    # Assumed: no public client shows Apple's answer for an album or dsid it does not know;
    # the web services' request-error shape (see "Refusals").
    reason = exc.reason if isinstance(exc, _NotFound) else "Not Found"
    body = {"requestUUID": str(uuid.uuid4()), "errorReason": reason, "errorCode": 404}
    return JSONResponse(body, status_code=404)


def _stream(account: SandboxAccount, body: dict[str, Any]) -> SharedStream:
    guid = body.get("albumguid")
    if not isinstance(guid, str) or not guid:
        raise _web.BadRequest("albumguid is required")
    for stream in shared_streams(account):
        if stream.guid == guid:
            return stream
    raise _NotFound("no such album")


def _bound(body: dict[str, Any], name: str, default: int) -> int:
    raw = body.get(name, default)
    try:
        value = int(raw)  # pyicloud sends strings ("0", "200")
    except (TypeError, ValueError) as exc:
        raise _web.BadRequest(f"{name} must be a number") from exc
    if value < 0:
        raise _web.BadRequest(f"{name} must not be negative")
    return value


def _owner_checked(request: Request) -> SandboxAccount:
    account = _web.account_of(request)
    if request.path_params["dsid"] != account.dsid:
        raise _NotFound("no such person")  # another dsid's albums
    return account


def sharedstreams_app(world: SandboxWorld) -> ASGIApp:
    async def albums_list(request: Request) -> Response:
        account = _owner_checked(request)
        await _web.json_body(request)
        listed = [
            album_json(account, s, listed_ctag(world, account, s)) for s in shared_streams(account)
        ]
        return JSONResponse({"albums": listed})

    async def asset_count(request: Request) -> Response:
        account = _owner_checked(request)
        stream = _stream(account, await _web.json_body(request))
        return JSONResponse({"albumassetcount": len(listed_photos(world, account, stream))})

    async def assets(request: Request) -> Response:
        account = _owner_checked(request)
        body = await _web.json_body(request)
        stream = _stream(account, body)
        first = _bound(body, "offset", 0)
        end = _bound(body, "limit", first + 100)
        photos = listed_photos(world, account, stream)
        end = min(end, first + MAX_PAGE, len(photos))
        out: list[Record] = []
        for generated, photo in photos[first:end]:
            out += photo_records(account, stream, generated, photo)
        return JSONResponse({"records": out})

    app = _web.service_app(
        world,
        [
            Route("/{dsid}/sharedstreams/webgetalbumslist", albums_list, methods=["POST"]),
            Route("/{dsid}/sharedstreams/webgetassetcount", asset_count, methods=["POST"]),
            Route("/{dsid}/sharedstreams/webgetassets", assets, methods=["POST"]),
        ],
    )
    app.add_exception_handler(_NotFound, _not_found)
    return app


register_service("sharedstreams", sharedstreams_app)
