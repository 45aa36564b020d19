"""A small CloudKit web-services client: one database of one container.

``{ckdatabasews}/database/1/<container>/<environment>/<private|shared>/<operation>``;
JSON in and out (sent as ``text/plain`` like Apple's web apps). CloudKit error bodies
become typed errors.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from cloudtap.icloud import errors
from cloudtap.icloud.auth.pcs import web_access_state
from cloudtap.icloud.client.apple import AppleClient, access_denied
from cloudtap.icloud.replies import raise_for_common, take_json_body

Scope = Literal["private", "shared"]
# Seconds between tries of a CloudKit call answered ACCESS_DENIED while web access is on
# (throttling): short and few, so a throttled account is not held for long nor hammered;
# then the task fails rate-limited and the job's throttle budget decides.
ACCESS_DENIED_BACKOFF = (2.0, 8.0)
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
        """One CloudKit operation (every one we use only reads, so it may be repeated).
        ``ACCESS_DENIED`` is judged by the account's web-access state: ADP ends the
        call; otherwise it is throttling, waited out a few times, then ``rate-limited``."""
        for pause in (*ACCESS_DENIED_BACKOFF, None):
            try:
                return await self._call_once(operation, body)
            except errors.AccessDenied:
                await explain_access_denied(self.client)
                if pause is None:
                    raise errors.AccessDenied(
                        "CloudKit keeps answering ACCESS_DENIED while web access is on: "
                        "Apple is throttling this account",
                        info={"apple_error": "ACCESS_DENIED"},
                    ) from None
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _call_once(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            response = await self.client.service(
                "POST",
                f"{self.base_url}/{operation}",
                json=body,
                params={"remapEnums": "True", "getCurrentSyncToken": "True"},
            )
            if access_denied(response):
                raise errors.AccessDenied("Apple answered ACCESS_DENIED")
            raise_for_common(response)
            reply = take_json_body(response)
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


async def explain_access_denied(client: AppleClient) -> None:
    """Raise what an ``ACCESS_DENIED`` means when the account's web-access state says it
    (``requestWebAccessState``, foxt/icloud.js #4): web access off is ``adp-enabled``; ADP
    whose device consent lapsed needs a new session (whose login asks the owner again).
    Return when the state shows nothing wrong: the denial is then throttling."""
    try:
        state = await web_access_state(client)
    except errors.AppleUnavailable:
        return  # no verdict from Apple: keep treating it as throttling
    if state.get("isWebAccessAllowed") is False:
        raise errors.AdpEnabled(
            "Web access to iCloud data is off (Advanced Data Protection); "
            "the account holder must turn on 'Access iCloud Data on the Web'"
        )
    if state.get("isICDRSDisabled") and state.get("isDeviceConsentedForPCS") is False:
        raise errors.SessionExpired(
            "The approval of web access (Advanced Data Protection) has lapsed; "
            "start a new session and approve it on a trusted device"
        )


def cloudkit_error(reply: Any, status: int) -> errors.ICloudError:
    code = (
        str(reply.get("serverErrorCode") or reply.get("errorCode") or "")
        if isinstance(reply, dict)
        else ""
    )
    reason = str(reply.get("reason") or "") if isinstance(reply, dict) else ""
    if code == "ACCESS_DENIED":
        return errors.AccessDenied("Apple answered ACCESS_DENIED")
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
