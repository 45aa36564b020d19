"""Find My (``findme`` on ``pNN-fmipweb`` → ``/fmipservice/client/web/*``).

Like the real service, the first call only *asks* reachable devices to report: their
locations fill in on a later ``refreshClient``, each 10-30 s after that first call
(``CLOUDTAP_SANDBOX_FINDMY_DELAY`` = ``"10-30"`` seconds by default; ``"0"`` or ``"0.2"``
makes tests fast). Family members answer ``LOADING`` on the first call, ``DONE`` after.
Unreachable devices (AirPods, an offline iMac) never report a location. A call more than
``FRESH_FOR`` seconds into a cycle starts the next one; meanwhile the previous fixes
show with ``isOld: true``.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import devices as gen
from cloudtap.sandbox.world import SandboxWorld

DELAY_ENV = "CLOUDTAP_SANDBOX_FINDMY_DELAY"
DEFAULT_DELAY = (10.0, 30.0)
# A fix this recent is served as is; a call after that asks the devices again.
FRESH_FOR = 300.0


def parse_delay(text: str | None) -> tuple[float, float]:
    """``"10-30"`` → (10, 30); ``"0.5"`` → (0.5, 0.5); empty → the default."""
    if not text or not text.strip():
        return DEFAULT_DELAY
    low, _, high = text.strip().partition("-")
    try:
        lo = float(low)
        hi = float(high) if high else lo
    except ValueError as exc:
        raise ValueError(f"{DELAY_ENV} must look like '10-30' or '0.5', not {text!r}") from exc
    if lo < 0 or hi < lo:
        raise ValueError(f"{DELAY_ENV} must be a non-negative range, not {text!r}")
    return lo, hi


@dataclass
class _Cycle:
    started: float
    previous: float | None  # the cycle before, whose fixes show as old meanwhile


@dataclass
class _LocateState:
    """Each account's locate cycle: a call starts one when the last is stale."""

    cycles: dict[str, _Cycle] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cycle(self, apple_id: str, now: float) -> tuple[_Cycle, bool]:
        """The current cycle, and whether this call is the one that started it."""
        with self.lock:
            cycle = self.cycles.get(apple_id)
            if cycle is not None and now - cycle.started < FRESH_FOR:
                return cycle, False
            cycle = _Cycle(now, cycle.started if cycle else None)
            self.cycles[apple_id] = cycle
            return cycle, True


class FindMyService:
    def __init__(self, world: SandboxWorld, delay: tuple[float, float]) -> None:
        self.world = world
        self.delay = delay
        self.state = _LocateState()

    def reply(self, account: SandboxAccount, body: dict[str, Any]) -> dict[str, Any]:
        context = body.get("clientContext")
        if context is not None and not isinstance(context, dict):
            raise _web.BadRequest("clientContext must be an object")
        with_family = bool((context or {}).get("fmly", False))
        now = time.time()
        cycle, first_call = self.state.cycle(account.apple_id.lower(), now)
        spec = account.content
        lo, hi = self.delay
        content = []
        found = gen.devices(spec, account.first_name, with_family)
        macs = sum(1 for d in found if d.member == 0 and d.kind.is_mac)
        for device in found:
            delay = lo + (hi - lo) * device.locate_delay_fraction
            location = None
            locating = device.kind.reachable
            if device.kind.reachable and now >= cycle.started + delay:
                location = gen.location_json(device, int((cycle.started + delay) * 1000))
                locating = False
            elif device.kind.reachable and cycle.previous is not None:
                # Until the new fix arrives, the last one shows, marked old.
                location = gen.location_json(device, int((cycle.previous + delay) * 1000))
                location["isOld"] = True
            content.append(gen.device_json(device, location, locating))
        return {
            "userInfo": self._user_info(account, with_family, first_call),
            "serverContext": self._server_context(account, now, macs),
            "alert": None,
            "userPreferences": {"webPrefs": {"id": "web_prefs", "selectedDeviceId": "all"}},
            "content": content,
            "statusCode": "200",
        }

    def _user_info(
        self, account: SandboxAccount, with_family: bool, first_call: bool
    ) -> dict[str, Any]:
        spec = account.content
        members: dict[str, Any] = {}
        for member in range(1, spec.family_members + 1):
            first, last = gen.member_name(spec.seed, member)
            members[str(gen.prs_id(spec.seed, member))] = {
                "accountFormatter": 0,
                "firstName": first,
                "lastName": last,
                "deviceFetchStatus": "LOADING" if first_call and with_family else "DONE",
                "useAuthWidget": True,
                "isHSA": True,
                "appleId": gen.member_apple_id(spec.seed, member),
            }
        return {
            "accountFormatter": 0,
            "firstName": account.first_name,
            "lastName": account.last_name,
            "membersInfo": members,
            "hasMembers": bool(members),
        }

    def _server_context(self, account: SandboxAccount, now: float, macs: int) -> dict[str, Any]:
        # Apple's is base64 of "client_<prsId>_<ms>" (a 2018 reply); the sandbox's is alike.
        prs = gen.prs_id(account.content.seed, 0)
        client_id = base64.b64encode(f"client_{prs}_{int(now * 1000)}".encode()).decode()
        return {
            "id": "server_ctx",
            "prsId": gen.prs_id(account.content.seed, 0),
            "callbackIntervalInMS": 2000,
            "minCallbackIntervalInMS": 1000,
            "maxLocatingTime": 90000,
            "maxDeviceLoadTime": 60000,
            "sessionLifespan": 900000,
            "serverTimestamp": int(now * 1000),
            "deviceLoadStatus": "200",
            "preferredLanguage": "en-us",
            "timezone": {
                "tzCurrentName": "Pacific Standard Time",
                "previousTransition": 0,
                "previousOffset": -25200000,
                "currentOffset": -28800000,
                "tzName": "America/Los_Angeles",
            },
            "authToken": None,
            "lastSessionExtensionTime": None,
            "validRegion": True,
            "cloudUser": True,
            "isHSA": True,
            "classicUser": False,
            "useAuthWidget": True,
            "enableMapStats": True,
            "macCount": macs,
            "imageBaseUrl": "https://statici.icloud.com",
            "theftLoss": None,
            "info": "sandbox",
            # The fixture's remaining keys, with its values (nothing here varies per account).
            "maxCallbackIntervalInMS": 60000,
            "minTrackLocThresholdInMts": 100,
            "trackInfoCacheDurationInSecs": 86400,
            "prefsUpdateTime": int(now * 1000) - 86_400_000,
            "clientId": client_id,
            "deviceImageVersion": "4",
            "showSllNow": False,
            "enable2FAErase": False,
            "enable2FAFamilyActions": False,
            "enable2FAFamilyRemove": False,
        }


def findmy_app(world: SandboxWorld) -> ASGIApp:
    service = FindMyService(world, parse_delay(os.environ.get(DELAY_ENV)))

    async def client(request: Request) -> Response:
        account = _web.account_of(request)
        body = await _web.json_body(request)
        return JSONResponse(service.reply(account, body))

    async def action(request: Request) -> Response:
        # playSound, sendMessage, lostDevice, remoteWipeWithUserAuth: accepted, nothing moves.
        account = _web.account_of(request)
        body = await _web.json_body(request)
        device_id = body.get("device")
        reply = service.reply(account, {"clientContext": body.get("clientContext") or {}})
        if device_id is not None and not any(d["id"] == device_id for d in reply["content"]):
            return JSONResponse(
                {"statusCode": "400", "errorMessage": "device not found"}, status_code=400
            )
        return JSONResponse(reply)

    base = "/fmipservice/client/web"
    return _web.service_app(
        world,
        [
            Route(f"{base}/initClient", client, methods=["POST"]),
            Route(f"{base}/refreshClient", client, methods=["POST"]),
            *(
                Route(f"{base}/{name}", action, methods=["POST"])
                for name in ("playSound", "sendMessage", "lostDevice", "remoteWipeWithUserAuth")
            ),
        ],
    )


# webservices key ``findme``, served on Apple's own host label (pNN-fmipweb).
register_service("fmipweb", findmy_app)
