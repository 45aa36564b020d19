"""Replays captured calls against an in-process sandbox, one capture group per fresh world.

The request of a capture names a real person; the driver plays it with the scenario
account in the same situation (``Call.account``), signing in with the real SRP flow
(``tests/sandbox/apple/conftest.Apple``) where the capture is a signed-in call. Values
that only exist in the capture (record names, the shared zone's name, a download URL)
are swapped for the sandbox's own before the request is sent.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD, scenario_accounts
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.photos.container import shared_zone_name
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.apple.conftest import Apple
from tests.sandbox.conformance.captures import IDMSA, SETUP, Call

WRONG_CODE = "000000"
SHARED_ZONE = re.compile(r"SharedSync-[0-9A-Fa-f-]{36}")


class Replayer:
    """Plays the calls of one capture group in order, keeping the session between them."""

    def __init__(self, http: httpx.AsyncClient, world: SandboxWorld) -> None:
        self.apple = Apple(http=http, world=world)
        self.http = http
        self.world = world
        self.log: list[httpx.Response] = []
        self.signed_in = ""  # whose web session the cookie jar holds (one at a time)
        self.trust_token = ""
        self.devices: list[dict[str, Any]] = []
        self.download_url: str | None = None
        self.asset: dict[str, Any] | None = None  # a CPLAsset the sandbox has listed
        self.change_tags: dict[str, str] = {}  # the sandbox's records' current tags
        self.deleted = False  # whether assets were put in Recently Deleted for the capture
        # Captured record name → the sandbox's record of the same type at the same place.
        self.names: dict[str, str] = {}

    def account(self, name: str) -> SandboxAccount:
        account = self.world.account(f"{name}@sandbox.cloudtap.dev")
        assert account is not None, name
        return account

    # --- sign-in ------------------------------------------------------------------------
    async def _signin(self, call: Call, password: str = PASSWORD) -> None:
        self.log.clear()
        await self.apple.signin(self.account(call.account).apple_id, password=password)

    async def sign_in_fully(self, name: str) -> None:
        """A trusted web session for ``name`` (second factor done where the account has one)."""
        if name == self.signed_in:
            return
        account = self.account(name)
        complete = await self.apple.signin(account.apple_id)
        token = ""
        if complete.status_code == 409:
            body = {"securityCode": {"code": CODE}}
            await self.apple.idmsa("POST", "/verify/trusteddevice/securitycode", json=body)
            token = (await self.apple.idmsa("GET", "/2sv/trust")).headers.get(
                "X-Apple-TwoSV-Trust-Token", ""
            )
        login = await self.apple.account_login(trust_token=token)
        assert login.status_code == 200, login.text
        self.signed_in = name

    # --- one call -----------------------------------------------------------------------
    async def replay(self, call: Call) -> httpx.Response:
        url = urlsplit(call.url)
        host, path = url.netloc, url.path
        if host == "idmsa.apple.com":
            return await self._idmsa(call, path.removeprefix("/appleauth/auth"))
        if host == "setup.icloud.com" and path.startswith("/setup/ws/1/"):
            return await self._setup(call, path.removeprefix("/setup/ws/1/"))
        if host.endswith("icloud-content.com"):
            assert self.download_url, f"{call.name}: no sandbox download URL seen yet"
            return await self.http.get(self.download_url)
        await self.sign_in_fully(call.account)
        if "DeletedByExpungedDate" in json.dumps(call.request_body) and not self.deleted:
            await self._delete_some(call)
        content = await self._request_body(call)
        response = await self.http.request(
            call.method,
            call.url,
            content=content,
            headers={"Content-Type": "text/plain"} if content is not None else {},
        )
        self._remember(response)
        self._pair_names(call.body, response)
        return response

    async def _idmsa(self, call: Call, path: str) -> httpx.Response:
        if path == "/signin/init":
            wrong = call.note == "wrong-password" or call.group == "fallback_raw_password"
            await self._signin(call, password="wrong" if wrong else PASSWORD)
            return self.log[0]
        if path == "/signin/complete":
            if call.group == "const":  # run the SRP exchange, answer with its second step
                await self._signin(call)
            return self.log[-1]
        if path == "/signin":
            raw = PASSWORD if call.group == "fallback_raw_password" else "wrong"
            body = {
                "accountName": self.account(call.account).apple_id,
                "password": raw,
                "rememberMe": True,
                "trustTokens": [],
            }
            return await self.apple.idmsa(
                "POST", "/signin", params={"isRememberMeEnabled": "true"}, json=body
            )
        if path == "":
            if call.group == "data":  # a saved page: reach it the way a client does
                await self._signin(call)
            return await self.apple.idmsa("GET", "", headers={"Accept": "text/html"})
        if path == "/verify/trusteddevice/securitycode":
            code = CODE if call.status == 204 else WRONG_CODE
            body = {"securityCode": {"code": code}}
            return await self.apple.idmsa(call.method, path, json=body)
        if path == "/2sv/trust":
            response = await self.apple.idmsa("GET", path)
            self.trust_token = response.headers.get("X-Apple-TwoSV-Trust-Token", "")
            return response
        return await self.apple.idmsa(call.method, path, json=call.request_body)

    async def _setup(self, call: Call, operation: str) -> httpx.Response:
        if operation == "accountLogin":
            if call.group == "const":
                await self._signin(call)
                if call.note != "untrusted":
                    self.signed_in = ""
                    await self.sign_in_fully(call.account)
                    return await self.apple.account_login()
            return await self.apple.account_login(trust_token=self.trust_token)
        if operation == "validate":
            await self.sign_in_fully(call.account)
            return await self.http.post(f"{SETUP}/validate", content=b"null")
        if operation in ("listDevices", "sendVerificationCode", "validateVerificationCode"):
            return await self._two_step(call, operation)
        return await self.http.request(call.method, f"{SETUP}/{operation}", json=call.request_body)

    async def _two_step(self, call: Call, operation: str) -> httpx.Response:
        if call.group == "const":
            await self._signin(call)
            await self.apple.account_login()
        if operation == "listDevices" or not self.devices:
            listed = await self.http.get(f"{SETUP}/listDevices")
            self.devices = listed.json().get("devices", []) if listed.status_code == 200 else []
            if operation == "listDevices":
                return listed
        device = self.devices[0]
        if operation == "sendVerificationCode":
            return await self.http.post(f"{SETUP}/sendVerificationCode", json=device)
        wrong = call.note == "wrong-code" or (
            isinstance(call.body, dict) and call.body.get("success") is False
        )
        body = {**device, "verificationCode": WRONG_CODE if wrong else CODE, "trustBrowser": True}
        return await self.http.post(f"{SETUP}/validateVerificationCode", json=body)

    # --- CloudKit request bodies ------------------------------------------------------------
    async def _request_body(self, call: Call) -> bytes | None:
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
            names = [r["recordName"] for r in records if r.get("recordType") == wanted][:1]
            if not page.get("moreComing"):
                break
            token = page.get("syncToken")
        return {"records": [{"recordName": n} for n in names], "zoneID": {"zoneName": "Notes"}}

    async def _delete_some(self, call: Call, count: int = 20) -> None:
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
            for record in theirs_page.get("records", []):
                names = by_kind.get(_kind(record), [])
                if names and record.get("recordName") not in self.names:
                    self.names[record["recordName"]] = names.pop(0)

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


def _kind(record: dict[str, Any]) -> tuple[str, Any]:
    """Records stand for each other if their type (and album type: folder, album...) match."""
    album_type = record.get("fields", {}).get("albumType", {})
    kind = album_type.get("value") if isinstance(album_type, dict) else None
    return record.get("recordType", ""), kind


async def replay_group(calls: list[Call]) -> list[tuple[Call, httpx.Response]]:
    """A fresh sandbox world, and each call of the group played in order."""
    world = SandboxWorld.with_accounts(scenario_accounts(1), seed=1)
    replies: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        replies.append(response)

    transport = httpx.ASGITransport(app=SandboxApp(world))
    async with httpx.AsyncClient(transport=transport, event_hooks={"response": [record]}) as http:
        replayer = Replayer(http, world)
        replayer.log = replies
        out = []
        for call in calls:
            out.append((call, await replayer.replay(call)))
        return out


__all__ = ["IDMSA", "Replayer", "replay_group"]
