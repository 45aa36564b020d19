"""Typed failures of the iCloud client, each with the stable code the API reports.

Sessions and tasks carry these codes in their ``error`` field, so they are part of the
public contract: never rename one.
"""

from __future__ import annotations

from typing import Any


class ICloudError(Exception):
    code = "icloud-error"

    def __init__(self, message: str = "", info: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.code)
        self.info = info


class CodeRequired(ICloudError):
    code = "code-required"


class ChoiceRequired(ICloudError):
    code = "choice-required"


class CodeInvalid(ICloudError):
    code = "code-invalid"


class ChoiceInvalid(ICloudError):
    code = "choice-invalid"


class InvalidCredentials(ICloudError):
    code = "invalid-credentials"


class AccountLocked(ICloudError):
    code = "account-locked"


class RateLimited(ICloudError):
    code = "rate-limited"


class AccessDenied(RateLimited):
    """CloudKit's ``ACCESS_DENIED``, whose cause is not known yet. Apple sends it for
    temporary throttling (docker-icloudpd #63, #250, #652) as well as for ADP; until the
    account's web-access state says ADP, it counts as throttling."""


class AdpEnabled(ICloudError):
    """Advanced Data Protection is on, or 'Access iCloud Data on the Web' is off."""

    code = "adp-enabled"


class ConsentTimeout(ICloudError):
    """ADP with web access on: nobody approved the web-access request on a trusted
    device in time (or the devices never handed over the PCS keys)."""

    code = "consent-timeout"


class MfaUnsupported(ICloudError):
    """The account only offers security keys, which cannot be driven over the API."""

    code = "mfa-unsupported"


class TermsUpdateRequired(ICloudError):
    code = "terms-update-required"


class SessionExpired(ICloudError):
    code = "session-expired"


class LoginExpired(ICloudError):
    """A 2FA/2SV login in progress timed out before the code arrived."""

    code = "login-expired"


class ServiceDisabled(ICloudError):
    """A service (e.g. iCloud Photos) is switched off for the account."""

    code = "service-disabled"


class IcplDisabled(ServiceDisabled):
    code = "icpl-disabled"


class CallkitUninitialised(ServiceDisabled):
    code = "callkit-uninitialised"


class CallkitSyncDisabled(ServiceDisabled):
    code = "callkit-sync-disabled"


class UnsupportedFile(ICloudError):
    """A file id of a kind cloudtap cannot download (yet), e.g. note attachments."""

    code = "unsupported-type"


class NotFound(ICloudError):
    code = "not-found"


class AppleUnavailable(ICloudError):
    """Apple answered with an unexpected server error or unparseable body."""

    code = "apple-unavailable"


class ServiceErrorReply(ICloudError):
    """A service host answered with Apple's error envelope (``{"error": 1, "reason": …}``),
    even with HTTP 200: the data was not sent, so nothing may be published as if it were."""

    code = "apple-service-error"


class PhotosIndexing(ICloudError):
    """iCloud is still indexing the photo library; try again later."""

    code = "icpl-indexing"
