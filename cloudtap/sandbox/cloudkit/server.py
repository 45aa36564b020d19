"""The ``ckdatabasews`` service: CloudKit Web Services' database API over the containers.

Routes ``POST /database/1/<container>/<env>/<private|shared>/<operation>``. This module
owns the wire protocol (session cookies, JSON bodies sent as ``text/plain``, error
bodies, ``desiredKeys`` projection, the ``query/batch`` and ``changes`` envelopes);
containers only answer with records (see ``container.py``).
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.cloudkit import envelope
from cloudtap.sandbox.cloudkit.container import (
    CONTAINERS,
    CloudKitError,
    Container,
    Database,
    Record,
    Zone,
)
from cloudtap.sandbox.cloudkit.context import current_world, world_state
from cloudtap.sandbox.cloudkit.replies import ReplyCache
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

JsonDict = dict[str, Any]

# Container modules served here; each registers itself on import. Guarded, because
# some are written by other work streams and may not exist yet.
CONTAINER_MODULES = [
    "cloudtap.sandbox.photos.container",
    "cloudtap.sandbox.services.notes",
    "cloudtap.sandbox.services.callhistory",
    "cloudtap.sandbox.services.safari",
    "cloudtap.sandbox.services.reminders",
]

DEFAULT_CHANGES_LIMIT = 200
MAX_CHANGES_LIMIT = 1000


def load_containers() -> None:
    for module in CONTAINER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def _dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON; orjson (a page of 200 records in a few ms), else the stdlib."""
    try:
        return orjson.dumps(body)
    except TypeError:  # e.g. an int beyond 64 bits: what the stdlib still writes
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _json(body: Any, status: int = 200) -> Response:
    """A CloudKit JSON answer; ``body`` is a document, or one already encoded (bytes)."""
    return Response(
        body if isinstance(body, bytes) else _dumps(body),
        status_code=status,
        media_type="application/json; charset=UTF-8",
        headers={
            "X-Apple-CloudKit-Version": "1.0",
            "X-Apple-Request-UUID": str(uuid.uuid4()),
            "Access-Control-Allow-Origin": "https://www.icloud.com",
            "Access-Control-Allow-Credentials": "true",
        },
    )


def _error(code: str, reason: str, status: int) -> Response:
    return _json(envelope.error_body(code, reason), status)


class _Call:
    """One parsed request: who, which container and database, and the JSON body."""

    def __init__(
        self, account: SandboxAccount, container: Container, database: Database, body: Any
    ) -> None:
        self.account = account
        self.container = container
        self.database = database
        self.body = body

    def zone(self, zone_json: Any) -> Zone:
        """Resolve a request's ``zoneID`` against the account's zones in this database."""
        name = zone_json.get("zoneName") if isinstance(zone_json, dict) else None
        if not isinstance(name, str) or not name:
            name = "_defaultZone"
        for zone in self.container.zones(self.account, self.database):
            if zone.name == name:
                return zone
        raise CloudKitError("ZONE_NOT_FOUND", f"Zone '{name}' does not exist", 404)

    def sync_token(self, zone: Zone) -> str:
        current = getattr(self.container, "sync_token", None)
        if callable(current):
            return str(current(self.account, self.database, zone))
        return "AQAAAAAAAAAAf//////////w=="


def _project(records: list[Record], desired_keys: Any) -> list[Record]:
    """Apply ``desiredKeys``: only those fields are returned (metadata always is)."""
    if not isinstance(desired_keys, list) or not desired_keys:
        return records
    wanted = {k for k in desired_keys if isinstance(k, str)}
    out = []
    for rec in records:
        fields = rec.get("fields")
        if isinstance(fields, dict):
            rec = {**rec, "fields": {k: v for k, v in fields.items() if k in wanted}}
        out.append(rec)
    return out


def _query(call: _Call, body: Any) -> JsonDict:
    if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
        raise CloudKitError("BAD_REQUEST", "missing required field 'query'")
    if not isinstance(body["query"].get("recordType"), str):
        raise CloudKitError("BAD_REQUEST", "missing required field 'query.recordType'")
    zone = call.zone(body.get("zoneID"))
    reply = call.container.query(call.account, call.database, zone, body)
    out: JsonDict = {"records": _project(reply.records, body.get("desiredKeys"))}
    if reply.continuation_marker:
        out["continuationMarker"] = reply.continuation_marker
    out.update(reply.extra)
    out["syncToken"] = call.sync_token(zone)
    return out


def records_query(call: _Call) -> JsonDict | bytes:
    """One query; a versioned zone's answer is kept and served again while unchanged."""
    body = call.body
    versioned = getattr(call.container, "reply_version", None)
    if not callable(versioned) or not isinstance(body, dict):
        return _query(call, body)
    zone = call.zone(body.get("zoneID"))
    version = versioned(call.account, call.database, zone)
    if version is None:
        return _query(call, body)
    # The zone is resolved by name: the rest of zoneID does not change the answer.
    request = {k: v for k, v in body.items() if k != "zoneID"}
    try:
        asked = orjson.dumps(request, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _query(call, body)
    key = (call.container.name, call.account.dsid, call.database, zone.name, version, asked)
    cache = world_state("cloudkit-replies", ReplyCache)
    kept = cache.get(key)
    if kept is not None:
        return kept
    reply = _dumps(_query(call, body))
    cache.put(key, reply)
    return reply


def query_batch(call: _Call) -> JsonDict:
    batch = call.body.get("batch") if isinstance(call.body, dict) else None
    if not isinstance(batch, list):
        raise CloudKitError("BAD_REQUEST", "missing required field 'batch'")
    return {"batch": [_query(call, item) for item in batch]}


def zones_list(call: _Call) -> JsonDict:
    zones = call.container.zones(call.account, call.database)
    return {
        "moreComing": False,
        "syncToken": _database_token(call),
        # Per-zone syncToken and deleted: newer than the 2018 captures, in pyicloud's
        # photos_zones_list_response.json; pyicloud's sync_cursor() reads the token.
        "zones": [
            {"zoneID": envelope.zone_id(z), "syncToken": call.sync_token(z), "deleted": False}
            for z in zones
        ],
    }


def _database_token(call: _Call) -> str:
    from cloudtap.sandbox.cloudkit.tokens import encode_sync_token, zone_check

    zones = call.container.zones(call.account, call.database)
    check = zone_check(call.account.dsid, call.container.name, call.database)
    return encode_sync_token(len(zones), check)


def database_changes(call: _Call) -> JsonDict:
    zones = call.container.zones(call.account, call.database)
    return {
        "zones": [{"zoneID": envelope.zone_id(z), "deleted": False} for z in zones],
        "moreComing": False,
        "syncToken": _database_token(call),
    }


def zone_changes(call: _Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    requested = body.get("zones")
    if not isinstance(requested, list) or not requested:
        raise CloudKitError("BAD_REQUEST", "missing required field 'zones'")
    limit = body.get("resultsLimit", DEFAULT_CHANGES_LIMIT)
    if not isinstance(limit, int) or limit <= 0:
        limit = DEFAULT_CHANGES_LIMIT
    limit = min(limit, MAX_CHANGES_LIMIT)
    out = []
    for item in requested:
        if not isinstance(item, dict):
            raise CloudKitError("BAD_REQUEST", "each zone must be an object")
        zone_json = item.get("zoneID")
        try:
            zone = call.zone(zone_json)
        except CloudKitError as exc:
            out.append(
                {
                    "zoneID": zone_json,
                    "serverErrorCode": exc.server_error_code,
                    "reason": exc.reason,
                }
            )
            continue
        token = item.get("syncToken")
        types = item.get("desiredRecordTypes")
        page = call.container.changes(
            call.account,
            call.database,
            zone,
            token if isinstance(token, str) and token else None,
            limit,
            [t for t in types if isinstance(t, str)] if isinstance(types, list) else None,
        )
        out.append(
            {
                "records": _project(page.records, item.get("desiredKeys")),
                "moreComing": page.more_coming,
                "syncToken": page.sync_token,
                "zoneID": envelope.zone_id(zone),
            }
        )
    return {"zones": out}


def records_lookup(call: _Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    wanted = body.get("records")
    if not isinstance(wanted, list):
        raise CloudKitError("BAD_REQUEST", "missing required field 'records'")
    names: list[str] = [
        w["recordName"]
        for w in wanted
        if isinstance(w, dict) and isinstance(w.get("recordName"), str)
    ]
    zone = call.zone(body.get("zoneID"))
    found = {
        r["recordName"]: r for r in call.container.lookup(call.account, call.database, zone, names)
    }
    records = [
        found.get(n) or envelope.record_error(n, "NOT_FOUND", "Record not found") for n in names
    ]
    return {
        "records": _project(records, body.get("desiredKeys")),
        "syncToken": call.sync_token(zone),
    }


def records_modify(call: _Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    operations = body.get("operations")
    if not isinstance(operations, list):
        raise CloudKitError("BAD_REQUEST", "missing required field 'operations'")
    zone = call.zone(body.get("zoneID"))
    modify = getattr(call.container, "modify", None)
    if not callable(modify):
        # The Reference's code for a refused write (it has no PERMISSION_FAILURE).
        raise CloudKitError("ACCESS_DENIED", "This container is read-only in the sandbox", 403)
    records: list[Record] = modify(call.account, call.database, zone, operations)
    return {
        "records": _project(records, body.get("desiredKeys")),
        "syncToken": call.sync_token(zone),
    }


OPERATIONS: dict[str, Callable[[_Call], JsonDict | bytes]] = {
    "records/query": records_query,
    "internal/records/query/batch": query_batch,
    "zones/list": zones_list,
    "changes/zone": zone_changes,
    "changes/database": database_changes,
    "records/lookup": records_lookup,
    "records/modify": records_modify,
}


# The ``world.tally`` name of a CloudKit request that reached an account.
CLOUDKIT_TALLY = "ckdatabasews"


# The PCS cookie an ADP account's browser needs per container (rclone PR #9448 names
# Photos for Photos; the others are assumed from the cookie names).
_PCS_COOKIE_OF_CONTAINER = {
    "com.apple.photos.cloud": "X-APPLE-WEBAUTH-PCS-Photos",
    "com.apple.notes": "X-APPLE-WEBAUTH-PCS-Notes",
}


def _pcs_opened(account: SandboxAccount, container: str, request: Request) -> bool:
    """ADP with web access on: CloudKit opens once requestPCS set the container's cookie."""
    cookie = _PCS_COOKIE_OF_CONTAINER.get(container, "X-APPLE-WEBAUTH-PCS-Cloudkit")
    return account.adp_web_access and bool(request.cookies.get(cookie))


def _make_endpoint(world: SandboxWorld) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        params = request.path_params
        operation = OPERATIONS.get(params["operation"].strip("/"))
        if operation is None:
            return _error("BAD_REQUEST", f"Unknown operation '{params['operation']}'", 400)
        if params["environment"] not in ("production", "development"):
            return _error("BAD_REQUEST", f"Unknown environment '{params['environment']}'", 400)
        database: Database = "shared" if params["database"] == "shared" else "private"
        if params["database"] not in ("private", "shared"):
            return _error("BAD_REQUEST", f"Unsupported database '{params['database']}'", 400)
        account = world.account_for_cookies(request.cookies)
        if account is None:
            # Apple's edge answers a missing or expired web session with 421.
            return _error("AUTHENTICATION_REQUIRED", "Authentication required for Account.", 421)
        # Counted per account, so a benchmark can show each account's requests stay bounded.
        world.tally.add(account.apple_id, CLOUDKIT_TALLY)
        container = CONTAINERS.get(params["container"])
        if account.adp and not _pcs_opened(account, params["container"], request):
            return _error("ACCESS_DENIED", "private db access disabled for this account", 403)
        if account.access_denied_first and (
            world.count_cloudkit_call(account.apple_id) <= account.access_denied_first
        ):
            # The same reply as for ADP (docker-icloudpd #63 quotes it for throttling).
            return _error("ACCESS_DENIED", "private db access disabled for this account", 403)
        if container is None:
            return _error("BAD_REQUEST", f"Unknown container '{params['container']}'", 400)
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError):
            return _error("BAD_REQUEST", "Request body is not valid JSON", 400)
        call = _Call(account, container, database, body)
        reset = current_world.set(world)
        try:
            response = _json(operation(call))
        except CloudKitError as exc:
            return _error(exc.server_error_code, exc.reason, exc.status)
        finally:
            current_world.reset(reset)
        _refresh_session_cookie(request, response)
        return response

    return endpoint


def _refresh_session_cookie(request: Request, response: Response) -> None:
    """Apple's CloudKit replies re-set the web session cookie (icloudpd's 2023 cassettes,
    e.g. download_autodelete_photos_part1.yml); the sandbox re-sets the same session."""
    token = request.cookies.get(WEB_SESSION_COOKIE, "").strip('"')
    host = request.headers.get("host", "").split(":", 1)[0]
    domain = ".icloud.com.cn" if host.endswith(".com.cn") else ".icloud.com"
    response.headers.append(
        "set-cookie", f'{WEB_SESSION_COOKIE}="{token}";Path=/;Domain={domain};Secure;HttpOnly'
    )


def build_app(world: SandboxWorld) -> Starlette:
    load_containers()
    route = Route(
        "/database/1/{container}/{environment}/{database}/{operation:path}",
        _make_endpoint(world),
        methods=["POST"],
    )
    fallback = Route("/{path:path}", _unknown_route, methods=["GET", "POST", "PUT", "DELETE"])
    return Starlette(routes=[route, fallback])


async def _unknown_route(request: Request) -> Response:
    return _error("NOT_FOUND", f"No CloudKit endpoint at {request.url.path}", 404)


register_service("ckdatabasews", build_app)
