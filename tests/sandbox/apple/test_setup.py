"""setup.icloud.com: accountLogin, validate, logout, legacy 2SV, PCS state, terms, China."""

from __future__ import annotations

import httpx

from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD
from cloudtap.sandbox.apple.account_json import partition_of
from cloudtap.sandbox.hosts import service_url
from tests.sandbox.apple.conftest import SETUP, SETUP_CN, Apple

CLIENT_SERVICE_KEYS = {
    "account",
    "calendar",
    "ckdatabasews",
    "contacts",
    "docws",
    "drivews",
    "findme",
    "photosupload",
    "premiummailsettings",
    "ubiquity",
    "uploadimagews",
    "reminders",
    "photos",
    "keyvalue",
}


def set_cookies(response: httpx.Response) -> dict[str, str]:
    found = {}
    for line in response.headers.get_list("set-cookie"):
        name, _, rest = line.partition("=")
        found[name] = rest
    return found


async def test_account_login_sets_the_web_session(apple: Apple) -> None:
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    response = await apple.account_login()
    assert response.status_code == 200
    body = response.json()
    account = apple.world.account("no2fa@sandbox.cloudtap.dev")
    assert account is not None
    assert body["dsInfo"]["dsid"] == account.dsid
    assert body["dsInfo"]["hsaVersion"] == 0
    assert body["hsaTrustedBrowser"] is True and body["hsaChallengeRequired"] is False
    partition = partition_of(account)
    assert set(body["webservices"]) >= CLIENT_SERVICE_KEYS
    for key in CLIENT_SERVICE_KEYS:
        assert body["webservices"][key]["url"] == service_url(key, partition)
    cookies = set_cookies(response)
    for name in ("X-APPLE-WEBAUTH-TOKEN", "X-APPLE-WEBAUTH-USER", "X-APPLE-DS-WEB-SESSION-TOKEN"):
        assert "Domain=.icloud.com;" in cookies[name]
        assert "Secure" in cookies[name]
    assert (
        apple.world.account_for_cookies(
            {"X-APPLE-WEBAUTH-TOKEN": apple.http.cookies["X-APPLE-WEBAUTH-TOKEN"]}
        )
        == account
    )


async def test_untrusted_login_gets_no_web_session(apple: Apple) -> None:
    await apple.signin("2fa-device@sandbox.cloudtap.dev")
    response = await apple.account_login()
    body = response.json()
    assert body["hsaTrustedBrowser"] is False and body["hsaChallengeRequired"] is True
    assert body["dsInfo"]["hsaVersion"] == 2
    # Apple lists every service before the second factor too; the cookies gate them.
    assert "X-APPLE-WEBAUTH-TOKEN" not in set_cookies(response)
    assert (await apple.http.post(f"{SETUP}/validate", content=b"null")).status_code == 421


async def test_validate_and_logout(apple: Apple) -> None:
    missing = await apple.http.post(f"{SETUP}/validate", content=b"null")
    assert missing.status_code == 421
    assert missing.json()["error"] == "Missing X-APPLE-WEBAUTH-TOKEN cookie"
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    await apple.account_login()
    valid = await apple.http.post(f"{SETUP}/validate", content=b"null")
    assert valid.status_code == 200 and valid.json()["dsInfo"]["appleId"]
    out = await apple.http.post(
        f"{SETUP}/logout", json={"trustBrowser": True, "allBrowsers": False}
    )
    assert out.json() == {"success": True}
    assert (await apple.http.post(f"{SETUP}/validate", content=b"null")).status_code == 421


async def test_expired_web_session_is_421(apple: Apple) -> None:
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    await apple.account_login()
    apple.world.expire_sessions_of("no2fa@sandbox.cloudtap.dev")
    assert (await apple.http.post(f"{SETUP}/validate", content=b"null")).status_code == 421


async def test_bad_account_login_requests(apple: Apple) -> None:
    garbage = await apple.http.post(f"{SETUP}/accountLogin", content=b"{nope")
    assert garbage.status_code == 400 and garbage.json()["success"] is False
    unknown = await apple.http.post(f"{SETUP}/accountLogin", json={"dsWebAuthToken": "made-up"})
    assert unknown.status_code == 421
    nowhere = await apple.http.get(f"{SETUP}/no/such/call")
    assert nowhere.status_code == 404 and nowhere.json()["success"] is False


async def test_legacy_2sv(apple: Apple) -> None:
    await apple.signin("2sv@sandbox.cloudtap.dev")
    first = (await apple.account_login()).json()
    assert first["dsInfo"]["hsaVersion"] == 1 and first["hsaTrustedBrowser"] is False
    # icloudpd 2sa_flow_*.yml: the challenge is still owed, as for a 2FA account.
    assert first["hsaChallengeRequired"] is True
    devices = (await apple.http.get(f"{SETUP}/listDevices")).json()["devices"]
    assert [d["deviceType"] for d in devices] == ["SMS", "SMS", "IOS"]
    assert set(devices[0]) == {"deviceType", "areaCode", "phoneNumber", "deviceId"}
    sent = await apple.http.post(f"{SETUP}/sendVerificationCode", json=devices[0])
    assert sent.json() == {"success": True}
    wrong = await apple.http.post(
        f"{SETUP}/validateVerificationCode",
        json={**devices[0], "verificationCode": "000000", "trustBrowser": True},
    )
    assert wrong.status_code == 200 and wrong.json()["errorCode"] == -21669
    right = await apple.http.post(
        f"{SETUP}/validateVerificationCode",
        json={**devices[0], "verificationCode": CODE, "trustBrowser": True},
    )
    assert right.json() == {"success": True}
    again = (await apple.account_login()).json()
    assert again["hsaTrustedBrowser"] is True and again["hsaChallengeRequired"] is False


async def test_2sv_calls_need_a_sign_in(apple: Apple) -> None:
    assert (await apple.http.get(f"{SETUP}/listDevices")).status_code == 421


async def test_china_account(apple: Apple) -> None:
    await apple.signin("china@sandbox.cloudtap.dev")
    wrong_domain = await apple.account_login(SETUP)
    assert wrong_domain.json()["domainToUse"] == "iCloud.com.cn"
    response = await apple.account_login(SETUP_CN)
    body = response.json()
    assert body["webservices"]["ckdatabasews"]["url"].endswith(".icloud.com.cn:443")
    assert "Domain=.icloud.com.cn;" in set_cookies(response)["X-APPLE-WEBAUTH-TOKEN"]


async def test_adp_account_reports_web_access_disabled(apple: Apple) -> None:
    await apple.signin("adp@sandbox.cloudtap.dev")
    await apple.account_login()
    state = (await apple.http.post(f"{SETUP}/requestWebAccessState")).json()
    assert state["isICDRSDisabled"] is True and state["isWebAccessAllowed"] is False
    consent = (await apple.http.post(f"{SETUP}/enableDeviceConsentForPCS")).json()
    assert consent["isDeviceConsentNotificationSent"] is False
    refused = await apple.http.post(f"{SETUP}/requestPCS", json={"appName": "photos"})
    assert refused.json()["status"] != "success"


async def test_no_adp_web_access_state_is_icloud_js_short_form(apple: Apple) -> None:
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    await apple.account_login()
    state = (await apple.http.post(f"{SETUP}/requestWebAccessState")).json()
    assert set(state) == {"dsid", "isWebAccessAllowed"} and state["isWebAccessAllowed"] is True


async def test_adp_web_consent_on_the_devices_clock_then_pcs_cookies(apple: Apple) -> None:
    now = [100.0]
    apple.world.consents.clock = lambda: now[0]
    login = await apple.signin("adp-web@sandbox.cloudtap.dev")
    assert login is not None
    response = await apple.account_login()
    assert not [c for c in set_cookies(response) if c.startswith("X-APPLE-WEBAUTH-PCS-")]
    state = (await apple.http.post(f"{SETUP}/requestWebAccessState")).json()
    assert state["isWebAccessAllowed"] is True and state["isICDRSDisabled"] is True
    assert state["isDeviceConsentedForPCS"] is False
    consent = (await apple.http.post(f"{SETUP}/enableDeviceConsentForPCS")).json()
    assert consent["isDeviceConsentNotificationSent"] is True
    early = (await apple.http.post(f"{SETUP}/requestPCS", json={"appName": "photos"})).json()
    assert early["message"] == "Requested the device to upload cookies."
    now[0] += 4.9
    waiting = (await apple.http.post(f"{SETUP}/requestWebAccessState")).json()
    assert waiting["isDeviceConsentedForPCS"] is False
    now[0] += 0.1  # the sandbox's device approves 5 s after the request
    approved = (await apple.http.post(f"{SETUP}/requestWebAccessState")).json()
    assert approved["isDeviceConsentedForPCS"] is True
    pcs = await apple.http.post(f"{SETUP}/requestPCS", json={"appName": "photos"})
    assert pcs.json()["status"] == "success"
    assert {"X-APPLE-WEBAUTH-PCS-Photos", "X-APPLE-WEBAUTH-PCS-Sharing"} <= set(set_cookies(pcs))


async def test_control_host_approves_at_once(apple: Apple) -> None:
    apple.world.consents.approval_delay = 3600.0
    approve = "https://control.sandbox.cloudtap.dev/devices/approve"
    done = await apple.http.post(approve, json={"apple_id": "ADP-web@sandbox.cloudtap.dev"})
    assert done.status_code == 200 and done.json()["approved"] is True
    assert apple.world.consents.consented("adp-web@sandbox.cloudtap.dev")
    other = await apple.http.post(approve, json={"apple_id": "no2fa@sandbox.cloudtap.dev"})
    assert other.status_code == 409
    unknown = await apple.http.post(approve, json={"apple_id": "nobody@example.com"})
    assert unknown.status_code == 404


async def test_photos_off_account(apple: Apple) -> None:
    await apple.signin("photos-off@sandbox.cloudtap.dev")
    body = (await apple.account_login()).json()
    assert body["webservices"]["photos"]["status"] == "inactive"


async def test_terms_update(apple: Apple) -> None:
    await apple.signin("terms@sandbox.cloudtap.dev")
    assert (await apple.account_login()).json()["termsUpdateNeeded"] is True
    terms = (await apple.http.get(f"{SETUP}/getTerms")).json()
    version = terms["iCloudTerms"]["version"]
    done = await apple.http.request(
        "GET", f"{SETUP}/repairDone", json={"acceptedICloudTerms": version}
    )
    assert done.json() == {"success": True}
    assert "termsUpdateNeeded" not in (await apple.account_login()).json()


async def test_one_factor_login(apple: Apple) -> None:
    body = {"appName": "find", "apple_id": "no2fa@sandbox.cloudtap.dev", "password": PASSWORD}
    ok = await apple.http.post(f"{SETUP}/accountLogin", json=body)
    assert ok.status_code == 200 and "X-APPLE-WEBAUTH-TOKEN" in set_cookies(ok)
    wrong = await apple.http.post(f"{SETUP}/accountLogin", json={**body, "password": "x"})
    assert wrong.status_code == 401
    not_find = await apple.http.post(f"{SETUP}/accountLogin", json={**body, "appName": "photos"})
    assert not_find.status_code == 401
    two_factor = {**body, "apple_id": "2fa-device@sandbox.cloudtap.dev"}
    refused = await apple.http.post(f"{SETUP}/accountLogin", json=two_factor)
    assert refused.status_code == 401
    assert "X-APPLE-WEBAUTH-TOKEN" not in set_cookies(refused)
