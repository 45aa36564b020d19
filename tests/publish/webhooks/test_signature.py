from __future__ import annotations

import base64
import hashlib
import hmac

from cloudtap.publish.webhooks.signature import sign, verify


def test_signature_matches_the_documented_formula() -> None:
    header = sign("s3cret", b'{"id":"e1"}', timestamp=1700000000)
    t, s = header.split(",", 1)
    assert t == "t=1700000000"
    expected = hmac.new(b"s3cret", b'1700000000.{"id":"e1"}', hashlib.sha256).digest()
    assert s == "s=" + base64.b64encode(expected).decode()


def test_verify_accepts_fresh_and_rejects_tampered_stale_or_garbled() -> None:
    body = b'{"id":"e1"}'
    header = sign("k", body, timestamp=1000)
    assert verify("k", body, header, now=1000 + 599)
    assert not verify("k", body + b" ", header, now=1000)
    assert not verify("other", body, header, now=1000)
    assert not verify("k", body, header, now=1000 + 601)
    assert not verify("k", body, "garbage", now=1000)
    assert not verify("k", body, "t=x,s=y", now=1000)
