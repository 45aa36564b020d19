"""When Apple says a login's trust ends: the ``Expires`` of its ``X-APPLE-WEBAUTH-HSA-TRUST``
cookie (the cookie naming the trusted browser), if Apple set one.

Apple documents no trust lifetime; where the cookie carries no expiry the caller falls
back on the documented estimate (see ``cloudtap.jobs.session_horizon``).
"""

from __future__ import annotations

from cloudtap.icloud.session import AppleSession

TRUST_COOKIE_PREFIX = "X-APPLE-WEBAUTH-HSA-TRUST"


def trust_expires(session: AppleSession) -> float | None:
    """The latest expiry (Unix seconds) among the session's trust cookies, else None."""
    ends = [
        cookie.expires
        for cookie in session.cookies.jar
        if cookie.name.startswith(TRUST_COOKIE_PREFIX) and cookie.expires
    ]
    return float(max(ends)) if ends else None
