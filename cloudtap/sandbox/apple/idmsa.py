"""idmsa.apple.com: Apple ID sign-in (SRP), HSA2 second factor, repair and trust.

Paths live under ``/appleauth/auth``. State is kept in ``world.sign_ins``; idmsa calls
after ``signin/complete`` are tied to their sign-in by the ``X-Apple-ID-Session-Id`` and
``scnt`` headers the client echoes back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_host
from cloudtap.sandbox.apple import boot_args
from cloudtap.sandbox.apple.signins import PendingSrp, SignIn
from cloudtap.sandbox.apple.srp_server import (
    PROTOCOLS,
    Protocol,
    SrpChallenge,
    decoy_verifier,
    password_verifier,
)
from cloudtap.sandbox.apple.wire import (
    HTML,
    JSON,
    apple_json,
    bad_request,
    empty,
    json_object,
    service_errors,
    throttled,
)
from cloudtap.sandbox.hosts import IDMSA
from cloudtap.sandbox.world import SandboxWorld

PREFIX = "/appleauth/auth"
WRONG_PASSWORD = "Enter the email or phone number and password for your Apple Account."
LOCKED = "This Apple Account has been locked for security reasons."
WRONG_CODE: dict[str, Any] = {
    "service_errors": [
        {
            "code": "-21669",
            "title": "Incorrect Verification Code",
            "message": "Incorrect verification code.",
            "suppressDismissal": False,
        }
    ],
    "hasError": True,
}


class IdmsaHost:
    def __init__(self, world: SandboxWorld) -> None:
        self.world = world
        self.book = world.sign_ins

    # --- helpers -------------------------------------------------------------------
    def _sign_in(self, request: Request) -> tuple[SignIn, SandboxAccount] | None:
        sign_in = self.book.by_headers(
            request.headers.get("X-Apple-ID-Session-Id"), request.headers.get("scnt")
        )
        if sign_in is None:
            return None
        account = self.world.account(sign_in.apple_id)
        return (sign_in, account) if account is not None else None

    def _headers(self, sign_in: SignIn, account: SandboxAccount) -> dict[str, str]:
        attributes = hashlib.sha256(sign_in.session_id.encode()).hexdigest()[:32]
        return {
            "X-Apple-Session-Token": sign_in.token,
            "X-Apple-ID-Session-Id": sign_in.session_id,
            "X-Apple-ID-Account-Country": account.country,
            "X-Apple-Auth-Attributes": attributes,
            "X-Apple-TwoSV-Trust-Eligible": "true",
            "scnt": sign_in.scnt,
        }

    def _refuses(self, account: SandboxAccount) -> bool:
        """Whether this sign-in attempt gets Apple's bare 503; every attempt is counted.

        One 503 for three causes the wire cannot tell apart (docs/apple-evidence.md,
        "Sign-in 503"): throttling, a lockout that grows on early returns, and new terms
        waiting for the owner (docker-icloudpd #860: fixed by accepting them on icloud.com).
        """
        self.world.tally.add(account.apple_id, "signin")
        if account.terms_signin_503 and not self.book.terms_accepted(account.apple_id):
            return True
        if account.signin_lockout and self.world.signin_lockouts.refuses(account.apple_id):
            return True
        return account.throttled

    @staticmethod
    def _no_session() -> Response:
        return service_errors(401, "-20101", "Your session has expired. Sign in again.")

    # --- sign-in ---------------------------------------------------------------------
    async def authorize_signin(self, request: Request) -> Response:
        # Only supplies a fresh scnt and session id, as Apple's does.
        headers = {"scnt": secrets.token_hex(24), "X-Apple-ID-Session-Id": secrets.token_hex(24)}
        return HTMLResponse("<!DOCTYPE html><html><body></body></html>", headers=headers)

    async def signin_init(self, request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            return bad_request()
        account_name = body.get("accountName")
        a = _b64(body.get("a"))
        if not isinstance(account_name, str) or not account_name or not a:
            return bad_request()
        offered = body.get("protocols")
        offered = [p for p in offered if p in PROTOCOLS] if isinstance(offered, list) else []
        account = self.world.account(account_name)
        if account is not None and self._refuses(account):
            return throttled()
        protocol = _pick_protocol(account, offered)
        if account is None:
            stored = decoy_verifier(protocol)
        else:
            secret_seed = f"{self.world.seed}:{account.apple_id.lower()}"
            stored = password_verifier(secret_seed, account.password, protocol)
        challenge = SrpChallenge(account_name, stored, a)
        if challenge.b is None:
            return bad_request("Invalid client public value.")
        scnt = secrets.token_hex(24)
        key = self.book.add_srp(
            PendingSrp(
                apple_id=account.apple_id if account else None, challenge=challenge, scnt=scnt
            )
        )
        reply = {
            "iteration": stored.iterations,
            "salt": base64.b64encode(stored.salt).decode(),
            "protocol": protocol,
            "version": 1,
            "b": base64.b64encode(challenge.b).decode(),
            "c": key,
        }
        return apple_json(reply, headers={"scnt": scnt}, content_type=HTML)

    async def signin_complete(self, request: Request) -> Response:
        body = await json_object(request)
        if body is None:
            return bad_request()
        pending = self.book.take_srp(str(body.get("c", "")))
        m1, m2 = _b64(body.get("m1")), _b64(body.get("m2"))
        if pending is None or not m1:
            return service_errors(401, "-20101", WRONG_PASSWORD)
        account = self.world.account(pending.apple_id) if pending.apple_id else None
        if account is not None and account.locked:
            return service_errors(403, "-20209", LOCKED, {"scnt": pending.scnt})
        if account is None or not pending.challenge.verify(m1, m2 or None):
            return service_errors(401, "-20101", WRONG_PASSWORD, {"scnt": pending.scnt})
        if self.world.password_changed(account):
            # An old password is a wrong one: Apple says nothing more [assumed].
            return service_errors(401, "-20101", WRONG_PASSWORD, {"scnt": pending.scnt})

        _, status, reply, headers = self._start_sign_in(account, pending.scnt, body)
        return apple_json(reply, status, headers)

    def _start_sign_in(
        self, account: SandboxAccount, scnt: str, body: dict[str, Any]
    ) -> tuple[SignIn, int, dict[str, Any], dict[str, str]]:
        """A sign-in for a verified password, and ``signin/complete``'s status, reply, headers."""
        sign_in = self.book.start(account.apple_id, scnt)
        tokens = body.get("trustTokens")
        trusted = isinstance(tokens, list) and self.book.trusts(account.apple_id, tokens)
        headers = self._headers(sign_in, account)
        if account.auth == "none":
            sign_in.second_factor_done = sign_in.trusted = True
            if account.repair_required:
                sign_in.needs_repair = True
                return sign_in, 412, {"auth_type": "sa"}, headers
            return sign_in, 200, {"authType": "non-sa"}, headers
        if trusted:
            sign_in.second_factor_done = sign_in.trusted = True
            return sign_in, 200, {"authType": "hsa2"}, headers
        if account.auth == "2sv":
            # Legacy 2SV is finished on setup.icloud.com (listDevices & co); Apple still
            # names the auth type hsa2 (icloudpd 2sa_flow_*.yml).
            return sign_in, 200, {"authType": "hsa2"}, headers
        return sign_in, 409, {"authType": "hsa2"}, headers

    async def signin_raw_password(self, request: Request) -> Response:
        """The legacy raw-password sign-in (icloudpd's fallback_raw_password.yml).

        Apple answers 200 ``{}`` with the session headers and ``Location: /auth``; what SRP
        would have answered travels in ``X-Apple-I-Rscd`` (409 while a second factor, 2FA
        or 2SV, is still owed). A wrong password is 200 ``{}`` too, with only
        ``X-Apple-I-Rscd: 401`` and ``scnt`` (icloudpd's failed_auth.yml).
        """
        body = await json_object(request)
        if body is None:
            return bad_request()
        account_name, password = body.get("accountName"), body.get("password")
        if not isinstance(account_name, str) or not isinstance(password, str):
            return bad_request()
        account = self.world.account(account_name)
        if account is not None and self._refuses(account):
            return throttled()
        scnt = secrets.token_hex(24)
        if account is not None and account.locked:
            return service_errors(403, "-20209", LOCKED, {"scnt": scnt})
        if (
            account is None
            or not secrets.compare_digest(password.encode(), account.password.encode())
            or self.world.password_changed(account)
        ):
            return _raw_password_reply({"X-Apple-I-Rscd": "401", "scnt": scnt})
        sign_in, status, _, headers = self._start_sign_in(account, scnt, body)
        if not sign_in.second_factor_done:
            status = 409  # captured for a 2SV account, whose SRP path answers 200 "sa"
        headers.update({"Location": "/auth", "X-Apple-I-Rscd": str(status)})
        return _raw_password_reply(headers)

    async def repair_complete(self, request: Request) -> Response:
        found = self._sign_in(request)
        if found is None:
            return self._no_session()
        sign_in, account = found
        sign_in.needs_repair = False
        return empty(200, self._headers(sign_in, account), content_type=JSON)

    # --- second factor ---------------------------------------------------------------
    async def auth_context(self, request: Request) -> Response:
        found = self._sign_in(request)
        if found is None:
            return self._no_session()
        _, account = found
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(boot_args.boot_args_html(account))
        return apple_json(boot_args.auth_options_json(account))

    async def push_trusted_device_code(self, request: Request) -> Response:
        found = self._sign_in(request)
        if found is None:
            return self._no_session()
        _, account = found
        if not boot_args.has_trusted_devices(account):
            return bad_request("This account has no trusted devices.")
        return apple_json({"securityCode": dict(boot_args.SECURITY_CODE)}, 202)

    async def verify_trusted_device_code(self, request: Request) -> Response:
        found = self._sign_in(request)
        body = await json_object(request)
        if found is None:
            return self._no_session()
        sign_in, account = found
        code = _security_code(body)
        if not boot_args.has_trusted_devices(account) or not _code_ok(account, code):
            wrong = {"X-Apple-I-Ercd": "-21669", "scnt": sign_in.scnt}
            return _locale_cookies(apple_json(WRONG_CODE, 400, wrong), account)
        return _locale_cookies(self._second_factor_done(sign_in, account), account)

    async def send_sms(self, request: Request) -> Response:
        found = self._sign_in(request)
        body = await json_object(request)
        if found is None:
            return self._no_session()
        sign_in, account = found
        phone = _phone(account, body)
        if phone is None:
            return bad_request("Unknown trusted phone number.")
        sign_in.sms_phone_id = phone.id
        verification = boot_args.phone_number_verification(account)
        verification["trustedPhoneNumber"] = boot_args.phone_json(phone)
        verification["mode"] = "sms"
        verification["type"] = "verification"
        return apple_json(verification, 200, {"scnt": sign_in.scnt})

    async def verify_sms_code(self, request: Request) -> Response:
        found = self._sign_in(request)
        body = await json_object(request)
        if found is None:
            return self._no_session()
        sign_in, account = found
        if _phone(account, body) is None or not _code_ok(account, _security_code(body)):
            return apple_json(WRONG_CODE, 400, {"X-Apple-I-Ercd": "-21669", "scnt": sign_in.scnt})
        return self._second_factor_done(sign_in, account)

    async def verify_security_key(self, request: Request) -> Response:
        # A FIDO assertion cannot be produced without hardware: the scenario exists to
        # show the "security key required" path, never to pass it.
        return service_errors(400, "-21669", "The security key could not be verified.")

    def _second_factor_done(self, sign_in: SignIn, account: SandboxAccount) -> Response:
        sign_in.second_factor_done = True
        self.book.new_token(sign_in)
        return empty(204, self._headers(sign_in, account), content_type=JSON)

    async def trust(self, request: Request) -> Response:
        found = self._sign_in(request)
        if found is None:
            return self._no_session()
        sign_in, account = found
        if not sign_in.second_factor_done:
            return service_errors(401, "-21669", "Verification is not complete.")
        sign_in.trusted = True
        self.book.new_token(sign_in)
        headers = self._headers(sign_in, account)
        lifetime = account.trust_lifetime
        if lifetime is not None:
            lifetime *= self.world.trust_time_scale
        headers["X-Apple-TwoSV-Trust-Token"] = self.book.issue_trust_token(
            account.apple_id, lifetime
        )
        return _locale_cookies(empty(204, headers, content_type=HTML), account)


def _locale_cookies(response: Response, account: SandboxAccount) -> Response:
    """idmsa's locale cookies, set on the trusted-device code check (either outcome) and on
    2sv/trust: ``dslang=US-EN`` and ``site=USA``, ``Domain=apple.com; Path=/; Secure;
    HttpOnly``, session cookies (icloudpd 2fa_flow_*.yml). No client reads them. Only a US
    English account was captured; a China account's values follow the same pattern."""
    dslang = "CN-ZH" if account.china else "US-EN"
    for name, value in (("dslang", dslang), ("site", account.country)):
        response.set_cookie(
            name, value, path="/", domain="apple.com", secure=True, httponly=True, samesite=None
        )
    return response


def _raw_password_reply(headers: dict[str, str]) -> Response:
    """Captured as ``{}`` labelled text/html, always 200; clients only read the headers."""
    headers = {**headers, "X-Apple-I-Request-ID": secrets.token_hex(16)}
    return Response(b"{}", 200, headers, media_type="text/html;charset=UTF-8")


def _pick_protocol(account: SandboxAccount | None, offered: list[str]) -> Protocol:
    """The account's protocol, unless the client does not offer it (then plain s2k)."""
    wanted: Protocol = account.srp_protocol if account else "s2k"
    if not offered or wanted in offered:
        return wanted
    return "s2k" if "s2k" in offered else "s2k_fo"


def _b64(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        return b""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _security_code(body: dict[str, Any] | None) -> str | None:
    code = (body or {}).get("securityCode")
    value = code.get("code") if isinstance(code, dict) else None
    return value if isinstance(value, str) else None


def _code_ok(account: SandboxAccount, code: str | None) -> bool:
    return (
        account.code is not None
        and code is not None
        and secrets.compare_digest(code.strip(), account.code)
    )


def _phone(account: SandboxAccount, body: dict[str, Any] | None) -> Any:
    number = (body or {}).get("phoneNumber")
    phone_id = number.get("id") if isinstance(number, dict) else None
    for phone in account.trusted_phones:
        if str(phone.id) == str(phone_id):
            return phone
    return None


def idmsa_app(world: SandboxWorld) -> ASGIApp:
    host = IdmsaHost(world)
    routes = [
        Route(f"{PREFIX}/authorize/signin", host.authorize_signin, methods=["GET"]),
        Route(f"{PREFIX}/signin/init", host.signin_init, methods=["POST"]),
        Route(f"{PREFIX}/signin/complete", host.signin_complete, methods=["POST"]),
        Route(f"{PREFIX}/signin", host.signin_raw_password, methods=["POST"]),
        Route(f"{PREFIX}/repair/complete", host.repair_complete, methods=["POST"]),
        Route(PREFIX, host.auth_context, methods=["GET"]),
        Route(f"{PREFIX}/", host.auth_context, methods=["GET"]),
        Route(
            f"{PREFIX}/verify/trusteddevice/securitycode",
            host.push_trusted_device_code,
            methods=["PUT"],
        ),
        Route(
            f"{PREFIX}/verify/trusteddevice/securitycode",
            host.verify_trusted_device_code,
            methods=["POST"],
        ),
        Route(f"{PREFIX}/verify/phone", host.send_sms, methods=["PUT"]),
        Route(f"{PREFIX}/verify/phone/securitycode", host.verify_sms_code, methods=["POST"]),
        Route(f"{PREFIX}/verify/security/key", host.verify_security_key, methods=["POST"]),
        Route(f"{PREFIX}/2sv/trust", host.trust, methods=["GET"]),
    ]
    return Starlette(routes=routes)


register_host(IDMSA, idmsa_app)
