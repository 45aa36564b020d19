"""Legacy two-step verification (2SV, ``hsaVersion`` 1), driven through setup.icloud.com.

The account lists its devices; the user picks one as a *choice* string shown like
``********03 - SMS to Phone Number`` (ricloud's wording); a code is sent there and
validated with ``trustBrowser`` so the next login is trusted.
"""

from __future__ import annotations

from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import (
    WRONG_CODE,
    json_body,
    raise_for_common,
    require_json_object,
    service_error_codes,
)

Device = dict[str, Any]


def choice_label(device: Device) -> str:
    """How a device is offered to the user as a choice."""
    if str(device.get("deviceType", "")).upper() == "SMS":
        return f"{device.get('phoneNumber', '')} - SMS to Phone Number"
    name = device.get("deviceName") or device.get("phoneNumber") or device.get("deviceId")
    return f"{name} - Trusted Device"


def pick_device(devices: list[Device], choice: str) -> Device:
    wanted = choice.strip()
    for device in devices:
        if wanted in (choice_label(device), str(device.get("deviceId"))):
            return device
    raise errors.ChoiceInvalid(
        "That choice is not one of the account's devices",
        info={"choices": [choice_label(d) for d in devices]},
    )


async def list_devices(client: AppleClient) -> list[Device]:
    response = await client.setup("GET", "/listDevices")
    raise_for_common(response)
    body = require_json_object(response, "listDevices")
    devices = [d for d in body.get("devices") or [] if isinstance(d, dict)]
    if not devices:
        raise errors.MfaUnsupported("Apple lists no device to send a verification code to")
    return devices


async def send_code(client: AppleClient, device: Device) -> None:
    response = await client.setup("POST", "/sendVerificationCode", json=device)
    raise_for_common(response)
    body = json_body(response)
    if response.status_code >= 400 or not (isinstance(body, dict) and body.get("success")):
        raise errors.AppleUnavailable("Apple did not send the verification code")


async def validate_code(client: AppleClient, device: Device, code: str) -> None:
    payload = dict(device)
    payload.update({"verificationCode": code.strip(), "trustBrowser": True})
    response = await client.setup("POST", "/validateVerificationCode", json=payload)
    raise_for_common(response)
    body = json_body(response)
    if isinstance(body, dict) and body.get("success") is True and response.status_code < 400:
        return
    if WRONG_CODE in service_error_codes(body) or response.status_code < 500:
        raise errors.CodeInvalid("Apple rejected the verification code")
    raise errors.AppleUnavailable(f"validateVerificationCode answered {response.status_code}")
