"""What each sandbox scenario does, in an integrator's words (see docs/sandbox.md)."""

from __future__ import annotations

_BEHAVIOUR = {
    "no-2fa": "Password only; the session is active straight away.",
    "no-2fa-s2k-fo": "Password only, with Apple's alternative password stretching (s2k_fo).",
    "shared-library": "Password only; photos include a Shared Library.",
    "2fa-trusted-device": "Two-factor: the session fails with code-required; "
    "send the code (a trusted device received it) to finish.",
    "2fa-sms": "Two-factor by SMS to one of two trusted phones: code-required, then the code.",
    "2sv-legacy": "Legacy two-step verification: choice-required (pick a device), "
    "then code-required, then the code.",
    "2fa-security-key": "Only a security key is accepted: fails with mfa-unsupported.",
    "repair-required": "Apple asks for an account repair; cloudtap completes it itself.",
    "locked": "Apple has locked the account: fails with account-locked.",
    "throttled": "Apple refuses sign-in (503): fails with rate-limited and when to retry.",
    "advanced-data-protection": "Advanced Data Protection is on: fails with adp-enabled.",
    "shared-library-owner": "Owner of a Shared Library (with shared-participant): its "
    "SharedSync zone is in the private database.",
    "shared-library-participant": "Participant in shared-owner's Shared Library: the "
    "SharedSync zone is in the shared database, owned by shared-owner.",
    "advanced-data-protection-web-access": "ADP on, web access on: the session waits "
    "(pending, error_info.waiting_for device-consent) until the trusted device approves, "
    "5 s later or at once with `cloudtap sandbox approve`; then active.",
    "access-denied-throttling": "CloudKit answers ACCESS_DENIED to the first two requests, "
    "then data: throttling, waited out (never adp-enabled).",
    "china-mainland": "A China-mainland Apple ID: served from icloud.com.cn, nothing to do.",
    "icloud-photos-off": "iCloud Photos is off: photo tasks fail with icpl-disabled.",
    "terms-update": "New iCloud terms to accept: fails with terms-update-required.",
    "large-library-10k": "10,000 photos.",
    "large-library-100k": "100,000 photos (for paging and memory tests).",
    "rich-content": "Photos, hundreds of contacts, thousands of events, notes, reminders, "
    "calls, Safari history and Find My devices: every data type has data.",
    "large-contacts-10k": "10,000 contacts.",
    "large-calendar-10k": "10,000 calendar events.",
    "large-notes-5k": "5,000 notes.",
    "large-calls-20k": "20,000 call-history records.",
    "large-history-50k": "50,000 Safari history entries.",
    "reminders-upgraded": "Reminder lists upgraded since iOS 13: read over CloudKit; the "
    "legacy rd/startup view shows only Apple's placeholders.",
    "callkit-uninitialised": "Call history never set up: calls fail with callkit-uninitialised.",
    "callkit-sync-disabled": "Call history sync off: calls fail with callkit-sync-disabled.",
    "callkit-too-few-calls": "Too few calls for the device to sync: call history is empty.",
    "service-error-envelope": "Contacts and calendar answer Apple's error envelope: those "
    "tasks fail with apple-service-error (nothing is published).",
    "contacts-5k-ignores-paging": "5,000 contacts behind a host that ignores paging: "
    "every card arrives once.",
    "signin-lockout-doubling": "Sign-in refused (503) for 20 s, doubled on every early "
    "return: fails with rate-limited and when to retry; cloudtap waits it out.",
    "terms-pending-signin-503": "Sign-in refused (503) until the terms are accepted "
    "(cloudtap sandbox accept-terms): fails with rate-limited naming both causes.",
    "slow-network": "Slow Apple: +400 ms per answer, downloads at 200 kB/s.",
    "throttled-after-30-a-minute": "The 31st Apple request within a minute is throttled "
    "(503 with Retry-After).",
    "flaky-downloads": "Downloads drop every 64 KB (resumed), short-lived download URLs, "
    "every 10th JSON answer cut short.",
}


def describe(scenario: str) -> str:
    if scenario.startswith("replay:"):
        return "Replays a captured Apple photo library."
    return _BEHAVIOUR.get(scenario, "See docs/sandbox.md.")
