"""Session and task error codes in plain words: what happened, and what to do next.

``who`` says whose move it is: the account owner (on their Apple device), the
integrator (in the dashboard or their code), or nobody (wait, or it is a bug).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Explanation:
    summary: str
    next_step: str
    who: str


_CODES: dict[str, Explanation] = {
    "code-required": Explanation(
        "Apple sent a verification code to the account owner's trusted device or phone.",
        "Ask the account owner for the 6-digit code and enter it below.",
        "account owner",
    ),
    "choice-required": Explanation(
        "The account uses two-step verification: Apple needs to know where to send the code.",
        "Pick one of the account owner's trusted devices below; Apple then sends a code there.",
        "account owner",
    ),
    "code-invalid": Explanation(
        "Apple rejected the verification code.",
        "Ask the account owner for the current code (they expire quickly) and enter it again.",
        "account owner",
    ),
    "choice-invalid": Explanation(
        "That device is not one of the account's trusted devices.",
        "Pick one of the listed devices.",
        "integrator",
    ),
    "login-expired": Explanation(
        "The sign-in waiting for a code is more than 10 minutes old.",
        "Start a new session with the password; Apple will send a fresh code.",
        "integrator",
    ),
    "invalid-credentials": Explanation(
        "Apple does not recognise this Apple ID and password.",
        "Check the Apple ID's spelling and ask the account owner for their current password.",
        "account owner",
    ),
    "account-locked": Explanation(
        "Apple locked the account, usually after too many failed sign-ins.",
        "The account owner must unlock it at iforgot.apple.com before trying again.",
        "account owner",
    ),
    "rate-limited": Explanation(
        "Apple is throttling requests for this account.",
        "Wait before retrying (retries make Apple's lockout longer); see retry_after_seconds.",
        "nobody: wait",
    ),
    "adp-enabled": Explanation(
        "Advanced Data Protection is on, or \u201cAccess iCloud Data on the Web\u201d is off.",
        "On their iPhone the account owner turns on Settings \u203a [name] \u203a iCloud \u203a "
        "Access iCloud Data on the Web (or turns Advanced Data Protection off), then you retry.",
        "account owner",
    ),
    "consent-timeout": Explanation(
        "Advanced Data Protection is on: nobody approved web access on a trusted device in time.",
        "Start a new session; when the account owner's iPhone, iPad or Mac asks to allow "
        "access to iCloud data on the web, they approve it (within 3 minutes).",
        "account owner",
    ),
    "mfa-unsupported": Explanation(
        "The account only accepts security keys, which cannot be used through an API.",
        "The account owner must add a trusted phone number to their Apple ID.",
        "account owner",
    ),
    "terms-update-required": Explanation(
        "Apple has new iCloud terms the account owner has not accepted.",
        "The account owner signs in at icloud.com or on a device and accepts them.",
        "account owner",
    ),
    "login-in-progress": Explanation(
        "Another sign-in of the same Apple ID held its lock for over 2 minutes.",
        "Wait for the other sign-in to finish, then try again.",
        "nobody: wait",
    ),
    "session-expired": Explanation(
        "Apple ended the session and it could not be renewed without a new code.",
        "Start a new session; the account owner will be asked for a code again.",
        "integrator",
    ),
    "icpl-disabled": Explanation(
        "iCloud Photos is not turned on for this account.",
        "The account owner turns on Settings \u203a [name] \u203a iCloud \u203a Photos.",
        "account owner",
    ),
    "icpl-indexing": Explanation(
        "iCloud is still indexing the photo library.",
        "Try the poll again later.",
        "nobody: wait",
    ),
    "callkit-uninitialised": Explanation(
        "Call history was never synced to iCloud from this account's devices.",
        "The account owner turns on iCloud for Phone/FaceTime history on their iPhone and "
        "makes a few calls so the device syncs.",
        "account owner",
    ),
    "callkit-sync-disabled": Explanation(
        "Call history sync is switched off on the account owner's devices.",
        "The account owner turns call history sync back on (iCloud settings on the iPhone), "
        "waits for it to sync, then you poll again.",
        "account owner",
    ),
    "service-disabled": Explanation(
        "An iCloud service this data needs is not available for the account.",
        "The account owner checks that the service is turned on in their iCloud settings.",
        "account owner",
    ),
    "not-found": Explanation(
        "The file or record no longer exists (or the id is unknown).",
        "Run a fresh data poll to get current file ids.",
        "integrator",
    ),
    "unsupported-type": Explanation(
        "cloudtap does not know this type, or cannot download this kind of file.",
        "Check the type name against the list of data types.",
        "integrator",
    ),
    "apple-unavailable": Explanation(
        "Apple answered something unexpected.",
        "Try again later.",
        "nobody: wait",
    ),
    "apple-service-error": Explanation(
        "Apple's contacts or calendar service answered with an error instead of the data "
        "(error_info.reason has Apple's words); nothing was published.",
        "Poll again later; if it repeats, the account owner signs in at icloud.com to check "
        "the service works, then you start a new session.",
        "nobody: wait",
    ),
    "storage-unavailable": Explanation(
        "The result store (e.g. the S3 bucket) refused the result.",
        "Check the storage config and run its test.",
        "integrator",
    ),
    "connector-unavailable": Explanation(
        "No sandbox (or iCloud client) was reachable when the job ran.",
        "Check that cloudtap serve (or the sandbox) is running, then retry.",
        "integrator",
    ),
    "worker-lost": Explanation(
        "The worker running this died every time it was tried (killed, out of memory).",
        "Check the workers' logs and memory, then poll again.",
        "integrator",
    ),
    "internal-error": Explanation(
        "A bug in cloudtap; details are in the server log.",
        "Retry; report it if it repeats.",
        "nobody: a bug",
    ),
}


def explain(code: str | None, info: dict[str, Any] | None = None) -> Explanation | None:
    if not code:
        return None
    # A wrong code is reported as ``code-required`` (what ricloud-py re-prompts on); the
    # reason says which it was.
    reason = (info or {}).get("reason")
    if code == "code-required" and reason == "code-invalid":
        code = reason
    found = _CODES.get(code)
    if found is None:
        return Explanation(f"Error \u201c{code}\u201d.", "See the error codes in the README.", "")
    retry = (info or {}).get("retry_after_seconds")
    if code == "rate-limited" and reason == "signin-refused":
        # Apple's sign-in 503 is the same for throttling and for terms awaiting acceptance.
        return Explanation(
            "Apple refused the sign-in (HTTP 503): it is throttling this account, or new "
            "iCloud terms are waiting for the account owner.",
            f"Wait {retry or 'a while'} seconds before retrying (an early retry makes "
            "Apple's lockout longer); meanwhile the account owner signs in at icloud.com "
            "and accepts any new terms.",
            "account owner",
        )
    if code == "rate-limited" and retry:
        return Explanation(found.summary, f"Wait {retry} seconds before retrying.", found.who)
    return found
