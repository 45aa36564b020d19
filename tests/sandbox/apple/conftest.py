"""In-process fixtures for the idmsa/setup hosts: the sandbox app over httpx's ASGI transport,
and a small SRP client (pysrp, Apple's flavour) to sign in with."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import srp

from cloudtap.sandbox.accounts.scenarios import PASSWORD, scenario_accounts
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.world import SandboxWorld

IDMSA = "https://idmsa.apple.com/appleauth/auth"
SETUP = "https://setup.icloud.com/setup/ws/1"
SETUP_CN = "https://setup.icloud.com.cn/setup/ws/1"


class _StretchedPassword:
    """Handed to pysrp; stretched only once signin/init has told us salt and protocol."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.salt = b""
        self.iterations = 0
        self.protocol = "s2k"

    def encode(self) -> bytes:
        digest = hashlib.sha256(self.password.encode()).digest()
        material = digest.hex().encode() if self.protocol == "s2k_fo" else digest
        return hashlib.pbkdf2_hmac("sha256", material, self.salt, self.iterations, 32)


@dataclass
class Apple:
    """A test client speaking to the sandbox's Apple hosts, remembering session headers."""

    http: httpx.AsyncClient
    world: SandboxWorld
    session: dict[str, str] = field(default_factory=dict)
    last_init: dict[str, Any] = field(default_factory=dict)

    def idmsa_headers(self) -> dict[str, str]:
        return {k: v for k, v in self.session.items() if k in ("scnt", "X-Apple-ID-Session-Id")}

    def remember(self, response: httpx.Response) -> None:
        for name in (
            "scnt",
            "X-Apple-ID-Session-Id",
            "X-Apple-Session-Token",
            "X-Apple-TwoSV-Trust-Token",
        ):
            if name in response.headers:
                self.session[name] = response.headers[name]

    async def signin(
        self,
        apple_id: str,
        password: str = PASSWORD,
        protocols: list[str] | None = None,
        trust_tokens: list[str] | None = None,
    ) -> httpx.Response:
        srp.rfc5054_enable()
        srp.no_username_in_x()
        secret = _StretchedPassword(password)
        user = srp.User(apple_id, secret, hash_alg=srp.SHA256, ng_type=srp.NG_2048)
        _, a = user.start_authentication()
        init = await self.http.post(
            f"{IDMSA}/signin/init",
            json={
                "a": base64.b64encode(a).decode(),
                "accountName": apple_id,
                "protocols": protocols or ["s2k", "s2k_fo"],
            },
        )
        self.remember(init)
        if init.status_code != 200:
            return init
        body = init.json()
        self.last_init = body
        secret.salt = base64.b64decode(body["salt"])
        secret.iterations = body["iteration"]
        secret.protocol = body["protocol"]
        m1 = user.process_challenge(secret.salt, base64.b64decode(body["b"]))
        complete = await self.http.post(
            f"{IDMSA}/signin/complete",
            params={"isRememberMeEnabled": "true"},
            headers={"scnt": init.headers["scnt"]},
            json={
                "accountName": apple_id,
                "c": body["c"],
                "m1": base64.b64encode(m1 or b"").decode(),
                "m2": base64.b64encode(user.H_AMK or b"").decode(),
                "rememberMe": True,
                "trustTokens": trust_tokens or [],
            },
        )
        self.remember(complete)
        return complete

    async def account_login(self, host: str = SETUP, trust_token: str = "") -> httpx.Response:
        response = await self.http.post(
            f"{host}/accountLogin",
            json={
                "accountCountryCode": "USA",
                "dsWebAuthToken": self.session.get("X-Apple-Session-Token", ""),
                "extended_login": True,
                "trustToken": trust_token,
            },
        )
        return response

    async def idmsa(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.idmsa_headers(), **kwargs.pop("headers", {})}
        response = await self.http.request(method, f"{IDMSA}{path}", headers=headers, **kwargs)
        self.remember(response)
        return response


@pytest.fixture
def world() -> SandboxWorld:
    return SandboxWorld.with_accounts(scenario_accounts(1), seed=1)


@pytest.fixture
async def apple(world: SandboxWorld) -> AsyncIterator[Apple]:
    transport = httpx.ASGITransport(app=SandboxApp(world))
    async with httpx.AsyncClient(transport=transport) as http:
        yield Apple(http=http, world=world)
