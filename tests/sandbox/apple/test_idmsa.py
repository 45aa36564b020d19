"""idmsa.apple.com: SRP sign-in, the second factor, repair and trust tokens."""

from __future__ import annotations

import base64
import json
import re

import pytest

from cloudtap.sandbox.accounts.scenarios import CODE
from tests.sandbox.apple.conftest import IDMSA, Apple

SESSION_HEADERS = (
    "X-Apple-Session-Token",
    "X-Apple-ID-Session-Id",
    "X-Apple-ID-Account-Country",
    "X-Apple-Auth-Attributes",
    "X-Apple-TwoSV-Trust-Eligible",
    "scnt",
)


def boot_args(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" class="boot_args">(.*?)</script>', html)
    assert match, html
    return dict(json.loads(match.group(1)))


async def test_srp_signin_without_2fa(apple: Apple) -> None:
    response = await apple.signin("no2fa@sandbox.cloudtap.dev")
    assert response.status_code == 200
    for header in SESSION_HEADERS:
        assert response.headers.get(header), header
    assert apple.last_init["protocol"] == "s2k"
    assert apple.last_init["iteration"] == 20064
    assert len(apple.last_init["b"]) > 300  # a 2048-bit B, base64


async def test_salt_is_stable_per_account(apple: Apple) -> None:
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    first = apple.last_init["salt"]
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    assert apple.last_init["salt"] == first


async def test_s2k_fo_account_and_clients_that_offer_only_s2k(apple: Apple) -> None:
    response = await apple.signin("s2kfo@sandbox.cloudtap.dev")
    assert (response.status_code, apple.last_init["protocol"]) == (200, "s2k_fo")
    response = await apple.signin("s2kfo@sandbox.cloudtap.dev", protocols=["s2k"])
    assert (response.status_code, apple.last_init["protocol"]) == (200, "s2k")


@pytest.mark.parametrize("apple_id", ["no2fa@sandbox.cloudtap.dev", "nobody@sandbox.cloudtap.dev"])
async def test_wrong_password_or_unknown_account_is_401(apple: Apple, apple_id: str) -> None:
    response = await apple.signin(apple_id, password="not-it")
    assert response.status_code == 401
    assert response.json()["serviceErrors"][0]["code"] == "-20101"


async def test_locked_account(apple: Apple) -> None:
    response = await apple.signin("locked@sandbox.cloudtap.dev")
    assert response.status_code == 403
    assert response.json()["serviceErrors"][0]["code"] == "-20209"


async def test_throttled_account(apple: Apple) -> None:
    response = await apple.signin("throttled@sandbox.cloudtap.dev")
    assert response.status_code == 503
    assert response.text == "Service Temporary Unavailable"


async def test_challenge_cannot_be_replayed(apple: Apple) -> None:
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    replay = await apple.http.post(
        f"{IDMSA}/signin/complete",
        json={"accountName": "x", "c": apple.last_init["c"], "m1": "AA=="},
    )
    assert replay.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1,2]",
        b'{"accountName": 5}',
        b'{"accountName": "a", "a": "%%%"}',
        b'{"accountName": "a", "a": "AA=="}',  # A = 0 fails SRP-6a's safety check
    ],
)
async def test_malformed_init_is_a_400_not_a_crash(apple: Apple, body: bytes) -> None:
    response = await apple.http.post(f"{IDMSA}/signin/init", content=body)
    assert response.status_code == 400
    assert response.json()["serviceErrors"]


async def test_repair_then_continue(apple: Apple) -> None:
    response = await apple.signin("repair@sandbox.cloudtap.dev")
    assert response.status_code == 412
    assert response.json() == {"auth_type": "sa"}
    assert (await apple.account_login()).status_code == 421  # not until repaired
    assert (await apple.idmsa("POST", "/repair/complete", json={})).status_code == 200
    assert (await apple.account_login()).json()["hsaTrustedBrowser"] is True


async def test_trusted_device_flow_and_trust_token(apple: Apple) -> None:
    apple_id = "2fa-device@sandbox.cloudtap.dev"
    response = await apple.signin(apple_id)
    assert response.status_code == 409
    assert response.json() == {"authType": "hsa2"}

    page = await apple.idmsa("GET", "", headers={"Accept": "text/html"})
    direct = boot_args(page.text)["direct"]
    assert isinstance(direct, dict)
    assert direct["hasTrustedDevices"] is True
    assert direct["authInitialRoute"] == "auth/verify/trusteddevice"
    assert "bridgeInitiateData" not in direct["twoSV"]
    assert direct["twoSV"]["phoneNumberVerification"]["trustedPhoneNumbers"][0]["id"] == 1

    pushed = await apple.idmsa("PUT", "/verify/trusteddevice/securitycode")
    assert pushed.status_code == 202
    wrong = await apple.idmsa(
        "POST", "/verify/trusteddevice/securitycode", json={"securityCode": {"code": "000000"}}
    )
    assert wrong.status_code == 400
    assert wrong.json()["service_errors"][0]["code"] == "-21669"
    untrusted = await apple.idmsa("GET", "/2sv/trust")
    assert untrusted.status_code == 401  # no trust before the code

    right = await apple.idmsa(
        "POST", "/verify/trusteddevice/securitycode", json={"securityCode": {"code": CODE}}
    )
    assert right.status_code == 204
    trust = await apple.idmsa("GET", "/2sv/trust")
    assert trust.status_code == 204
    trust_token = trust.headers["X-Apple-TwoSV-Trust-Token"]
    # idmsa's locale cookies, as captured on these three replies (icloudpd 2fa_flow_*.yml).
    for reply in (wrong, right, trust):
        assert sorted(reply.headers.get_list("set-cookie")) == [
            "dslang=US-EN; Domain=apple.com; HttpOnly; Path=/; Secure",
            "site=USA; Domain=apple.com; HttpOnly; Path=/; Secure",
        ]

    login = await apple.account_login(trust_token=trust_token)
    assert login.json()["hsaTrustedBrowser"] is True

    # A later sign-in presenting the trust token skips the second factor.
    again = await apple.signin(apple_id, trust_tokens=[trust_token])
    assert again.status_code == 200
    # ... but not for another account.
    other = await apple.signin("2fa-sms@sandbox.cloudtap.dev", trust_tokens=[trust_token])
    assert other.status_code == 409


async def test_sms_flow(apple: Apple) -> None:
    assert (await apple.signin("2fa-sms@sandbox.cloudtap.dev")).status_code == 409
    page = await apple.idmsa("GET", "", headers={"Accept": "text/html"})
    direct = boot_args(page.text)["direct"]
    assert isinstance(direct, dict)
    assert direct["hasTrustedDevices"] is False
    assert direct["authInitialRoute"] == "auth/verify/phone"
    bridge = direct["twoSV"]["bridgeInitiateData"]
    assert [p["id"] for p in bridge["phoneNumberVerification"]["trustedPhoneNumbers"]] == [1, 2]

    unknown = await apple.idmsa("PUT", "/verify/phone", json={"phoneNumber": {"id": 9}})
    assert unknown.status_code == 400
    sent = await apple.idmsa("PUT", "/verify/phone", json={"phoneNumber": {"id": 2}, "mode": "sms"})
    assert sent.status_code == 200
    assert sent.json()["trustedPhoneNumber"]["id"] == 2
    # The SMS-only account has no trusted device to show a code on.
    device = await apple.idmsa(
        "POST", "/verify/trusteddevice/securitycode", json={"securityCode": {"code": CODE}}
    )
    assert device.status_code == 400
    verified = await apple.idmsa(
        "POST",
        "/verify/phone/securitycode",
        json={"phoneNumber": {"id": 2}, "securityCode": {"code": CODE}, "mode": "sms"},
    )
    assert verified.status_code == 204
    assert (await apple.idmsa("GET", "/2sv/trust")).status_code == 204


async def test_json_auth_options(apple: Apple) -> None:
    await apple.signin("security-key@sandbox.cloudtap.dev")
    options = (await apple.idmsa("GET", "", headers={"Accept": "application/json"})).json()
    assert options["fsaChallenge"]["rpId"] == "apple.com"
    assert options["keyNames"]
    refused = await apple.idmsa("POST", "/verify/security/key", json={})
    assert refused.status_code == 400


async def test_second_factor_calls_need_a_sign_in(apple: Apple) -> None:
    for method, path in [
        ("GET", ""),
        ("POST", "/verify/trusteddevice/securitycode"),
        ("PUT", "/verify/phone"),
        ("GET", "/2sv/trust"),
        ("POST", "/repair/complete"),
    ]:
        response = await apple.http.request(method, f"{IDMSA}{path}", json={})
        assert response.status_code == 401, path


async def test_authorize_signin_hands_out_scnt(apple: Apple) -> None:
    response = await apple.http.get(f"{IDMSA}/authorize/signin", params={"client_id": "x"})
    assert response.status_code == 200
    assert response.headers["scnt"]


async def test_legacy_2sv_sign_in_answers_as_captured(apple: Apple) -> None:
    # icloudpd 2sa_flow_*.yml: a two-step (2SA) account's signin/complete is 200 with auth
    # type "hsa2", the second step then done on setup.icloud.com; no capture shows "sa" here.
    response = await apple.signin("2sv@sandbox.cloudtap.dev")
    assert response.status_code == 200
    assert response.json() == {"authType": "hsa2"}


async def test_sign_in_replies_carry_the_captured_content_types(apple: Apple) -> None:
    # icloudpd 2fa_flow_*.yml, auth_non_2fa.yml: signin/init's JSON is labelled text/html;
    # the 204s of the code check and of 2sv/trust carry application/json and text/html,
    # and repair/complete's empty 200 application/json.
    def media(response: object) -> str:
        return str(getattr(response, "headers", {}).get("content-type", "")).split(";")[0]

    a = base64.b64encode(b"\x02" * 256).decode()
    body = {"a": a, "accountName": "2fa-device@sandbox.cloudtap.dev", "protocols": ["s2k"]}
    init = await apple.http.post(f"{IDMSA}/signin/init", json=body)
    assert init.status_code == 200 and media(init) == "text/html"
    assert "salt" in json.loads(init.text)

    await apple.signin("2fa-device@sandbox.cloudtap.dev")
    code = {"securityCode": {"code": CODE}}
    checked = await apple.idmsa("POST", "/verify/trusteddevice/securitycode", json=code)
    assert checked.status_code == 204 and media(checked) == "application/json"
    trust = await apple.idmsa("GET", "/2sv/trust")
    assert trust.status_code == 204 and media(trust) == "text/html"

    await apple.signin("repair@sandbox.cloudtap.dev")
    repaired = await apple.idmsa("POST", "/repair/complete", json={})
    assert repaired.status_code == 200 and media(repaired) == "application/json"
