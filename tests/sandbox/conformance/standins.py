"""Stand-ins: the sandbox's own values for those only a capture has, in CloudKit calls.

A captured request names records, albums, a shared zone and download URLs of a real
library. Before it is replayed these are swapped for the sandbox's: a captured record
stands for the sandbox record of the same type (and album type) at the same place in the
same reply; a modify is aimed at an asset the sandbox has; a capture made on a library
with deleted assets gets some deleted first, the way icloudpd deletes (``records/modify``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.photos.container import shared_zone_name
from tests.sandbox.conformance.captures import Call

SHARED_ZONE = re.compile(r"SharedSync-[0-9A-Fa-f-]{36}")


class StandIns:
    """What the replay has learnt of the sandbox's library, and the request rewriting."""

    def __init__(self, http: httpx.AsyncClient, account: Callable[[str], SandboxAccount]) -> None:
        self.http = http
        self.account = account
        self.download_url: str | None = None
        self.asset: dict[str, Any] | None = None  # a CPLAsset the sandbox has listed
        self.change_tags: dict[str, str] = {}  # the sandbox's records' current tags
        self.deleted = False  # whether assets were put in Recently Deleted for the capture
        # Captured record name → the sandbox's record of the same type at the same place.
        self.names: dict[str, str] = {}

    def learn(self, call: Call, response: httpx.Response) -> None:
        """Take note of a sandbox reply: its records, tags and download URLs."""
        self._remember(response)
        self._pair_names(call.body, response)

    async def request_body(self, call: Call) -> bytes | None:
        if call.request_body is None:
            return None
        body = call.request_body
        if body in ("note", "attachment"):
            body = await self._notes_lookup(call, str(body))
        if call.source == "pyicloud":
            await self._album_of_our_own(call, body)
        text = json.dumps(body)
        for captured, ours in self.names.items():
            text = text.replace(captured, ours)
        body = json.loads(text)
        if urlsplit(call.url).path.endswith("records/modify"):
            body = await self._on_sandbox_asset(call, body)
        if urlsplit(call.url).path.endswith("changes/zone"):
            body = _without_placeholder_tokens(body)
        text = json.dumps(body)
        return SHARED_ZONE.sub(self._shared_zone(call), text).encode()

    async def _notes_lookup(self, call: Call, kind: str) -> dict[str, Any]:
        """A lookup of one of the sandbox's own notes (or attachments) by record name."""
        wanted = "Note" if kind == "note" else "Attachment"
        names: list[str] = []
        token: str | None = None
        while not names:
            zone: dict[str, Any] = {"zoneID": {"zoneName": "Notes"}, "resultsLimit": 1000}
            if token:
                zone["syncToken"] = token
            changes = await self.http.post(
                call.url.replace("records/lookup", "changes/zone"), json={"zones": [zone]}
            )
            page = changes.json()["zones"][0]
            records = page.get("records", [])
            # The captured note lists an attachment (Attachments): stand one that does in.
            names = [
                r["recordName"]
                for r in records
                if r.get("recordType") == wanted
                and (wanted != "Note" or "Attachments" in r.get("fields", {}))
            ][:1]
            if not page.get("moreComing"):
                break
            token = page.get("syncToken")
        return {"records": [{"recordName": n} for n in names], "zoneID": {"zoneName": "Notes"}}

    async def delete_some(self, call: Call, count: int = 20) -> None:
        """The captured account had assets in Recently Deleted: delete a few of ours the
        way icloudpd does (records/modify isDeleted = 1), so the listing has some too."""
        base = call.url.split("/records/")[0].split("/internal/")[0]
        query = {
            "query": {"recordType": "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"},
            "resultsLimit": 2 * count,
            "zoneID": {"zoneName": "PrimarySync"},
        }
        listed = (await self.http.post(f"{base}/records/query", json=query)).json()
        assets = [r for r in listed.get("records", []) if r.get("recordType") == "CPLAsset"]
        operations = [
            {
                "operationType": "update",
                "record": {
                    "recordName": a["recordName"],
                    "recordType": "CPLAsset",
                    "recordChangeTag": a["recordChangeTag"],
                    "fields": {"isDeleted": {"value": 1}},
                },
            }
            for a in assets[:count]
        ]
        body = {"atomic": True, "operations": operations, "zoneID": {"zoneName": "PrimarySync"}}
        reply = await self.http.post(f"{base}/records/modify", json=body)
        assert reply.status_code == 200, reply.text
        self.deleted = True

    async def _album_of_our_own(self, call: Call, body: Any) -> None:
        """pyicloud's album fixtures name a placeholder album: stand one of ours in for it."""
        filters = body.get("query", {}).get("filterBy") if isinstance(body, dict) else None
        parent = next(
            (f["fieldValue"]["value"] for f in filters or [] if f.get("fieldName") == "parentId"),
            None,
        )
        if not isinstance(parent, str) or parent in self.names:
            return
        query = {"query": {"recordType": "CPLAlbumByPositionLive"}, "zoneID": body["zoneID"]}
        url = call.url.split("/records/")[0] + "/records/query"
        albums = (await self.http.post(url, json=query)).json().get("records", [])
        ours = [a for a in albums if _kind(a) == ("CPLAlbum", 0)]
        if ours:
            self.names[parent] = ours[0]["recordName"]

    async def _on_sandbox_asset(self, call: Call, body: Any) -> Any:
        """The capture's modify, aimed at an asset the sandbox has (the captured one isn't)."""
        if self.asset is None:
            query = {
                "query": {"recordType": "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"},
                "resultsLimit": 2,
                "zoneID": body.get("zoneID") or {"zoneName": "PrimarySync"},
            }
            text = SHARED_ZONE.sub(self._shared_zone(call), json.dumps(query))
            url = call.url.replace("records/modify", "records/query")
            self._remember(await self.http.post(url, content=text))
        if self.asset is None:
            return body
        operations = []
        for operation in body.get("operations", []):
            record = dict(operation.get("record", {}))
            if record.get("recordName") not in self.change_tags:
                record["recordName"] = self.asset["recordName"]
            record["recordChangeTag"] = self.change_tags.get(record["recordName"])
            operations.append({**operation, "record": record})
        return {**body, "operations": operations}

    def _pair_names(self, captured: Any, response: httpx.Response) -> None:
        """Learn which sandbox record stands for which captured one (same type, same place)."""
        if not isinstance(captured, dict) or "json" not in response.headers.get("content-type", ""):
            return
        ours = response.json()
        for record in ours.get("records", []) if isinstance(ours, dict) else []:
            if isinstance(record, dict) and "recordChangeTag" in record:
                self.change_tags[record["recordName"]] = record["recordChangeTag"]
        batches = zip(captured.get("batch", []), ours.get("batch", []), strict=False)
        pairs = [(captured, ours), *batches]
        for theirs_page, our_page in pairs:
            if not isinstance(theirs_page, dict) or not isinstance(our_page, dict):
                continue
            by_kind: dict[tuple[str, Any], list[str]] = {}
            for record in our_page.get("records", []):
                if "recordType" in record:
                    by_kind.setdefault(_kind(record), []).append(record["recordName"])
            first: dict[tuple[str, Any], str] = {}
            for record in theirs_page.get("records", []):
                kind = _kind(record)
                names = by_kind.get(kind, [])
                if record.get("recordName") in self.names:
                    continue
                if names:
                    first.setdefault(kind, names[0])
                    self.names[record["recordName"]] = names.pop(0)
                elif kind[0] == "CPLAlbum" and kind in first:
                    # More captured albums than the scenario library has: the first of
                    # ours stands in again, so its page is a page of an album, not empty.
                    self.names[record["recordName"]] = first[kind]

    def _shared_zone(self, call: Call) -> str:
        seed = getattr(self.account(call.account).photos, "seed", None)
        return shared_zone_name(seed) if seed is not None else "SharedSync-none"

    def _remember(self, response: httpx.Response) -> None:
        if "json" not in response.headers.get("content-type", ""):
            return
        if self.asset is None:
            records = response.json().get("records", []) if response.status_code == 200 else []
            self.asset = next((r for r in records if r.get("recordType") == "CPLAsset"), None)
        if self.download_url:
            return
        match = re.search(r'"downloadURL":\s*"([^"]+)"', response.text)
        if match:
            self.download_url = match.group(1).replace("${f}", "file.bin")


PLACEHOLDER_TOKEN = re.compile(r"SYNC_TOKEN_\d+")


def _without_placeholder_tokens(body: Any) -> Any:
    """pyicloud's sanitised fixtures replace sync tokens with ``SYNC_TOKEN_nnn``, which
    no server can resume from: the replay asks for the zone's changes from the start."""
    if not isinstance(body, dict) or not isinstance(body.get("zones"), list):
        return body
    zones = [
        {k: v for k, v in z.items() if k != "syncToken"}
        if isinstance(z, dict) and PLACEHOLDER_TOKEN.fullmatch(str(z.get("syncToken", "")))
        else z
        for z in body["zones"]
    ]
    return {**body, "zones": zones}


def _kind(record: dict[str, Any]) -> tuple[str, Any]:
    """Records stand for each other if their type (and album type: folder, album...) match."""
    album_type = record.get("fields", {}).get("albumType", {})
    kind = album_type.get("value") if isinstance(album_type, dict) else None
    return record.get("recordType", ""), kind
