"""A small CloudKit web-services client: one database of one container.

``{ckdatabasews}/database/1/<container>/<environment>/<private|shared>/<operation>``;
JSON in and out (sent as ``text/plain`` like Apple's web apps). CloudKit error bodies
become typed errors.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient, access_denied
from cloudtap.icloud.replies import json_body, raise_for_common

Scope = Literal["private", "shared"]
Record = dict[str, Any]


@dataclass
class CloudKitDatabase:
    client: AppleClient
    container: str
    scope: Scope = "private"
    environment: str = "production"

    @property
    def base_url(self) -> str:
        root = self.client.session.service_url("ckdatabasews")
        if not root:
            raise errors.ServiceDisabled("the account has no CloudKit web service")
        return f"{root.rstrip('/')}/database/1/{self.container}/{self.environment}/{self.scope}"

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """One CloudKit operation (every one we use only reads, so it may be repeated)."""
        for attempt in range(2):
            response = await self.client.service(
                "POST",
                f"{self.base_url}/{operation}",
                json=body,
                params={"remapEnums": "True", "getCurrentSyncToken": "True"},
            )
            if access_denied(response):
                raise errors.AdpEnabled("Apple denies web access to this account's data")
            raise_for_common(response)
            reply = json_body(response)
            if isinstance(reply, dict) and response.status_code < 400:
                return reply
            if response.status_code < 400 and attempt == 0:
                continue  # a reply cut short in transit: read it once more
            raise cloudkit_error(reply, response.status_code)
        raise AssertionError("unreachable")

    async def query(
        self,
        record_type: str,
        zone: dict[str, Any],
        *,
        filters: list[dict[str, Any]] | None = None,
        results_limit: int | None = None,
        desired_keys: list[str] | None = None,
    ) -> dict[str, Any]:
        query: dict[str, Any] = {"recordType": record_type}
        if filters:
            query["filterBy"] = filters
        body: dict[str, Any] = {"query": query, "zoneID": zone}
        if results_limit is not None:
            body["resultsLimit"] = results_limit
        if desired_keys is not None:
            body["desiredKeys"] = desired_keys
        return await self.call("records/query", body)

    async def zones(self) -> list[dict[str, Any]]:
        reply = await self.call("zones/list", {})
        return [z for z in reply.get("zones") or [] if isinstance(z, dict) and not z.get("deleted")]

    async def lookup(self, zone: dict[str, Any], record_names: list[str]) -> list[Record]:
        reply = await self.call(
            "records/lookup",
            {"records": [{"recordName": name} for name in record_names], "zoneID": zone},
        )
        return [r for r in reply.get("records") or [] if isinstance(r, dict)]


def cloudkit_error(reply: Any, status: int) -> errors.ICloudError:
    code = (
        str(reply.get("serverErrorCode") or reply.get("errorCode") or "")
        if isinstance(reply, dict)
        else ""
    )
    reason = str(reply.get("reason") or "") if isinstance(reply, dict) else ""
    if code == "ACCESS_DENIED":
        return errors.AdpEnabled("Apple denies web access to this account's data")
    if code in ("ZONE_NOT_FOUND", "AUTHENTICATION_FAILED", "NOT_FOUND"):
        return errors.ServiceDisabled(f"CloudKit: {code} {reason}".strip())
    if code in ("THROTTLED", "REQUEST_RATE_LIMITED", "TOO_MANY_REQUESTS"):
        return errors.RateLimited("CloudKit is throttling this account")
    detail = json.dumps(reply)[:200] if reply is not None else "no body"
    return errors.AppleUnavailable(f"CloudKit answered HTTP {status}: {detail}")


def field_value(record: Record, name: str) -> Any:
    field = (record.get("fields") or {}).get(name)
    return field.get("value") if isinstance(field, dict) else None


async def zone_changes(
    database: CloudKitDatabase,
    zone: dict[str, Any],
    sync_token: str | None = None,
    record_types: list[str] | None = None,
) -> AsyncIterator[tuple[list[Record], str | None]]:
    """Every change to one zone since ``sync_token`` (all records when ``None``), in pages;
    each page comes with the token that resumes after it."""
    token = sync_token
    while True:
        request: dict[str, Any] = {"zoneID": zone, "reverse": False}
        if token:
            request["syncToken"] = token
        if record_types:
            request["desiredRecordTypes"] = record_types
        reply = await database.call("changes/zone", {"zones": [request]})
        entries = [z for z in reply.get("zones") or [] if isinstance(z, dict)]
        if not entries:
            return
        entry = entries[0]
        if entry.get("serverErrorCode"):
            raise cloudkit_error(entry, 200)
        token = str(entry["syncToken"]) if entry.get("syncToken") else token
        records = [r for r in entry.get("records") or [] if isinstance(r, dict)]
        yield records, token
        if not entry.get("moreComing"):
            return


def decoded_text(record: Record, name: str) -> str | None:
    """An ``ENCRYPTED_BYTES`` text field (the web receives it PCS-decrypted, base64'd)."""
    field = (record.get("fields") or {}).get(name)
    if not isinstance(field, dict) or not isinstance(field.get("value"), str):
        return None
    if field.get("type") != "ENCRYPTED_BYTES":
        return field["value"]
    try:
        return base64.b64decode(field["value"]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decoded_bytes(record: Record, name: str) -> bytes | None:
    field = (record.get("fields") or {}).get(name)
    if not isinstance(field, dict) or not isinstance(field.get("value"), str):
        return None
    try:
        return base64.b64decode(field["value"])
    except (binascii.Error, ValueError):
        return None
