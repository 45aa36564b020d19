"""The sandbox's scenario accounts: one Apple ID per behaviour worth testing.

Like Plaid's ``user_good``, every account has a memorable Apple ID under
``sandbox.cloudtap.dev``, the password ``sandbox-password`` and, where a second factor is
asked for, the code ``123456``. DSIDs and library seeds derive from the sandbox seed, so
the same seed always yields the same accounts and data.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from cloudtap.sandbox.accounts.model import (
    ContentSpec,
    FaultSpec,
    GeneratedLibrary,
    SandboxAccount,
    TrustedPhone,
    TwoSVDevice,
)

DOMAIN = "sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
CODE = "123456"

_PHONE = TrustedPhone(
    id=1,
    number_with_dial_code="+1 (•••) •••-••81",
    obfuscated_number="(•••) •••-••81",
    last_two_digits="81",
)
_SECOND_PHONE = TrustedPhone(
    id=2,
    number_with_dial_code="+44 ••••• ••••27",
    obfuscated_number="••••• ••••27",
    last_two_digits="27",
)
_TWOSV_DEVICES = (
    TwoSVDevice(device_id="1", device_type="SMS", phone_number="*******03"),
    TwoSVDevice(device_id="2", device_type="SMS", phone_number="*******81", area_code="+1"),
    TwoSVDevice(device_id="3", device_type="IOS", phone_number="", device_name="Sandbox iPhone"),
)

# name, scenario, first name, model overrides
_SCENARIOS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("no2fa", "no-2fa", "Nora", {"photos": ("lib", 40, 0)}),
    ("s2kfo", "no-2fa-s2k-fo", "Felix", {"srp_protocol": "s2k_fo", "photos": ("lib", 12, 0)}),
    ("shared", "shared-library", "Shari", {"photos": ("lib", 30, 12)}),
    # One Shared Library of two accounts, each seeing it where its role puts it.
    (
        "shared-owner",
        "shared-library-owner",
        "Owen",
        {"photos": ("lib", 9, 8), "shared_library": ("owner", "shared-owner")},
    ),
    (
        "shared-participant",
        "shared-library-participant",
        "Pia",
        {"photos": ("lib", 5, 8), "shared_library": ("participant", "shared-owner")},
    ),
    (
        "2fa-device",
        "2fa-trusted-device",
        "Devi",
        {
            "auth": "hsa2-device",
            "code": CODE,
            "trusted_phones": (_PHONE,),
            "photos": ("lib", 10, 0),
        },
    ),
    (
        "2fa-sms",
        "2fa-sms",
        "Sam",
        {
            "auth": "hsa2-sms",
            "code": CODE,
            "trusted_phones": (_PHONE, _SECOND_PHONE),
            "photos": ("lib", 10, 0),
        },
    ),
    # Trust that ends 60 s after a 2FA login: a session's whole life in a minute.
    (
        "trust-60s",
        "trust-ends-after-60s",
        "Tristan",
        {
            "auth": "hsa2-device",
            "code": CODE,
            "trusted_phones": (_PHONE,),
            "trust_lifetime": 60.0,
            "photos": ("lib", 6, 0),
            "content": dict(devices=1, contacts=10, events=10, notes=5, calls=12, history=10),
        },
    ),
    (
        "password-changed",
        "password-changed-after-first-session",
        "Paxton",
        {"password_changes": True, "photos": ("lib", 4, 0)},
    ),
    (
        "2sv",
        "2sv-legacy",
        "Stella",
        {"auth": "2sv", "code": CODE, "twosv_devices": _TWOSV_DEVICES, "photos": ("lib", 10, 0)},
    ),
    (
        "security-key",
        "2fa-security-key",
        "Kim",
        {"auth": "security-key", "code": CODE, "trusted_phones": (_PHONE,)},
    ),
    ("repair", "repair-required", "Ray", {"repair_required": True, "photos": ("lib", 5, 0)}),
    ("locked", "locked", "Lock", {"locked": True}),
    ("throttled", "throttled", "Thea", {"throttled": True}),
    ("adp", "advanced-data-protection", "Ada", {"adp": True, "photos": ("lib", 5, 0)}),
    (
        "adp-web",
        "advanced-data-protection-web-access",
        "Adele",
        {"adp": True, "adp_web_access": True, "photos": ("lib", 7, 0)},
    ),
    (
        "access-denied-once",
        "access-denied-throttling",
        "Denise",
        {"access_denied_first": 2, "photos": ("lib", 6, 0)},
    ),
    ("china", "china-mainland", "Chen", {"china": True, "country": "CHN", "photos": ("lib", 8, 0)}),
    ("photos-off", "icloud-photos-off", "Otto", {"photos_enabled": False}),
    ("terms", "terms-update", "Terry", {"terms_update": True, "photos": ("lib", 5, 0)}),
    ("photos-10k", "large-library-10k", "Tina", {"photos": ("lib", 10_000, 0)}),
    ("photos-100k", "large-library-100k", "Hugo", {"photos": ("lib", 100_000, 0)}),
    # A million assets, built page by page on demand (issue 23's listing-1m).
    ("photos-1m", "large-library-1m", "Milo", {"photos": ("lib", 1_000_000, 0)}),
    (
        "rich",
        "rich-content",
        "Richie",
        {
            "photos": ("lib", 60, 6, "rich"),
            "content": dict(
                devices=6,
                family_members=3,
                contacts=300,
                events=2_000,
                notes=200,
                calls=1_000,
                history=2_000,
                reminders="rich",
                drive="rich",
            ),
        },
    ),
    ("contacts-10k", "large-contacts-10k", "Connie", {"content": dict(contacts=10_000)}),
    ("events-10k", "large-calendar-10k", "Eve", {"content": dict(events=10_000)}),
    ("notes-5k", "large-notes-5k", "Noel", {"content": dict(notes=5_000)}),
    ("drive-100k", "large-drive-100k", "Dora", {"content": dict(drive="100k")}),
    ("calls-20k", "large-calls-20k", "Cal", {"content": dict(calls=20_000, devices=2)}),
    ("history-50k", "large-history-50k", "Hester", {"content": dict(history=50_000)}),
    # Lists upgraded since iOS 13: CloudKit has them, legacy rd/startup only placeholders.
    ("reminders-upgraded", "reminders-upgraded", "Remy", {"content": dict(reminders="upgraded")}),
    (
        "callkit-uninitialised",
        "callkit-uninitialised",
        "Una",
        {"content": dict(contacts=20, calls=0, callkit="uninitialised")},
    ),
    (
        "callkit-sync-off",
        "callkit-sync-disabled",
        "Sid",
        {"content": dict(contacts=20, calls=50, callkit="sync-disabled")},
    ),
    # Too few calls for the device to ever sync them (the seed's troubleshooting fact).
    ("calls-few", "callkit-too-few-calls", "Fern", {"content": dict(contacts=5, calls=2)}),
    # How real accounts fail (issue 19): error envelopes, paging, lockouts, pending terms.
    (
        "error-envelope",
        "service-error-envelope",
        "Erin",
        {"error_envelope": True, "content": dict(contacts=20, events=40)},
    ),
    (
        "contacts-5k-paged",
        "contacts-5k-ignores-paging",
        "Paige",
        {"contacts_ignore_paging": True, "content": dict(contacts=5_000)},
    ),
    (
        "lockout",
        "signin-lockout-doubling",
        "Lou",
        {"signin_lockout": True, "photos": ("lib", 5, 0)},
    ),
    ("terms-503", "terms-pending-signin-503", "Tess", {"terms_signin_503": True}),
    # Fault knobs (cloudtap.sandbox.faults), per account.
    (
        "slow",
        "slow-network",
        "Sloane",
        {
            "photos": ("lib", 20, 0),
            "content": dict(devices=2, contacts=50),
            "faults": FaultSpec(latency_ms=400, bandwidth_bps=200_000),
        },
    ),
    (
        "busy",
        "throttled-after-30-a-minute",
        "Bea",
        {
            "photos": ("lib", 20, 0),
            "content": dict(contacts=20),
            "faults": FaultSpec(throttle_per_minute=30),
        },
    ),
    (
        "flaky",
        "flaky-downloads",
        "Flo",
        {
            "photos": ("lib", 20, 0),
            "content": dict(contacts=50, notes=20),
            # Downloads drop every 64 KB (a Range resume makes progress), download URLs
            # last two minutes and every 10th JSON answer arrives cut short.
            "faults": FaultSpec(
                reset_after_bytes=64_000, download_url_ttl=120, malformed_json_every=10
            ),
        },
    ),
]


def _number(seed: int, name: str, purpose: str, digits: int) -> int:
    digest = hashlib.sha256(f"cloudtap-sandbox:{seed}:{name}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (9 * 10 ** (digits - 1)) + 10 ** (digits - 1)


def scenario_accounts(seed: int = 1) -> list[SandboxAccount]:
    """Every scenario account for ``seed`` (cheap: libraries are generated lazily)."""
    accounts = []
    for name, scenario, first_name, overrides in _SCENARIOS:
        fields = dict(overrides)
        photos = fields.pop("photos", None)
        content = fields.pop("content", None)
        shared_library = fields.pop("shared_library", None)
        account = SandboxAccount(
            apple_id=f"{name}@{DOMAIN}",
            password=PASSWORD,
            scenario=scenario,
            dsid=str(_number(seed, name, "dsid", 11)),
            first_name=first_name,
            last_name="Sandbox",
        )
        if photos is not None:
            _, count, shared, *plan = photos
            fields["photos"] = GeneratedLibrary(
                count=count,
                seed=_number(seed, name, "photos", 9),
                shared_count=shared,
                album_plan=plan[0] if plan else "basic",
            )
            if shared_library is not None:
                role, owner = shared_library
                fields["photos"] = replace(
                    fields["photos"],
                    shared_role=role,
                    shared_seed=_number(seed, owner, "shared-library", 9),
                    shared_owner_dsid=str(_number(seed, owner, "dsid", 11)),
                )
        if content is not None:
            fields["content"] = ContentSpec(seed=_number(seed, name, "content", 9), **content)
        accounts.append(replace(account, **fields))
    return accounts


def scenario_account(apple_id_or_name: str, seed: int = 1) -> SandboxAccount:
    """Look one up by Apple ID or by its short name (``"no2fa"``)."""
    wanted = apple_id_or_name.lower()
    if "@" not in wanted:
        wanted = f"{wanted}@{DOMAIN}"
    for account in scenario_accounts(seed):
        if account.apple_id == wanted:
            return account
    raise KeyError(apple_id_or_name)
