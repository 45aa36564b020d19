"""setup.icloud.com(.cn): accountLogin, validate, logout, legacy 2SV, PCS state, terms.

``accountLogin`` turns an idmsa session token into an iCloud web session: the
``X-APPLE-WEBAUTH-TOKEN`` cookie (from ``world.issue_web_session``) that every service
host checks. Until the second factor is done only one-factor cookies are set, and the
legacy 2SV calls find their sign-in through ``X-APPLE-WEBAUTH-HSA-LOGIN``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from email.utils import formatdate
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_host
from cloudtap.sandbox.apple.account_json import account_reply, web_access
from cloudtap.sandbox.apple.signins import SignIn
from cloudtap.sandbox.apple.wire import json_object
from cloudtap.sandbox.hosts import SETUP, SETUP_CN
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

PREFIX = "/setup/ws/1"
HSA_LOGIN_COOKIE = "X-APPLE-WEBAUTH-HSA-LOGIN"
TERMS_VERSION = 2
_PCS_COOKIES = ("Photos", "Documents", "Notes", "Sharing", "News", "Mail", "Cloudkit")
# requestPCS ``appName`` → the PCS cookies it brings (rclone PR #9448: photos → Photos
# and Sharing, iclouddrive → Documents; notes3 → Notes is assumed from the cookie name).
_PCS_APPS: dict[str, tuple[str, ...]] = {
    "photos": ("Photos", "Sharing"),
    "iclouddrive": ("Documents",),
    "notes3": ("Notes",),
}


def _json(body: Any, status: int = 200) -> JSONResponse:
    headers = {
        "Access-Control-Allow-Origin": "https://www.icloud.com",
        "Access-Control-Allow-Credentials": "true",
        "Cache-Control": "no-cache, no-store, private",
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _auth_required(message: str = "Missing X-APPLE-WEBAUTH-TOKEN cookie") -> JSONResponse:
    return _json({"success": False, "error": message}, 421)


class SetupHost:
    def __init__(self, world: SandboxWorld, china: bool) -> None:
        self.world = world
        self.book = world.sign_ins
        self.china = china
        self.cookie_domain = ".icloud.com.cn" if china else ".icloud.com"

    # --- cookies -----------------------------------------------------------------------
    def _cookie(
        self, response: Response, name: str, value: str, *, http_only: bool = True, ttl: float = 0
    ) -> None:
        parts = [f'{name}="{value}"']
        if ttl:
            parts.append("Expires=" + formatdate(time.time() + ttl, usegmt=True))
        parts += ["Path=/", f"Domain={self.cookie_domain}", "Secure"]
        if http_only:
            parts.append("HttpOnly")
        response.headers.append("set-cookie", ";".join(parts))

    def _expire_cookie(self, response: Response, name: str) -> None:
        response.headers.append(
            "set-cookie",
            f'{name}="";Expires=Thu, 01 Jan 1970 00:00:01 GMT;Path=/;'
            f"Domain={self.cookie_domain};Secure;HttpOnly",
        )

    def _web_session_cookies(self, response: Response, account: SandboxAccount) -> None:
        session = self.world.issue_web_session(account)
        ttl = self.world.web_session_ttl
        tag = hashlib.sha256(session.token.encode()).hexdigest()[:24]
        self._cookie(response, WEB_SESSION_COOKIE, session.token, ttl=ttl)
        self._cookie(response, "X-APPLE-DS-WEB-SESSION-TOKEN", tag, ttl=ttl)
        self._cookie(response, "X-APPLE-WEBAUTH-VALIDATE", f"v=1:t={tag}~~", http_only=False)
        self._cookie(response, "X-APPLE-WEBAUTH-LOGIN", f"v=1:t={tag}~~")
        # The trust cookie lasts as long as the browser's trust (a session cookie where
        # there is none); clients read its expiry as the trust's horizon [assumed].
        trust_end = self.book.trust_end(account.apple_id)
        trust_ttl = trust_end - time.time() if trust_end is not None else 0
        self._cookie(response, "X-APPLE-WEBAUTH-HSA-TRUST", f"v=1:t={tag}~~", ttl=trust_ttl)
        # ADP accounts get their PCS cookies only from requestPCS, after consent.
        for name in () if account.adp else _PCS_COOKIES:
            self._cookie(
                response, f"X-APPLE-WEBAUTH-PCS-{name}", f"pcs{name.lower()}-{tag}", ttl=ttl
            )
        self._expire_cookie(response, HSA_LOGIN_COOKIE)

    def _common_cookies(self, response: Response, account: SandboxAccount) -> None:
        self._cookie(response, "X-APPLE-UNIQUE-CLIENT-ID", secrets.token_hex(8), http_only=False)
        self._cookie(response, "X-APPLE-WEBAUTH-USER", f"v=1:s=1:d={account.dsid}", ttl=30 * 86400)
        # Apple's per-account cookie, named after a hash (icloudpd 2fa_flow_*.yml).
        kb = base64.b32encode(hashlib.sha1(account.dsid.encode()).digest()).decode()
        self._cookie(response, f"X_APPLE_WEB_KB-{kb.rstrip('=')}", secrets.token_hex(16))

    def _pending_session_cookies(self, response: Response, sign_in: SignIn) -> None:
        """Before the second factor Apple already sets these (icloudpd 2fa_flow_*.yml);
        they open nothing here: only ``X-APPLE-WEBAUTH-TOKEN`` does."""
        tag = hashlib.sha256(sign_in.token.encode()).hexdigest()[:24]
        self._cookie(response, "X-APPLE-DS-WEB-SESSION-TOKEN", tag)
        self._cookie(response, "X-APPLE-WEBAUTH-VALIDATE", f"v=1:t={tag}~~", http_only=False)
        self._cookie(response, "X-APPLE-WEBAUTH-LOGIN", f"v=1:t={tag}~~")
        self._cookie(response, HSA_LOGIN_COOKIE, sign_in.token)

    def _pending_sign_in(self, request: Request) -> SignIn | None:
        token = request.cookies.get(HSA_LOGIN_COOKIE, "").strip('"')
        return self.book.by_token(token) if token else None

    def _china_mismatch(self, account: SandboxAccount) -> Response | None:
        if account.china and not self.china:
            # A China mainland account must use iCloud.com.cn; pd aborts on this body.
            return _json({"success": False, "domainToUse": "iCloud.com.cn"}, 200)
        return None

    def _reply(self, account: SandboxAccount, trusted: bool) -> dict[str, Any]:
        terms = account.terms_update and not self.book.terms_accepted(account.apple_id)
        return account_reply(account, trusted=trusted, terms_update_needed=terms)

    # --- endpoints -------------------------------------------------------------------
    async def account_login(self, request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            return _json({"success": False, "error": "Invalid request body"}, 400)
        if "apple_id" in body and "password" in body:
            return self._one_factor_login(body)
        token = body.get("dsWebAuthToken")
        sign_in = self.book.by_token(token) if isinstance(token, str) and token else None
        account = self.world.account(sign_in.apple_id) if sign_in else None
        if sign_in is None or account is None or sign_in.needs_repair:
            return _auth_required("Invalid or expired dsWebAuthToken")
        mismatch = self._china_mismatch(account)
        if mismatch is not None:
            return mismatch
        trust_token = body.get("trustToken")
        if isinstance(trust_token, str) and self.book.trusts(account.apple_id, [trust_token]):
            sign_in.second_factor_done = sign_in.trusted = True
        trusted = sign_in.trusted
        response = _json(self._reply(account, trusted))
        self._common_cookies(response, account)
        if trusted:
            self._web_session_cookies(response, account)
        else:
            self._pending_session_cookies(response, sign_in)
        return response

    def _one_factor_login(self, body: dict[str, Any]) -> Response:
        """``{"appName","apple_id","password"}``: apps that launch with one factor (Find)."""
        apple_id, password = body.get("apple_id"), body.get("password")
        account = self.world.account(apple_id) if isinstance(apple_id, str) else None
        ok = (
            account is not None
            and isinstance(password, str)
            and secrets.compare_digest(password.encode(), account.password.encode())
            and body.get("appName") in ("find", "settings")
        )
        if account is None or not ok:
            return _json({"success": False, "error": "Invalid email/password combination."}, 401)
        if account.locked:
            return _json({"success": False, "error": "Account is locked."}, 403)
        if account.auth != "none":
            # Apple scopes a one-factor session to Find My; the sandbox has no scoped
            # sessions, so rather than let a password open every service of a 2FA account,
            # it refuses and clients fall back to a full sign-in.
            return _json({"success": False, "error": "One-factor sign-in is not available."}, 401)
        response = _json(self._reply(account, trusted=False))
        self._common_cookies(response, account)
        self._web_session_cookies(response, account)
        return response

    async def validate(self, request: Request) -> Response:
        account = self.world.account_for_cookies(request.cookies)
        if account is None:
            return _auth_required()
        response = _json(self._reply(account, trusted=True))
        # Apple answers validate with a fresh set of session cookies (icloudpd
        # successful_auth.yml and every listing cassette), which extends the session.
        self._web_session_cookies(response, account)
        return response

    async def logout(self, request: Request) -> Response:
        body = await json_object(request) or {}
        token = request.cookies.get(WEB_SESSION_COOKIE, "").strip('"')
        account = self.world.account_for_cookies(request.cookies)
        if token:
            self.world.end_web_session(token)
        if account is not None and body.get("allBrowsers"):
            self.book.revoke_trust(account.apple_id)
        response = _json({"success": True})
        for name in (WEB_SESSION_COOKIE, "X-APPLE-DS-WEB-SESSION-TOKEN", "X-APPLE-WEBAUTH-LOGIN"):
            self._expire_cookie(response, name)
        return response

    # --- legacy two-step verification (hsaVersion 1) ---------------------------------
    async def list_devices(self, request: Request) -> Response:
        sign_in = self._pending_sign_in(request)
        account = self.world.account(sign_in.apple_id) if sign_in else None
        if account is None:
            return _auth_required()
        return _json({"devices": [_device_json(d) for d in account.twosv_devices]})

    async def send_verification_code(self, request: Request) -> Response:
        sign_in = self._pending_sign_in(request)
        account = self.world.account(sign_in.apple_id) if sign_in else None
        body = await json_object(request)
        if account is None:
            return _auth_required()
        if _device(account, body) is None:
            return _json({"success": False, "errorMessage": "Unknown device."}, 400)
        return _json({"success": True})

    async def validate_verification_code(self, request: Request) -> Response:
        sign_in = self._pending_sign_in(request)
        account = self.world.account(sign_in.apple_id) if sign_in else None
        body = await json_object(request)
        if sign_in is None or account is None:
            return _auth_required()
        code = (body or {}).get("verificationCode")
        code_ok = (
            isinstance(code, str)
            and account.code is not None
            and secrets.compare_digest(code.strip().encode(), account.code.encode())
        )
        if _device(account, body) is None or not code_ok:
            return _json(
                {
                    "success": False,
                    "errorTitle": "Invalid Code",
                    "errorMessage": "The code you entered is not valid.",
                    "errorCode": -21669,
                }
            )
        sign_in.second_factor_done = True
        if (body or {}).get("trustBrowser"):
            sign_in.trusted = True
        return _json({"success": True})

    # --- PCS / ADP ---------------------------------------------------------------------
    async def request_web_access_state(self, request: Request) -> Response:
        account = self.world.account_for_cookies(request.cookies)
        if account is None:
            return _auth_required()
        return _json(self._web_access_state(account))

    def _web_access_state(self, account: SandboxAccount) -> dict[str, Any]:
        """foxt/icloud.js #4: without ADP only ``dsid`` and ``isWebAccessAllowed``; with
        ADP also the consent flags (``deviceConsentForPCSExpiry`` 0 as quoted)."""
        state: dict[str, Any] = {
            "dsid": int(account.dsid) if account.dsid.isdigit() else account.dsid,
            "isWebAccessAllowed": web_access(account),
        }
        if account.adp:
            state["isDeviceConsentedForPCS"] = self.world.consents.consented(account.apple_id)
            state["isICDRSDisabled"] = True
            state["deviceConsentForPCSExpiry"] = 0
        return state

    async def enable_device_consent(self, request: Request) -> Response:
        account = self.world.account_for_cookies(request.cookies)
        if account is None:
            return _auth_required()
        sent = account.adp and account.adp_web_access
        if sent:
            self.world.consents.request(account.apple_id)
        return _json({"isDeviceConsentNotificationSent": sent, **self._web_access_state(account)})

    async def request_pcs(self, request: Request) -> Response:
        account = self.world.account_for_cookies(request.cookies)
        if account is None:
            return _auth_required()
        if not account.adp:
            return _json({"status": "success", "message": "Cookies attached."})
        if not (account.adp_web_access and self.world.consents.consented(account.apple_id)):
            # The message is quoted by icloud.js #4 and pyicloud; "failure" is assumed.
            message = "Requested the device to upload cookies."
            return _json({"status": "failure", "message": message})
        body = await json_object(request) or {}
        response = _json({"status": "success", "message": "Cookies attached."})
        tag = hashlib.sha256(request.cookies.get(WEB_SESSION_COOKIE, "").encode()).hexdigest()
        for name in _PCS_APPS.get(str(body.get("appName")), ()):
            self._cookie(
                response,
                f"X-APPLE-WEBAUTH-PCS-{name}",
                f"pcs{name.lower()}-{tag[:24]}",
                ttl=self.world.web_session_ttl,
            )
        return response

    # --- terms -------------------------------------------------------------------------
    async def get_terms(self, request: Request) -> Response:
        if self._any_account(request) is None:
            return _auth_required()
        return _json(
            {
                "iCloudTerms": {
                    "version": TERMS_VERSION,
                    "url": "https://www.apple.com/legal/internet-services/icloud/",
                    "formattedHtml": "<p>cloudtap sandbox iCloud terms.</p>",
                }
            }
        )

    async def repair_done(self, request: Request) -> Response:
        account = self._any_account(request)
        if account is None:
            return _auth_required()
        if request.query_params.get("acceptedICloudTerms") or await request.body():
            self.book.accept_terms(account.apple_id)
        return _json({"success": True})

    def _any_account(self, request: Request) -> SandboxAccount | None:
        account = self.world.account_for_cookies(request.cookies)
        if account is None:
            sign_in = self._pending_sign_in(request)
            account = self.world.account(sign_in.apple_id) if sign_in else None
        return account

    async def not_found(self, request: Request) -> Response:
        return _json({"success": False, "error": "Not found"}, 404)


def _device_json(device: Any) -> dict[str, Any]:
    body = {
        "deviceType": device.device_type,
        "areaCode": device.area_code,
        "phoneNumber": device.phone_number,
        "deviceId": device.device_id,
    }
    if device.device_name:
        body["deviceName"] = device.device_name
    return body


def _device(account: SandboxAccount, body: dict[str, Any] | None) -> Any:
    body = body or {}
    wanted = body.get("deviceId", body.get("deviceID"))
    return next((d for d in account.twosv_devices if d.device_id == str(wanted)), None)


def setup_app(world: SandboxWorld, china: bool = False) -> ASGIApp:
    host = SetupHost(world, china)
    both = ["GET", "POST"]
    routes = [
        Route(f"{PREFIX}/accountLogin", host.account_login, methods=["POST"]),
        Route(f"{PREFIX}/validate", host.validate, methods=["POST"]),
        Route(f"{PREFIX}/logout", host.logout, methods=both),
        Route(f"{PREFIX}/listDevices", host.list_devices, methods=both),
        Route(f"{PREFIX}/sendVerificationCode", host.send_verification_code, methods=["POST"]),
        Route(
            f"{PREFIX}/validateVerificationCode",
            host.validate_verification_code,
            methods=["POST"],
        ),
        Route(f"{PREFIX}/requestWebAccessState", host.request_web_access_state, methods=both),
        Route(f"{PREFIX}/enableDeviceConsentForPCS", host.enable_device_consent, methods=both),
        Route(f"{PREFIX}/requestPCS", host.request_pcs, methods=["POST"]),
        Route(f"{PREFIX}/getTerms", host.get_terms, methods=both),
        Route(f"{PREFIX}/repairDone", host.repair_done, methods=both),
        Route("/{path:path}", host.not_found, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
    return Starlette(routes=routes)


register_host(SETUP, lambda world: setup_app(world, china=False))
register_host(SETUP_CN, lambda world: setup_app(world, china=True))
