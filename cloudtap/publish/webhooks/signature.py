"""The ``Ricloud-Signature`` header, as ricloud-py's own webhook listener verifies it.

``t=<unix seconds>,s=<base64(HMAC-SHA256(secret, "<t>.<raw body>"))>`` with standard,
padded base64. Verification compares in constant time before checking the age, so a
forged signature learns nothing from timing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

HEADER = "Ricloud-Signature"
DEFAULT_TOLERANCE_SECONDS = 600


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).digest()
    return f"t={t},s={base64.b64encode(mac).decode()}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    try:
        t_part, s_part = header.split(",", 1)
        if not (t_part.startswith("t=") and s_part.startswith("s=")):
            return False
        timestamp = int(t_part[2:])
    except ValueError:
        return False
    expected = sign(secret, body, timestamp).split(",", 1)[1][2:]
    if not hmac.compare_digest(expected.encode(), s_part[2:].encode()):
        return False
    return (time.time() if now is None else now) - timestamp <= tolerance
