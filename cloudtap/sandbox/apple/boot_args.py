"""The 2FA context page (``GET /appleauth/auth``): boot_args HTML or its JSON form.

Where the trusted phone list sits matters to clients: pyicloud's HTML parser reads it
only from ``twoSV.bridgeInitiateData.phoneNumberVerification``; icloudpd 1.32.3 reads
``twoSV.phoneNumberVerification`` first. We never advertise the bridge *route*
(``auth/bridge/step``: an APNs websocket that ignores proxies), so pyicloud falls back to
the trusted-device code, or to SMS when the account has no trusted device (then the
phones are placed where its parser looks).
"""

from __future__ import annotations

import html
import json
from typing import Any

from cloudtap.sandbox.accounts.model import SandboxAccount, TrustedPhone

SECURITY_CODE = {
    "length": 6,
    "tooManyCodesSent": False,
    "tooManyCodesValidated": False,
    "securityCodeLocked": False,
    "securityCodeCooldown": False,
}


def phone_json(phone: TrustedPhone) -> dict[str, Any]:
    return {
        "numberWithDialCode": phone.number_with_dial_code,
        "pushMode": phone.push_mode,
        "obfuscatedNumber": phone.obfuscated_number,
        "lastTwoDigits": phone.last_two_digits,
        "id": phone.id,
    }


def phone_number_verification(account: SandboxAccount) -> dict[str, Any]:
    phones = [phone_json(p) for p in account.trusted_phones]
    body: dict[str, Any] = {
        "trustedPhoneNumbers": phones,
        "securityCode": dict(SECURITY_CODE),
        "authenticationType": "hsa2",
        "recoveryUrl": "https://iforgot.apple.com/phone/add",
        "cantUsePhoneNumberUrl": "https://iforgot.apple.com/iforgot/phone/add?context=cantuse",
        "recoveryWebUrl": "https://iforgot.apple.com/password/verify/appleid",
        "repairPhoneNumberUrl": "https://gsa.apple.com/appleid/account/manage/repair/verify/phone",
        "repairPhoneNumberWebUrl": "https://appleid.apple.com/widget/account/repair?#!repair",
        "aboutTwoFactorAuthenticationUrl": "https://support.apple.com/kb/HT204921",
        "autoVerified": False,
        "showAutoVerificationUI": False,
        "supportsCustodianRecovery": False,
        "hideSendSMSCodeOption": False,
        "supervisedChangePasswordFlow": False,
        "supportsRecovery": True,
        "hsa2Account": True,
        "restrictedAccount": False,
        "managedAccount": False,
    }
    if phones:
        body["trustedPhoneNumber"] = phones[0]
    return body


def has_trusted_devices(account: SandboxAccount) -> bool:
    return account.auth in ("hsa2-device", "security-key")


def security_key_challenge(account: SandboxAccount) -> dict[str, Any]:
    return {
        "fsaChallenge": {
            "challenge": "Y2xvdWR0YXAtc2FuZGJveC1jaGFsbGVuZ2U",
            "keyHandles": ["Y2xvdWR0YXAtc2FuZGJveC1rZXk"],
            "rpId": "apple.com",
        },
        "keyNames": ["cloudtap sandbox key"],
    }


_STATIC = "https://appleid.cdn-apple.com/appleauth/static"
_TAG = (
    "<hsa2 class='auth-v1' suppress-iforgot=\"{suppressIforgot}\" "
    'skip-trust-browser-step="{skipTrustBrowserStep}"></hsa2>'
)


def boot_args(account: SandboxAccount) -> dict[str, Any]:
    verification = phone_number_verification(account)
    devices = has_trusted_devices(account)
    two_sv: dict[str, Any] = {
        "supportedPushModes": ["voice", "sms"],
        "phoneNumberVerification": verification,
        "authFactors": ["robocall", "sms", "generatedcode"],
        "source_returnurl": "https://idmsa.apple.com/",
        "sourceAppId": 1159,
    }
    if not devices:
        # SMS-only: expose the phones where pyicloud's HTML parser looks, but keep the
        # route on verify/phone so the bridge (websocket) is never attempted.
        two_sv["bridgeInitiateData"] = {"phoneNumberVerification": verification}
    if account.auth == "security-key":
        two_sv["authFactors"] = ["securitykey"]
        two_sv.update(security_key_challenge(account))
    route = "auth/verify/trusteddevice" if devices else "auth/verify/phone"
    if account.auth == "security-key":
        route = "auth/verify/securitykey"
    return {
        "direct": {
            # Apple's widget assets and template tag, as captured (icloudpd
            # tests/vcr_cassettes/2fa_flow_*.yml); no client fetches or parses them.
            "scriptSk7Url": f"{_STATIC}/module-assets/home-45556079a0eee434f5ce.js",
            "scriptUrl": f"{_STATIC}/jsj/1720813638/widget/auth/hsa2.js",
            "module": "widget/auth/components/hsa2/hsa2",
            "isReact": True,
            "authUserType": "hsa2",
            "hasTrustedDevices": devices,
            "twoSV": two_sv,
            "referrerQuery": "",
            "tag": _TAG,
            "urlContext": "/appleauth",
            "authType": "hsa2",
            "authInitialRoute": route,
            "appleIDUrl": "https://appleid.apple.com",
        },
        "additional": {"canRoute2sv": True},
    }


def boot_args_html(account: SandboxAccount) -> str:
    # JSON inside <script> must not be able to close the tag.
    payload = json.dumps(boot_args(account), ensure_ascii=False).replace("</", "<\\/")
    title = html.escape("Apple ID")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{title}</title></head><body>\n"
        f'<script type="application/json" class="boot_args">{payload}</script>\n'
        "</body></html>\n"
    )


def auth_options_json(account: SandboxAccount) -> dict[str, Any]:
    """The JSON form: the phone verification block at the top level (plus WebAuthn)."""
    body = phone_number_verification(account)
    if account.auth == "security-key":
        body.update(security_key_challenge(account))
    return body
