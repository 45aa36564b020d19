"""The sandbox answers the captured Apple calls with the same status codes and JSON keys.

Each auth cassette in ``fixtures/apple-captures`` is walked step by step against the
sandbox with a scenario account in the same situation (values differ, shapes must not).
Known, deliberate differences are listed in ``DEVIATIONS`` with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from cloudtap.sandbox.accounts.scenarios import CODE
from tests.sandbox.apple.conftest import SETUP, Apple


class _CassetteLoader(yaml.SafeLoader):
    """VCR writes ``!!python/unicode`` scalars; read them as plain strings."""


for _tag in ("tag:yaml.org,2002:python/unicode", "tag:yaml.org,2002:python/str"):
    _CassetteLoader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))


def interactions(captures: Path, name: str) -> list[dict[str, Any]]:
    with open(captures / name, encoding="utf-8") as fh:
        return list(yaml.load(fh, Loader=_CassetteLoader)["interactions"])


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON document (``a.b[].c``); list items share one path."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.add(path)
            if not (path == "webservices" or path.startswith("webservices.")):
                paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= key_paths(child, prefix + "[]")
    return paths


def captured_body(interaction: dict[str, Any]) -> Any:
    body = interaction["response"]["body"]
    text = body.get("string", "") if isinstance(body, dict) else body
    text = text.decode() if isinstance(text, bytes) else text
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text


# Deliberate differences from the 2023 captures, each with its reason.
HSA2_409 = (
    409,
    "2023 captures answered 200 {auth_type: hsa2}; Apple now answers 409 {authType: hsa2}, "
    "which pyicloud 2026.10.1 needs to start its 2FA flow (reference §2.2)",
)
RENAMED = {"auth_type": "authType"}  # the modern spelling, with the 409 above
# The non-2FA capture is of a pre-2FA ("sa") account, which Apple no longer has; pyicloud
# decides trust from hsaTrustedBrowser, so the sandbox always states the hsa keys.
ALWAYS_STATED = {
    "dsInfo.hsaEnabled",
    "dsInfo.hsaVersion",
    "hsaChallengeRequired",
    "hsaTrustedBrowser",
}

# The 2SA capture lists only an SMS device; trusted iOS devices also carry a name, which
# pyicloud and icloudpd print when offering the device.
DEVICE_NAMES = {"devices[].deviceName"}


def assert_same_shape(
    interaction: dict[str, Any],
    response: httpx.Response,
    *,
    status: int | None = None,
    renamed: dict[str, str] | None = None,
) -> None:
    uri = interaction["request"]["uri"].split("?")[0]
    expected = status or interaction["response"]["status"]["code"]
    assert response.status_code == expected, uri
    captured = captured_body(interaction)
    if isinstance(captured, dict | list) and response.status_code != 204:
        ours = key_paths(response.json())
        theirs = {(renamed or {}).get(p, p) for p in key_paths(captured)}
        assert theirs <= ours, f"{uri}: missing {sorted(theirs - ours)}"
        extra = {p for p in ours - theirs if not p.startswith("webservices")}
        extra -= ALWAYS_STATED | DEVICE_NAMES
        assert not extra, f"{uri}: extra keys {sorted(extra)}"
    for header in interaction["response"]["headers"]:
        if header.lower().startswith(("x-apple-session", "x-apple-id-", "x-apple-twosv", "scnt")):
            assert header in response.headers, f"{uri}: header {header}"


@pytest.fixture
def captures(captures_dir: Path) -> Path:
    return captures_dir


async def test_failed_auth(apple: Apple, captures: Path) -> None:
    init, complete, _legacy = interactions(captures, "failed_auth.yml")
    response = await apple.signin("no2fa@sandbox.cloudtap.dev", password="wrong")
    assert_same_shape(complete, response)
    assert apple.last_init.keys() == captured_body(init).keys()


async def test_failed_auth_503(apple: Apple, captures: Path) -> None:
    init = interactions(captures, "failed_auth_503.yml")[0]
    response = await apple.signin("throttled@sandbox.cloudtap.dev")
    assert_same_shape(init, response)
    assert response.text == captured_body(init)


async def test_auth_non_2fa_repair(apple: Apple, captures: Path) -> None:
    _init, complete, repair, login = interactions(captures, "auth_non_2fa.yml")
    assert_same_shape(complete, await apple.signin("repair@sandbox.cloudtap.dev"))
    assert_same_shape(repair, await apple.idmsa("POST", "/repair/complete", json={}))
    assert_same_shape(login, await apple.account_login())


async def test_auth_requires_2fa(apple: Apple, captures: Path) -> None:
    _init, complete, login = interactions(captures, "auth_requires_2fa.yml")
    response = await apple.signin("2fa-device@sandbox.cloudtap.dev")
    assert_same_shape(complete, response, status=HSA2_409[0], renamed=RENAMED)
    assert_same_shape(login, await apple.account_login())


@pytest.mark.parametrize(("cassette", "code"), [("2fa_flow_valid_code.yml", CODE)])
async def test_2fa_flow_valid_code(apple: Apple, captures: Path, cassette: str, code: str) -> None:
    _init, complete, context, login, verify, trust, trusted_login = interactions(captures, cassette)
    response = await apple.signin("2fa-device@sandbox.cloudtap.dev")
    assert_same_shape(complete, response, status=HSA2_409[0], renamed=RENAMED)
    page = await apple.idmsa("GET", "", headers={"Accept": "text/html"})
    assert page.status_code == context["response"]["status"]["code"]
    assert 'class="boot_args"' in page.text
    assert_same_shape(login, await apple.account_login())
    body = {"securityCode": {"code": code}}
    assert_same_shape(
        verify, await apple.idmsa("POST", "/verify/trusteddevice/securitycode", json=body)
    )
    trust_response = await apple.idmsa("GET", "/2sv/trust")
    assert_same_shape(trust, trust_response)
    token = trust_response.headers["X-Apple-TwoSV-Trust-Token"]
    assert_same_shape(trusted_login, await apple.account_login(trust_token=token))


async def test_2fa_flow_invalid_code(apple: Apple, captures: Path) -> None:
    verify = interactions(captures, "2fa_flow_invalid_code.yml")[-1]
    await apple.signin("2fa-device@sandbox.cloudtap.dev")
    body = {"securityCode": {"code": "000000"}}
    response = await apple.idmsa("POST", "/verify/trusteddevice/securitycode", json=body)
    assert_same_shape(verify, response)


@pytest.mark.parametrize("cassette", ["2sa_flow_valid_code.yml", "2sa_flow_invalid_code.yml"])
async def test_2sa_flows(apple: Apple, captures: Path, cassette: str) -> None:
    steps = interactions(captures, cassette)
    complete, login, devices, send, validate = steps[1:6]
    # Legacy 2SV is finished on setup.icloud.com, so no 409 here (values differ: "sa").
    response = await apple.signin("2sv@sandbox.cloudtap.dev")
    assert_same_shape(complete, response, renamed=RENAMED)
    assert_same_shape(login, await apple.account_login())
    listed = await apple.http.get(f"{SETUP}/listDevices")
    assert_same_shape(devices, listed)
    device = listed.json()["devices"][0]
    assert_same_shape(send, await apple.http.post(f"{SETUP}/sendVerificationCode", json=device))
    code = CODE if "invalid" not in cassette else "000000"
    body = {**device, "verificationCode": code, "trustBrowser": True}
    assert_same_shape(
        validate, await apple.http.post(f"{SETUP}/validateVerificationCode", json=body)
    )
    if len(steps) > 6:
        assert_same_shape(steps[6], await apple.account_login())


async def test_successful_auth_validate(apple: Apple, captures: Path) -> None:
    validate = interactions(captures, "successful_auth.yml")[0]
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    await apple.account_login()
    assert_same_shape(validate, await apple.http.post(f"{SETUP}/validate", content=b"null"))
