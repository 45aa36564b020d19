"""Signing in: SRP against idmsa, then trading the session token for an iCloud web session.

- ``srp_signin``: ``signin/init`` + ``signin/complete`` (a saved trust token rides along so
  a trusted browser skips 2FA); a 412 non-2FA account is repaired on the way.
- ``account_login``: ``setup/ws/1/accountLogin`` with the session (and trust) token; it
  switches to the ``.com.cn`` hosts when Apple names ``domainToUse``.
- ``validate`` and ``refresh_web_session``: reuse a saved web session, or mint a new one
  from the saved session token without the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloudtap.icloud import errors
from cloudtap.icloud.auth.srp import SUPPORTED_PROTOCOLS, SrpClient
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import (
    SESSION_ENDED_STATUS,
    json_body,
    raise_for_common,
    raise_for_signin,
    require_json_object,
)

SigninOutcome = Literal["signed-in", "hsa2"]

# dsInfo fields worth keeping (none secret) for the source object and info types.
_ACCOUNT_FIELDS = (
    "dsid",
    "appleId",
    "fullName",
    "firstName",
    "lastName",
    "primaryEmail",
    "countryCode",
    "languageCode",
    "locale",
    "hsaVersion",
    "hsaEnabled",
    "hasICloudQualifyingDevice",
    "isWebAccessAllowed",
    "isManagedAppleID",
)


async def srp_signin(client: AppleClient, password: str) -> SigninOutcome:
    apple_id = client.session.apple_id
    exchange = SrpClient(apple_id)
    init = await client.idmsa(
        "POST",
        "/signin/init",
        json={
            "a": exchange.start(),
            "accountName": apple_id,
            "protocols": list(SUPPORTED_PROTOCOLS),
        },
    )
    raise_for_signin(init)
    challenge = require_json_object(init, "signin/init")
    try:
        proof = exchange.prove(
            password,
            str(challenge["salt"]),
            str(challenge["b"]),
            int(challenge["iteration"]),
            str(challenge.get("protocol") or "s2k"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.AppleUnavailable(f"signin/init sent an unusable challenge ({exc})") from exc
    complete = await client.idmsa(
        "POST",
        "/signin/complete",
        params={"isRememberMeEnabled": "true"},
        json={
            "accountName": apple_id,
            "c": challenge.get("c"),
            "m1": proof.m1,
            "m2": proof.m2,
            "rememberMe": True,
            "trustTokens": [client.session.trust_token] if client.session.trust_token else [],
        },
    )
    if complete.status_code == 409:
        return "hsa2"
    if complete.status_code == 412:
        await repair(client)
        return "signed-in"
    raise_for_signin(complete)
    if complete.status_code >= 300:
        raise errors.AppleUnavailable(f"signin/complete answered HTTP {complete.status_code}")
    return "signed-in"


async def repair(client: AppleClient) -> None:
    """A non-2FA account Apple wants 'repaired' (412): acknowledge and carry on."""
    response = await client.idmsa("POST", "/repair/complete", json={})
    raise_for_signin(response)


@dataclass
class WebSession:
    """What accountLogin/validate tell us about the account and the session's trust."""

    reply: dict[str, Any]

    @property
    def ds_info(self) -> dict[str, Any]:
        info = self.reply.get("dsInfo")
        return info if isinstance(info, dict) else {}

    @property
    def hsa_version(self) -> int:
        try:
            return int(self.ds_info.get("hsaVersion") or 0)
        except (TypeError, ValueError):
            return 0

    @property
    def needs_second_factor(self) -> bool:
        challenge = bool(self.reply.get("hsaChallengeRequired"))
        untrusted = not self.reply.get("hsaTrustedBrowser", True)
        return self.hsa_version >= 1 and (challenge or untrusted)


def check_account(web: WebSession) -> None:
    """Outcomes that end a login even though Apple issued a web session."""
    info = web.ds_info
    if info.get("locked") is True:
        raise errors.AccountLocked("Apple has locked this account")
    if web.reply.get("termsUpdateNeeded"):
        raise errors.TermsUpdateRequired(
            "The account holder must accept new iCloud terms on icloud.com or a device"
        )
    if info.get("isWebAccessAllowed") is False:
        raise errors.AdpEnabled(
            "Web access to iCloud data is off (Advanced Data Protection); "
            "the account holder must turn on 'Access iCloud Data on the Web'"
        )


def remember_account(client: AppleClient, web: WebSession) -> None:
    session = client.session
    info = web.ds_info
    if info.get("dsid"):
        session.dsid = str(info["dsid"])
    services = web.reply.get("webservices")
    if isinstance(services, dict):
        session.webservices = {
            name: str(entry["url"])
            for name, entry in services.items()
            if isinstance(entry, dict) and isinstance(entry.get("url"), str)
        }
    session.account = {key: info[key] for key in _ACCOUNT_FIELDS if key in info}


async def account_login(client: AppleClient) -> WebSession:
    """Trade the idmsa session token (and trust token) for an iCloud web session."""
    session = client.session
    if not session.session_token:
        raise errors.SessionExpired("no Apple session token to log in with")
    for _ in range(2):  # at most one switch to the China domain
        response = await client.setup(
            "POST",
            "/accountLogin",
            json={
                "accountCountryCode": session.account_country,
                "dsWebAuthToken": session.session_token,
                "extended_login": True,
                "trustToken": session.trust_token or "",
            },
            with_dsid=False,
        )
        raise_for_common(response)
        if response.status_code in SESSION_ENDED_STATUS:
            raise errors.SessionExpired("Apple no longer accepts the saved session token")
        body = require_json_object(response, "accountLogin")
        domain = str(body.get("domainToUse") or "")
        if domain and "cn" in domain.lower() and not session.china:
            session.china = True
            continue
        if response.status_code >= 400:
            raise errors.AppleUnavailable(f"accountLogin answered HTTP {response.status_code}")
        web = WebSession(body)
        remember_account(client, web)
        return web
    raise errors.AppleUnavailable("accountLogin kept redirecting between domains")


async def validate(client: AppleClient) -> WebSession | None:
    """The saved web session's account reply, or ``None`` if Apple ended it."""
    response = await client.setup("POST", "/validate", content="null")
    if response.status_code in SESSION_ENDED_STATUS:
        return None
    raise_for_common(response)
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict) or "dsInfo" not in body:
        return None
    web = WebSession(body)
    remember_account(client, web)
    return web


async def refresh_web_session(client: AppleClient) -> None:
    """Mint a new web session from the saved session and trust tokens (no password)."""
    web = await account_login(client)
    if web.needs_second_factor:
        raise errors.SessionExpired("Apple wants a new verification code for this session")
    check_account(web)


async def logout(client: AppleClient) -> None:
    # Forget this browser's trust too: the caller is destroying the stored state.
    await client.setup("POST", "/logout", content='{"trustBrowser":false,"allBrowsers":false}')
