"""Replays captured calls against an in-process sandbox, one capture group per fresh world.

The request of a capture names a real person; the driver plays it with the scenario
account in the same situation (``Call.account``), signing in with the real SRP flow
(``tests/sandbox/apple/conftest.Apple``) where the capture is a signed-in call. Values
that only exist in the capture (record names, the shared zone's name, a download URL)
are swapped for the sandbox's own before the request is sent (``standins.py``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD, scenario_accounts
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.apple.conftest import Apple
from tests.sandbox.conformance.captures import IDMSA, SETUP, Call
from tests.sandbox.conformance.standins import StandIns

WRONG_CODE = "000000"


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
        self.ck = StandIns(http, self.account)

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
            assert self.ck.download_url, f"{call.name}: no sandbox download URL seen yet"
            return await self.http.get(self.ck.download_url)
        await self.sign_in_fully(call.account)
        if _shows_deleted_assets(call) and not self.ck.deleted:
            await self.ck.delete_some(call)
        content = await self.ck.request_body(call)
        response = await self.http.request(
            call.method,
            call.url,
            content=content,
            headers={"Content-Type": "text/plain"} if content is not None else {},
        )
        self.ck.learn(call, response)
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


def _shows_deleted_assets(call: Call) -> bool:
    """The captured library had assets in Recently Deleted: a query of that album, or a
    reply listing an asset with ``isDeleted`` 1 (not the modify that deletes it)."""
    if "DeletedByExpungedDate" in json.dumps(call.request_body):
        return True
    if call.url.split("?")[0].endswith("records/modify"):
        return False
    return '"isDeleted": {"value": 1' in json.dumps(call.body)


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
