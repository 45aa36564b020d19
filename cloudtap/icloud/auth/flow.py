"""The login state machine behind ``Connector.login``.

    password ──► active
       │ 2FA ──► code-required ──(code)──► active
       │ 2SV ──► choice-required ──(choice)──► code-required ──(code)──► active

Each step is a separate call. Between calls the login in progress (Apple's session id,
``scnt``, cookies, where the code went) travels in the returned ``session_state``, so the
code completes the *same* Apple login that sent it. A pending login is only honoured for
``PENDING_LOGIN_TTL`` seconds. Expected outcomes never raise: they come back as a failed
:class:`LoginOutcome` with a stable ``error`` code.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cloudtap.icloud import errors
from cloudtap.icloud.auth import hsa2, pcs, signin, sms_route, twosv
from cloudtap.icloud.auth.trust_horizon import trust_expires
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Credentials, JSONDict, LoginOutcome, TransportOptions
from cloudtap.icloud.locks import LOCAL_LOCKS, LockProvider
from cloudtap.icloud.session import AppleSession
from cloudtap.icloud.transport import RequestHook

log = logging.getLogger(__name__)

PENDING_LOGIN_TTL = 15 * 60.0

Step = Literal["code", "choice"]
Method = Literal["hsa2", "2sv"]


@dataclass
class PendingLogin:
    """A login waiting for the user: which step, which method, and Apple's context."""

    step: Step
    method: Method
    session: AppleSession
    started: float = field(default_factory=time.time)
    route: dict[str, Any] = field(default_factory=dict)  # HSA2: where the code went
    devices: list[dict[str, Any]] = field(default_factory=list)  # 2SV: the choices
    device: dict[str, Any] | None = None  # 2SV: the chosen device

    @property
    def expired(self) -> bool:
        return time.time() - self.started > PENDING_LOGIN_TTL

    def to_state(self) -> JSONDict:
        return {
            "kind": "pending",
            "step": self.step,
            "method": self.method,
            "started": self.started,
            "route": self.route,
            "devices": self.devices,
            "device": self.device,
            "session": self.session.to_state(),
        }

    @classmethod
    def from_state(cls, state: JSONDict) -> PendingLogin:
        return cls(
            step="choice" if state.get("step") == "choice" else "code",
            method="2sv" if state.get("method") == "2sv" else "hsa2",
            session=AppleSession.from_state(dict(state.get("session") or {})),
            started=float(state.get("started") or 0),
            route=dict(state.get("route") or {}),
            devices=[d for d in state.get("devices") or [] if isinstance(d, dict)],
            device=state.get("device") if isinstance(state.get("device"), dict) else None,
        )


def active_state(session: AppleSession) -> JSONDict:
    return {"kind": "session", "session": session.to_state()}


def session_from_state(state: JSONDict | None) -> AppleSession | None:
    """The Apple session inside any state this module produced (active or pending);
    ``None`` for anything else, however malformed."""
    if not isinstance(state, dict) or not isinstance(state.get("session"), dict):
        return None
    try:
        return AppleSession.from_state(state["session"])
    except (TypeError, ValueError, AttributeError):
        return None


def pending_from_state(state: JSONDict | None) -> PendingLogin | None:
    if not isinstance(state, dict) or state.get("kind") != "pending":
        return None
    try:
        return PendingLogin.from_state(state)
    except (TypeError, ValueError, AttributeError):
        return None


class _NeedsUser(Exception):
    """Internal: the login stops here until the user sends a code or a choice."""

    def __init__(self, pending: PendingLogin, error: errors.ICloudError) -> None:
        self.pending = pending
        self.error = error


class LoginFlow:
    def __init__(
        self,
        transport: TransportOptions,
        request_hooks: Sequence[RequestHook] = (),
        locks: LockProvider = LOCAL_LOCKS,
    ):
        self.transport = transport
        self.request_hooks = request_hooks
        # Two logins of one Apple ID never overlap: Apple's lockouts add up.
        self.locks = locks

    def _client(self, session: AppleSession) -> AppleClient:
        return AppleClient(self.transport, session, request_hooks=self.request_hooks)

    async def login(self, credentials: Credentials, saved_state: JSONDict | None) -> LoginOutcome:
        apple_id = credentials.apple_id.strip()
        if not apple_id:
            return _failed(errors.InvalidCredentials("an Apple ID is required"), saved_state)
        saved = saved_state if _same_account(saved_state, apple_id) else None
        async with self.locks.login_lock(apple_id):
            try:
                return await self._login(credentials, apple_id, saved)
            except _NeedsUser as stop:
                log.info("login of %s waits for the user: %s", _mask(apple_id), stop.error.code)
                return _failed(stop.error, stop.pending.to_state())
            except errors.ICloudError as exc:
                log.info("login of %s failed: %s", _mask(apple_id), exc.code)
                return _failed(exc, _state_after_failure(exc, saved))

    async def _login(
        self, credentials: Credentials, apple_id: str, saved: JSONDict | None
    ) -> LoginOutcome:
        pending = pending_from_state(saved)
        if pending is not None and (credentials.code or credentials.choice):
            if pending.expired:
                raise errors.LoginExpired(
                    "The login waiting for this code expired; start again with the password"
                )
            if credentials.choice and pending.method == "2sv":
                return await self._send_to_choice(pending, credentials.choice)
            if credentials.choice and pending.method == "hsa2" and pending.step == "code":
                return await self._text_code(pending, credentials.choice)
            if credentials.code and pending.step == "code":
                return await self._finish_with_code(pending, credentials.code)
        return await self._fresh_login(credentials, apple_id, session_from_state(saved))

    async def _fresh_login(
        self, credentials: Credentials, apple_id: str, previous: AppleSession | None
    ) -> LoginOutcome:
        if not credentials.password:
            raise errors.InvalidCredentials("the Apple ID password is required")
        session = AppleSession(apple_id=apple_id)
        if previous is not None:
            # Keep what makes this browser trusted: the trust token and Apple's cookies.
            session.client_id = previous.client_id
            session.trust_token = previous.trust_token
            session.china = previous.china
            session.cookies = previous.cookies
        async with self._client(session) as client:
            outcome = await signin.srp_signin(client, credentials.password)
            if outcome == "hsa2":
                return await self._second_factor_hsa2(client, credentials)
            web = await signin.account_login(client)
            if web.needs_second_factor:
                if web.hsa_version >= 2:
                    return await self._second_factor_hsa2(client, credentials)
                return await self._second_factor_2sv(client, credentials)
            return await _active(client, web)

    async def _second_factor_hsa2(
        self, client: AppleClient, credentials: Credentials
    ) -> LoginOutcome:
        options = await hsa2.fetch_auth_options(client)
        route = await hsa2.request_code(client, options)
        pending = PendingLogin(
            step="code", method="hsa2", session=client.session, route=route.to_state()
        )
        if credentials.code:
            return await self._verify_hsa2(client, pending, credentials.code)
        info = sms_route.code_info(route)
        raise _NeedsUser(pending, errors.CodeRequired("Enter the code Apple sent", info=info))

    async def _text_code(self, pending: PendingLogin, choice: str) -> LoginOutcome:
        """Send the code by SMS to the trusted phone ``choice`` names, instead."""
        route = hsa2.CodeRoute.from_state(pending.route)
        try:
            phone_id = sms_route.pick_phone(route, choice)
        except errors.ChoiceInvalid as wrong:
            raise _NeedsUser(pending, wrong) from None
        async with self._client(pending.session) as client:
            texted = await hsa2.send_sms(client, phone_id, route.phones)
            pending.route, pending.session = texted.to_state(), client.session
        info = sms_route.code_info(texted)
        raise _NeedsUser(pending, errors.CodeRequired("Enter the code Apple texted", info=info))

    async def _second_factor_2sv(
        self, client: AppleClient, credentials: Credentials
    ) -> LoginOutcome:
        devices = await twosv.list_devices(client)
        pending = PendingLogin(step="choice", method="2sv", session=client.session, devices=devices)
        if credentials.choice:
            return await self._choose(client, pending, credentials.choice)
        raise _NeedsUser(
            pending,
            errors.ChoiceRequired(
                "Choose where Apple should send the code",
                info={"choices": [twosv.choice_label(d) for d in devices]},
            ),
        )

    async def _send_to_choice(self, pending: PendingLogin, choice: str) -> LoginOutcome:
        async with self._client(pending.session) as client:
            return await self._choose(client, pending, choice)

    async def _choose(
        self, client: AppleClient, pending: PendingLogin, choice: str
    ) -> LoginOutcome:
        device = twosv.pick_device(pending.devices, choice)
        await twosv.send_code(client, device)
        pending.step, pending.device, pending.started = "code", device, time.time()
        pending.session = client.session
        raise _NeedsUser(pending, errors.CodeRequired("Enter the code Apple sent"))

    async def _finish_with_code(self, pending: PendingLogin, code: str) -> LoginOutcome:
        async with self._client(pending.session) as client:
            if pending.method == "hsa2":
                return await self._verify_hsa2(client, pending, code)
            return await self._verify_2sv(client, pending, code)

    async def _verify_hsa2(
        self, client: AppleClient, pending: PendingLogin, code: str
    ) -> LoginOutcome:
        try:
            await hsa2.verify_code(client, hsa2.CodeRoute.from_state(pending.route), code)
        except errors.CodeInvalid as wrong:
            # Keep the login in progress (with Apple's latest scnt) for another try.
            pending.session = client.session
            raise _NeedsUser(pending, wrong) from None
        await hsa2.trust_session(client)
        web = await signin.account_login(client)
        if web.needs_second_factor:
            raise errors.CodeInvalid("Apple still asks for a verification code")
        return await _active(client, web)

    async def _verify_2sv(
        self, client: AppleClient, pending: PendingLogin, code: str
    ) -> LoginOutcome:
        if pending.device is None:
            raise errors.ChoiceRequired(
                "Choose where Apple should send the code",
                info={"choices": [twosv.choice_label(d) for d in pending.devices]},
            )
        try:
            await twosv.validate_code(client, pending.device, code)
        except errors.CodeInvalid as wrong:
            pending.session = client.session
            raise _NeedsUser(pending, wrong) from None
        # pc asks idmsa for a trust token here; pd notes it can 404 on this path. Try.
        with contextlib.suppress(errors.ICloudError):
            await hsa2.trust_session(client)
        web = await signin.account_login(client)
        if web.needs_second_factor:
            raise errors.CodeInvalid("Apple still asks for a verification code")
        return await _active(client, web)


async def _active(client: AppleClient, web: signin.WebSession) -> LoginOutcome:
    signin.check_account(web)
    await pcs.open_web_access(client)
    session = client.session
    return LoginOutcome(
        state="active",
        session_state=active_state(session),
        account=account_facts(session),
        trust_expires=trust_expires(session),
    )


def account_facts(session: AppleSession) -> JSONDict:
    info = session.account
    return {
        "apple_id": session.apple_id,
        "dsid": session.dsid,
        "full_name": info.get("fullName"),
        "first_name": info.get("firstName"),
        "last_name": info.get("lastName"),
        "country": info.get("countryCode") or session.account_country,
        "china": session.china,
    }


def _failed(error: errors.ICloudError, state: JSONDict | None) -> LoginOutcome:
    return LoginOutcome(
        state="failed", error=error.code, error_info=error.info, session_state=state
    )


def _state_after_failure(error: errors.ICloudError, saved: JSONDict | None) -> JSONDict | None:
    """What the caller should keep after a failed attempt.

    A wrong code keeps the login in progress (the user may try another code on it); any
    other failure ends it but keeps the browser's trust; an earlier trusted session is
    kept as it was.
    """
    if saved is None or saved.get("kind") != "pending":
        return saved
    if isinstance(error, errors.CodeInvalid):
        return saved
    return _trust_only(saved)


def _trust_only(state: JSONDict) -> JSONDict | None:
    """Drop a pending login but keep the session data that carries the browser's trust."""
    session = session_from_state(state)
    return active_state(session) if session is not None and session.trust_token else None


def _same_account(state: JSONDict | None, apple_id: str) -> bool:
    session = state.get("session") if isinstance(state, dict) else None
    return (
        isinstance(session, dict) and str(session.get("apple_id", "")).lower() == apple_id.lower()
    )


def _mask(apple_id: str) -> str:
    """Apple IDs are personal data: log only a hint of them."""
    name, _, domain = apple_id.partition("@")
    return f"{name[:2]}***@{domain}" if domain else f"{apple_id[:2]}***"
