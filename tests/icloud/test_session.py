"""Apple session state: survives the opaque-dict round trip, never shows its secrets."""

from __future__ import annotations

import json

import httpx

from cloudtap.icloud.session import AppleSession


def _session() -> AppleSession:
    session = AppleSession(apple_id="someone@example.com")
    session.absorb(
        httpx.Response(
            200,
            headers={
                "scnt": "scnt-secret",
                "X-Apple-ID-Session-Id": "sid-secret",
                "X-Apple-Session-Token": "token-secret",
                "X-Apple-TwoSV-Trust-Token": "trust-secret",
                "X-Apple-ID-Account-Country": "GBR",
            },
        )
    )
    session.cookies.set("X-APPLE-WEBAUTH-TOKEN", "cookie-secret", domain=".icloud.com", path="/")
    session.webservices = {"ckdatabasews": "https://p01-ckdatabasews.icloud.com:443"}
    session.dsid = "123"
    return session


def test_headers_are_absorbed_and_state_round_trips_through_json() -> None:
    session = _session()
    assert session.account_country == "GBR"
    restored = AppleSession.from_state(json.loads(json.dumps(session.to_state())))
    assert restored.to_state() == session.to_state()
    assert restored.cookies.get("X-APPLE-WEBAUTH-TOKEN", domain=".icloud.com") == "cookie-secret"
    assert restored.idmsa_headers() == {
        "scnt": "scnt-secret",
        "X-Apple-ID-Session-Id": "sid-secret",
    }


def test_repr_redacts_secrets() -> None:
    text = repr(_session())
    for secret in ("scnt-secret", "sid-secret", "token-secret", "trust-secret", "cookie-secret"):
        assert secret not in text
    assert "someone@example.com" in text


def test_malformed_state_is_tolerated() -> None:
    restored = AppleSession.from_state({"apple_id": "a@b.c", "cookies": [{"bad": 1}, "x"]})
    assert restored.apple_id == "a@b.c"
    assert len(restored.cookies.jar) == 0
