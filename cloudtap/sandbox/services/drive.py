"""iCloud Drive: ``drivews`` (the tree) and ``docws`` (download tokens).

- ``POST {drivews}/retrieveItemDetailsInFolders`` with a list of
  ``{"drivewsid", "partialData"}`` answers a list, one folder per entry in the same
  order: the folder's own fields, its ``items`` (direct children, without theirs) and
  ``numberOfItems``; an id it does not know answers ``{"drivewsid", "status":
  "ID_INVALID"}``. The trash (``FOLDER::com.apple.CloudDocs::TRASH_ROOT``) answers
  ``{"items", "numberOfItems", "drivewsid": "TRASH_ROOT"}``. Shapes: pyicloud's
  ``tests/const/const_drive.py`` (docs/apple-evidence.md, "iCloud Drive").
- ``GET {drivews}/retrieveAppLibraries`` answers ``{"items": [app libraries]}``.
- ``GET {docws}/ws/<zone>/download/by_id?document_id=`` answers ``data_token`` (a file)
  or ``package_token`` (a bundle) whose ``url`` is on the content host; a zero-byte file
  is a 400, as pyicloud's ``DriveNode.open`` says of iCloud.
- A folder another Apple ID shares (rich@'s "Trip with Sam") is a ``SHARED_FOLDER::``
  item; what lies in it ``FOLDER_IN_SHARED_FOLDER::`` / ``FILE_IN_SHARED_FOLDER::``, all
  with the share's ``shareID`` and, below the shared folder, the ``owner``. A folder in it
  is listed only when its entry carries that ``shareID`` (pyicloud 2026.10.1; rclone
  reports a 400 without), a file in it downloads from
  ``download/by_id/<ownerRecordName>`` (pyicloud's ``get_file``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.apple.account_json import partition_of
from cloudtap.sandbox.hosts import CONTENT, CONTENT_CN, service_url
from cloudtap.sandbox.photos.records import checksum
from cloudtap.sandbox.photos.urls import ContentRef, encode_token
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import drive as gen
from cloudtap.sandbox.world import SandboxWorld

# Apple writes dateCreated/dateChanged in its own (Pacific) time, dateModified and
# lastOpenTime in UTC (const_drive.py).
_PACIFIC = ZoneInfo("America/Los_Angeles")
_TRASH_KEEPS = timedelta(days=30)  # dateExpiration: a month after deletion
# Assumed: no bound is published; idrive-cli sends a whole level of a tree in one request.
# Above it the sandbox answers 400 (a client then asks again in smaller batches).
MAX_FOLDERS_PER_REQUEST = 1_000


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pacific(moment: datetime) -> str:
    return moment.astimezone(_PACIFIC).isoformat(timespec="seconds")


def _node_json(account: SandboxAccount, node: gen.DriveNode) -> dict[str, Any]:
    tree = gen.tree(account.content)
    out: dict[str, Any] = {
        "dateCreated": _pacific(node.created),
        "drivewsid": node.drivewsid,
        "docwsid": node.docwsid,
        "zone": node.zone,
        "name": node.name,
    }
    if node.drivewsid == gen.ROOT_ID:
        del out["dateCreated"]
    else:
        out["parentId"] = node.parent
    if node.extension is not None:
        out["extension"] = node.extension
    if node.trashed and node.restore_path is not None:
        out["dateExpiration"] = _utc(node.modified + _TRASH_KEEPS)
        out["isChainedToParent"] = True
        out["restorePath"] = node.restore_path
    if node.item_id:
        out["item_id"] = node.item_id  # OpenDAL's captured items carry one
    if node.shared_by:
        # The share's CloudKit record (rclone's iclouddrive backend, TestDriveItemShareID),
        # on the shared folder and what lies in it (pyicloud passes it back to list them);
        # an item in it also names its owner (pyicloud's DriveNode.owner_record_name).
        out["shareID"] = share_id(account, node)
        if not node.drivewsid.startswith("SHARED_FOLDER::"):
            out["owner"] = {"ownerRecordName": node.shared_by}
    out["etag"] = node.etag
    out["type"] = node.kind
    if node.kind == "FILE":
        out["dateModified"] = _utc(node.modified)
        out["dateChanged"] = _pacific(node.modified)
        out["size"] = node.size
        if node.opened is not None:
            out["lastOpenTime"] = _utc(node.opened)
    elif node.kind == "APP_LIBRARY":
        out["maxDepth"] = "ANY"
        host = service_url("drivews", partition_of(account), account.china).removesuffix(":443")
        out["icons"] = [
            {
                "url": f"{host}/getIcons?id={node.zone}&field=icon120x120_iOS",
                "type": "IOS",
                "size": 120,
            }
        ]
        out["supportedExtensions"] = [] if node.package else [node.name.lower()]
        out["supportedTypes"] = []
    else:
        size, count = tree.stats(node)
        out["assetQuota"] = size
        out["fileCount"] = count
        out["shareCount"] = 0
        out["shareAliasCount"] = 0
        out["directChildrenCount"] = len(tree.children_of(node.drivewsid))
    return out


def share_id(account: SandboxAccount, node: gen.DriveNode) -> dict[str, Any]:
    """The one share every node of a shared folder belongs to (the shared folder's)."""
    tree = gen.tree(account.content)
    top = node
    while not top.drivewsid.startswith("SHARED_FOLDER::"):
        parent = tree.node(top.parent)
        if parent is None:
            break
        top = parent
    return {
        "shareName": f"share-{top.docwsid}",
        "recordName": f"share-{top.docwsid}",
        "zoneID": {
            "zoneName": node.zone,
            "ownerRecordName": node.shared_by,
            "zoneType": "REGULAR_CUSTOM_ZONE",
        },
    }


def folder_reply(account: SandboxAccount, drivewsid: str, share: Any = None) -> dict[str, Any]:
    tree = gen.tree(account.content)
    if drivewsid in (gen.TRASH_REQUEST_ID, gen.TRASH_ID):
        items = [_node_json(account, n) for n in tree.children_of(gen.TRASH_ID)]
        return {"items": items, "numberOfItems": len(items), "drivewsid": gen.TRASH_ID}
    node = tree.node(drivewsid)
    if node is None or node.kind == "FILE":
        return {"drivewsid": drivewsid, "status": "ID_INVALID"}
    if node.drivewsid.startswith(IN_SHARED_FOLDER) and share != share_id(account, node):
        # Asked without the share it belongs to: rclone's iclouddrive backend reports
        # drivews' 400; pyicloud sends the item's shareID along (get_node_data).
        raise _web.BadRequest("a folder in a shared folder is listed with its shareID")
    out = _node_json(account, node)
    items = [_node_json(account, n) for n in tree.children_of(node.drivewsid)]
    out["items"] = items
    out["numberOfItems"] = len(items)
    return out


# A folder in a shared folder, asked for without its shareID, is refused (rclone).
IN_SHARED_FOLDER = "FOLDER_IN_SHARED_FOLDER::"


def download_reply(
    account: SandboxAccount, zone: str, document_id: str, owner: str = ""
) -> Response:
    """A file of a shared folder is in its owner's zone: asked for with the owner's record
    name after ``by_id/`` (pyicloud's ``get_file``), without it a 404, as pyicloud says
    the caller's own namespace answers."""
    node = gen.tree(account.content).document(zone, document_id)
    if node is None or node.shared_by != owner:
        return JSONResponse({"errorCode": "NOT_FOUND", "reason": "no such document"}, 404)
    if node.size == 0:
        # pyicloud's DriveNode.open: "iCloud returns 400 Bad Request for 0-byte files".
        raise _web.BadRequest("document has no content")
    content = {
        "url": content_url(account, node),
        "token": _content_token(account, node)[-12:],
        "signature": node.checksum,
        "wrapping_key": node.checksum[:22] + "==",
        "reference_signature": checksum("drive-ref", node.drivewsid, node.etag),
    }
    key = "package_token" if node.package else "data_token"
    return JSONResponse({"document_id": node.docwsid, key: content, "double_etag": node.etag})


def _content_token(account: SandboxAccount, node: gen.DriveNode) -> str:
    ref = ContentRef(dsid=account.dsid, shared=False, source="d", index=node.index, code=0)
    return encode_token(ref)


def content_url(account: SandboxAccount, node: gen.DriveNode) -> str:
    """Where the content host serves the node's bytes (a package: as a zip)."""
    token = _content_token(account, node)
    host = CONTENT_CN if account.china else CONTENT
    name = quote(node.full_name if not node.package else f"{node.full_name}.zip")
    wrapping_key = node.checksum[:22] + "=="
    url = (
        f"https://{host}/B/{token}/{name}?o={token[:22]}&v=1&x=3&a={token[-12:]}"
        f"&e=1900000000&k={quote(wrapping_key)}&fl=&r=sandbox&ckc=com.apple.clouddocs"
        f"&ckz={quote(node.zone)}&p={partition_of(account)}&s={token[-8:]}"
    )
    return url


# requestPCS "iclouddrive" brings this cookie (rclone PR #9448; sandbox.apple.setup).
PCS_COOKIE = "X-APPLE-WEBAUTH-PCS-Documents"


def _refused_for_adp(account: SandboxAccount, request: Request) -> Response | None:
    """ADP without Drive's PCS cookie: Apple's "Missing PCS cookies" 423, as users of
    Drive clients report it (icloud-docker #125, #262); the body is assumed."""
    if not account.adp or (account.adp_web_access and request.cookies.get(PCS_COOKIE)):
        return None
    body = {"requestUUID": account.dsid, "errorReason": "Missing PCS cookies", "errorCode": 423}
    return JSONResponse(body, status_code=423)


def drivews_app(world: SandboxWorld) -> ASGIApp:
    async def folders(request: Request) -> Response:
        account = _web.account_of(request)
        if refused := _refused_for_adp(account, request):
            return refused
        try:
            body = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _web.BadRequest("request body is not valid JSON") from exc
        if not isinstance(body, list) or not body:
            raise _web.BadRequest("body must be a non-empty list of {drivewsid}")
        if len(body) > MAX_FOLDERS_PER_REQUEST:
            raise _web.BadRequest(f"at most {MAX_FOLDERS_PER_REQUEST} folders per request")
        wanted = [e.get("drivewsid") if isinstance(e, dict) else None for e in body]
        if not all(isinstance(w, str) and w for w in wanted):
            raise _web.BadRequest("every entry needs a drivewsid")
        shares = [e.get("shareID") for e in body]
        return JSONResponse(
            [folder_reply(account, str(w), share) for w, share in zip(wanted, shares, strict=True)]
        )

    async def app_libraries(request: Request) -> Response:
        account = _web.account_of(request)
        if refused := _refused_for_adp(account, request):
            return refused
        tree = gen.tree(account.content)
        libraries = [n for n in tree.children_of(gen.ROOT_ID) if n.kind == "APP_LIBRARY"]
        return JSONResponse({"items": [_node_json(account, n) for n in libraries]})

    return _web.service_app(
        world,
        [
            Route("/retrieveItemDetailsInFolders", folders, methods=["POST"]),
            Route("/retrieveAppLibraries", app_libraries, methods=["GET"]),
        ],
    )


def docws_app(world: SandboxWorld) -> ASGIApp:
    async def download(request: Request) -> Response:
        account = _web.account_of(request)
        if refused := _refused_for_adp(account, request):
            return refused
        document_id = request.query_params.get("document_id", "")
        if not document_id:
            raise _web.BadRequest("document_id is required")
        owner = request.path_params.get("owner", "")
        return download_reply(account, request.path_params["zone"], document_id, owner)

    return _web.service_app(
        world,
        [
            Route("/ws/{zone}/download/by_id", download, methods=["GET"]),
            Route("/ws/{zone}/download/by_id/{owner}", download, methods=["GET"]),
        ],
    )


register_service("drivews", drivews_app)
register_service("docws", docws_app)
