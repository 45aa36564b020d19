"""Web access to an Advanced Data Protection account: the owner's consent, then PCS.

With ADP on and "Access iCloud Data on the Web" on, the iCloud web app (foxt/icloud.js
issue #4, pyicloud 2026.10.1 ``_request_pcs_for_service``):

1. asks ``requestWebAccessState``: ``isICDRSDisabled`` true means ADP is on; without it
   nothing more is needed. ``isWebAccessAllowed`` false means web access is off.
2. if ``isDeviceConsentedForPCS`` is false, asks ``enableDeviceConsentForPCS``: Apple
   notifies the owner's trusted devices (``isDeviceConsentNotificationSent``), then
   waits, re-asking the state every 5 s, until the owner approves;
3. asks ``requestPCS`` per app until ``status`` is ``"success"``, which sets the
   ``X-APPLE-WEBAUTH-PCS-*`` cookies CloudKit then needs. Two messages mean "not yet".

Every wait here is bounded (a login runs at most ``jobs.login.LOGIN_RUN_SECONDS``) and an
unknown answer is a typed error, never a loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import json_body, raise_for_common

log = logging.getLogger(__name__)

# The apps whose PCS cookies cloudtap's CloudKit reads need (pyicloud's app names).
PCS_APPS = ("photos", "notes3", "iclouddrive")
# Both public clients re-ask every 5 s; pyicloud 10 times for PCS, icloud.js forever for
# consent. An owner needs time to find their phone: wait up to 3 minutes for consent, so
# that with the PCS tries (50 s) and the sign-in the login stays within its run limit
# (``jobs.login.LOGIN_RUN_SECONDS``, 300 s).
POLL_SECONDS = 5.0
CONSENT_WAIT_SECONDS = 180.0
PCS_ATTEMPTS = 10
_NOT_YET = ("Requested the device to upload cookies.", "Cookies not available yet on server.")

WaitNotice = Callable[[str, dict[str, Any]], None]
# Set by whoever runs a login (the job layer) to hear, while the login still runs, that it
# waits for the account holder: ``notice("device-consent", info)``.
login_waiting: ContextVar[WaitNotice | None] = ContextVar("login_waiting", default=None)

CONSENT_MESSAGE = (
    "Advanced Data Protection is on: approve the request to access iCloud data on the web "
    "on one of your trusted Apple devices"
)


async def open_web_access(client: AppleClient) -> None:
    """Make the account's data readable on the web, waiting for the owner if needed."""
    state = await web_access_state(client)
    if state.get("isWebAccessAllowed") is False:
        raise errors.AdpEnabled(
            "Web access to iCloud data is off (Advanced Data Protection); "
            "the account holder must turn on 'Access iCloud Data on the Web'"
        )
    if not state.get("isICDRSDisabled"):
        return  # no ADP: the PCS cookies came with the web session
    if not state.get("isDeviceConsentedForPCS", True):
        await _ask_consent(client)
        await _wait_for_consent(client)
    for app in PCS_APPS:
        await _request_pcs(client, app)


async def web_access_state(client: AppleClient) -> dict[str, Any]:
    response = await client.setup("POST", "/requestWebAccessState")
    raise_for_common(response)
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise errors.AppleUnavailable(f"requestWebAccessState answered HTTP {response.status_code}")
    return body


async def _ask_consent(client: AppleClient) -> None:
    response = await client.setup("POST", "/enableDeviceConsentForPCS")
    raise_for_common(response)
    body = json_body(response)
    if not isinstance(body, dict) or body.get("isDeviceConsentNotificationSent") is not True:
        raise errors.AdpEnabled(
            "Apple could not ask the account holder's devices for web access "
            "(Advanced Data Protection)"
        )
    notice = login_waiting.get()
    if notice is not None:
        notice("device-consent", {"message": CONSENT_MESSAGE, "wait_seconds": CONSENT_WAIT_SECONDS})


async def _wait_for_consent(client: AppleClient) -> None:
    deadline = time.monotonic() + CONSENT_WAIT_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        state = await web_access_state(client)
        if state.get("isDeviceConsentedForPCS", True):
            return
    raise errors.ConsentTimeout(
        "Nobody approved web access on a trusted device in time; start a new session "
        "and approve the request on an iPhone, iPad or Mac signed in to this account",
        info={"waited_seconds": CONSENT_WAIT_SECONDS},
    )


async def _request_pcs(client: AppleClient, app: str) -> None:
    for attempt in range(PCS_ATTEMPTS):
        response = await client.setup(
            "POST",
            "/requestPCS",
            json={"appName": app, "derivedFromUserAction": attempt == 0},
        )
        raise_for_common(response)
        body = json_body(response)
        if not isinstance(body, dict) or response.status_code >= 400:
            raise errors.AppleUnavailable(f"requestPCS answered HTTP {response.status_code}")
        if body.get("status") == "success":
            return
        if body.get("message") not in _NOT_YET:
            log.warning("requestPCS for %s: unknown answer %r", app, body.get("message"))
            raise errors.AppleUnavailable("requestPCS gave an answer cloudtap does not know")
        await asyncio.sleep(POLL_SECONDS)
    raise errors.ConsentTimeout(
        "Apple's devices did not hand over the web access keys in time; try again",
        info={"app": app},
    )
