"""``POST /appleauth/auth/signin``: the raw-password sign-in older icloudpd fell back to.

Walked with the request shapes of icloudpd's ``fallback_raw_password.yml`` and
``failed_auth.yml`` (vendored under ``tests/fixtures/icloudpd``): SRP fails with 401, the
raw-password call answers 200 ``{}`` with the session headers (or, for a wrong password,
with only ``X-Apple-I-Rscd: 401``), and ``accountLogin`` takes its session token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudtap.sandbox.accounts.scenarios import PASSWORD
from tests.icloud.captures import interactions, response_json
from tests.sandbox.apple.conftest import Apple

CASSETTE = Path(__file__).parents[2] / "fixtures" / "icloudpd" / "vcr" / "fallback_raw_password.yml"
# Response headers the client keeps (reference §1 "Session data"), plus the redirect.
SESSION_HEADERS = (
    "location",
    "scnt",
    "x-apple-auth-attributes",
    "x-apple-i-rscd",
    "x-apple-id-account-country",
    "x-apple-id-session-id",
    "x-apple-session-token",
    "x-apple-twosv-trust-eligible",
)


def steps() -> list[dict[str, Any]]:
    return interactions(CASSETTE)


def raw_step() -> dict[str, Any]:
    return next(s for s in steps() if "/signin?" in s["request"]["uri"])


async def raw_signin(apple: Apple, apple_id: str, password: str) -> httpx.Response:
    """The captured request (URI, headers, body keys) with our account's credentials."""
    request = raw_step()["request"]
    body = json.loads(request["body"])
    assert set(body) == {"accountName", "password", "rememberMe", "trustTokens"}
    body.update(accountName=apple_id, password=password)
    headers = {k: v[0] for k, v in request["headers"].items() if k.startswith("X-Apple-")}
    response = await apple.http.post(request["uri"], headers=headers, json=body)
    apple.remember(response)
    return response


async def test_fallback_after_a_failed_srp_signs_in(apple: Apple) -> None:
    init, complete, raw, login = steps()
    # Step 1-2: SRP with a wrong password fails as captured.
    failed = await apple.signin("no2fa@sandbox.cloudtap.dev", password="not-the-password")
    assert failed.status_code == complete["response"]["status"]["code"] == 401
    assert failed.json().keys() == response_json(complete).keys()
    assert apple.last_init.keys() == response_json(init).keys()
    # Step 3: the raw password is accepted.
    response = await raw_signin(apple, "no2fa@sandbox.cloudtap.dev", PASSWORD)
    assert response.status_code == raw["response"]["status"]["code"] == 200
    assert response.json() == response_json(raw) == {}
    captured_headers = {k.lower() for k in raw["response"]["headers"]}
    for name in SESSION_HEADERS:
        assert name in captured_headers, name  # the list is the capture's own
        assert name in response.headers, name
    assert response.headers["location"] == "/auth"
    assert response.headers["x-apple-i-rscd"] == "200"  # nothing more to do for no-2FA
    # Step 4: accountLogin with that session token gives a trusted web session.
    account = await apple.account_login()
    assert account.status_code == login["response"]["status"]["code"] == 200
    body = account.json()
    assert body.keys() == response_json(login).keys()
    owner = apple.world.account("no2fa@sandbox.cloudtap.dev")
    assert owner is not None
    assert body["dsInfo"]["dsid"] == owner.dsid
    assert body["hsaTrustedBrowser"] is True
    assert "X-APPLE-WEBAUTH-TOKEN" in apple.http.cookies


def failed_raw_step() -> dict[str, Any]:
    """icloudpd's ``failed_auth.yml``: the same fallback with a wrong password."""
    steps = interactions(CASSETTE.with_name("failed_auth.yml"))
    return next(s for s in steps if "/signin?" in s["request"]["uri"])


@pytest.mark.parametrize("apple_id", ["no2fa@sandbox.cloudtap.dev", "nobody@sandbox.cloudtap.dev"])
async def test_wrong_password_is_refused_as_captured(apple: Apple, apple_id: str) -> None:
    """Apple answers 200 ``{}`` and puts the refusal in ``X-Apple-I-Rscd: 401``."""
    captured = failed_raw_step()
    assert (
        json.loads(captured["request"]["body"]).keys()
        == json.loads(raw_step()["request"]["body"]).keys()
    )
    response = await raw_signin(apple, apple_id, "not-the-password")
    assert response.status_code == captured["response"]["status"]["code"] == 200
    assert response.json() == response_json(captured) == {}
    assert (
        response.headers["x-apple-i-rscd"] == captured["response"]["headers"]["X-Apple-I-Rscd"][0]
    )
    assert response.headers["content-type"].startswith("text/html")
    assert "scnt" in response.headers
    captured_names = {k.lower() for k in captured["response"]["headers"]}
    for name in ("x-apple-session-token", "x-apple-id-session-id", "location"):
        assert name not in captured_names and name not in response.headers, name
    # Nothing was signed in: accountLogin has no session token to take.
    assert (await apple.account_login()).status_code != 200


async def test_two_factor_account_still_needs_its_code(apple: Apple) -> None:
    response = await raw_signin(apple, "2fa-device@sandbox.cloudtap.dev", PASSWORD)
    assert response.status_code == 200
    assert response.headers["x-apple-i-rscd"] == "409"  # as captured: a factor is missing
    body = (await apple.account_login()).json()
    assert body["hsaTrustedBrowser"] is False and body["hsaChallengeRequired"] is True


async def test_locked_and_throttled_accounts(apple: Apple) -> None:
    locked = await raw_signin(apple, "locked@sandbox.cloudtap.dev", PASSWORD)
    assert locked.status_code == 403
    assert locked.json()["serviceErrors"][0]["code"] == "-20209"
    throttled = await raw_signin(apple, "throttled@sandbox.cloudtap.dev", PASSWORD)
    assert throttled.status_code == 503


async def test_body_that_is_not_an_object_is_a_bad_request(apple: Apple) -> None:
    uri = raw_step()["request"]["uri"]
    response = await apple.http.post(uri, content=b"[1, 2]")
    assert response.status_code == 400
