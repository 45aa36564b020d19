"""Two-factor authentication (HSA2): where the code goes, checking it, trusting the browser.

After signin answers 409, ``GET /appleauth/auth`` describes the account's options in its
``boot_args``: trusted devices, trusted phone numbers, security keys. A code is pushed to
trusted devices, or sent by SMS to a trusted phone when the account has no devices.
Security-key-only accounts cannot be driven over an API.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import json_body, raise_for_code_check, raise_for_common

Delivery = Literal["device", "sms"]

_BOOT_ARGS = re.compile(
    r"<script[^>]*class=[\"']boot_args[\"'][^>]*>(?P<json>.*?)</script>", re.DOTALL | re.IGNORECASE
)


@dataclass(frozen=True)
class AuthOptions:
    has_trusted_devices: bool
    phone_ids: tuple[int, ...]
    default_phone_id: int | None
    security_key_only: bool
    # (id, masked number as Apple shows it) per trusted phone: where an SMS may go.
    phones: tuple[tuple[int, str], ...] = ()


def parse_boot_args(text: str) -> dict[str, Any]:
    """The ``direct`` object of the boot_args script (or of a JSON reply)."""
    match = _BOOT_ARGS.search(text)
    raw = match.group("json") if match else text
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    direct = data.get("direct", data)
    return direct if isinstance(direct, dict) else {}


def _phone_id(entry: Any) -> int | None:
    if isinstance(entry, dict):
        try:
            return int(entry["id"])
        except (KeyError, TypeError, ValueError):
            return None
    return None


def auth_options_from(direct: dict[str, Any]) -> AuthOptions:
    two_sv = direct.get("twoSV") if isinstance(direct.get("twoSV"), dict) else {}
    assert isinstance(two_sv, dict)
    verification = two_sv.get("phoneNumberVerification")
    if not isinstance(verification, dict):
        bridge = two_sv.get("bridgeInitiateData")
        verification = bridge.get("phoneNumberVerification") if isinstance(bridge, dict) else {}
    if not isinstance(verification, dict):
        verification = {}
    phones = tuple(
        pid
        for pid in map(_phone_id, verification.get("trustedPhoneNumbers") or [])
        if pid is not None
    )
    default = _phone_id(verification.get("trustedPhoneNumber"))
    labelled = tuple(
        (pid, _phone_label(entry))
        for entry in verification.get("trustedPhoneNumbers") or []
        if (pid := _phone_id(entry)) is not None
    )
    has_devices = bool(direct.get("hasTrustedDevices"))
    route = str(direct.get("authInitialRoute") or "")
    key_signals = (
        "fsaChallenge" in direct
        or "fsaChallenge" in two_sv
        or bool(direct.get("keyNames") or two_sv.get("keyNames"))
        or "securitykey" in route.replace("/", "")
        or "fsa" in route.split("/")
    )
    return AuthOptions(
        has_trusted_devices=has_devices,
        phone_ids=phones,
        default_phone_id=default if default is not None else (phones[0] if phones else None),
        security_key_only=key_signals,
        phones=labelled,
    )


def _phone_label(entry: dict[str, Any]) -> str:
    """The number as Apple shows it, already masked (``+1 (•••) •••-••81``)."""
    for key in ("numberWithDialCode", "obfuscatedNumber"):
        if isinstance(entry.get(key), str) and entry[key]:
            return str(entry[key])
    return f"phone {entry.get('id')}"


async def fetch_auth_options(client: AppleClient) -> AuthOptions:
    response = await client.idmsa("GET", "", accept="text/html")
    raise_for_common(response)
    return auth_options_from(parse_boot_args(response.text))


@dataclass(frozen=True)
class CodeRoute:
    delivery: Delivery
    phone_id: int | None = None
    # The trusted phones an SMS may be asked for instead (see ``sms_route``).
    phones: tuple[tuple[int, str], ...] = ()

    def to_state(self) -> dict[str, Any]:
        phones = [[pid, label] for pid, label in self.phones]
        return {"delivery": self.delivery, "phone_id": self.phone_id, "phones": phones}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CodeRoute:
        delivery: Delivery = "sms" if state.get("delivery") == "sms" else "device"
        phone = state.get("phone_id")
        phones = tuple(
            (int(entry[0]), str(entry[1]))
            for entry in state.get("phones") or []
            if isinstance(entry, list) and len(entry) == 2
        )
        return cls(
            delivery=delivery, phone_id=int(phone) if phone is not None else None, phones=phones
        )


async def request_code(client: AppleClient, options: AuthOptions) -> CodeRoute:
    """Ask Apple to send a code; returns where it went, so ``verify_code`` checks it there."""
    if options.security_key_only:
        raise errors.MfaUnsupported(
            "This Apple ID signs in with security keys only, which an API cannot use"
        )
    if options.has_trusted_devices:
        # Apple already pushed on signin; asking again is harmless and makes sure.
        await client.idmsa("PUT", "/verify/trusteddevice/securitycode", accept="application/json")
        return CodeRoute("device", phones=options.phones)
    if options.default_phone_id is not None:
        return await send_sms(client, options.default_phone_id, options.phones)
    raise errors.MfaUnsupported("Apple offers no trusted device or phone to send a code to")


async def send_sms(
    client: AppleClient, phone_id: int, phones: tuple[tuple[int, str], ...]
) -> CodeRoute:
    """Ask Apple to text a code to the trusted phone ``phone_id`` (pyicloud's
    ``PUT /verify/phone``)."""
    response = await client.idmsa(
        "PUT",
        "/verify/phone",
        accept="application/json",
        json={"phoneNumber": {"id": phone_id}, "mode": "sms"},
    )
    raise_for_common(response)
    if response.status_code >= 400:
        raise errors.AppleUnavailable(f"sending the SMS code answered {response.status_code}")
    return CodeRoute("sms", phone_id, phones)


async def verify_code(client: AppleClient, route: CodeRoute, code: str) -> None:
    code = code.strip()
    if route.delivery == "sms":
        response = await client.idmsa(
            "POST",
            "/verify/phone/securitycode",
            accept="application/json",
            json={
                "phoneNumber": {"id": route.phone_id},
                "securityCode": {"code": code},
                "mode": "sms",
            },
        )
    else:
        response = await client.idmsa(
            "POST",
            "/verify/trusteddevice/securitycode",
            accept="application/json",
            json={"securityCode": {"code": code}},
        )
    if response.status_code == 409 and _code_marked_valid(json_body(response)):
        return
    raise_for_code_check(response)


def _code_marked_valid(body: Any) -> bool:
    code = body.get("securityCode") if isinstance(body, dict) else None
    return isinstance(code, dict) and code.get("valid") is True


async def trust_session(client: AppleClient) -> None:
    """Ask for a trust token so later logins of this session skip the code."""
    response = await client.idmsa("GET", "/2sv/trust")
    raise_for_common(response)
