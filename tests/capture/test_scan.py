"""The scan refuses a capture with anything secret-looking left, and nothing is written.

A planted secret sits where redaction keeps values on purpose (an error ``reason``, an
unknown header): only the scan stands between it and the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudtap.capture.cassette import write_capture
from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.scan import UnsafeCapture
from cloudtap.icloud.recorder import RecordedExchange

PLANTED = "Zk9xR2tVb3dBc1BqN2RmTXhLcVl0WmhYbUw4cA3v9Q"


def _exchange(
    reply: dict[str, object], headers: list[tuple[str, str]] | None = None
) -> RecordedExchange:
    body = json.dumps(reply).encode()
    return RecordedExchange(
        method="POST",
        url="https://p61-ckdatabasews.icloud.com/database/1/com.apple.photos.cloud/production/private/records/query?clientBuildNumber=2534Project66&dsid=12345678901",
        request_headers=[("Cookie", 'X-APPLE-WEBAUTH-TOKEN="v=2:t=AAAAsecret"')],
        request_body=b'{"zoneID":{"zoneName":"PrimarySync"}}',
        status=200,
        reason="OK",
        response_headers=[("Content-Type", "application/json"), *(headers or [])],
        response_body=body,
        body_size=len(body),
    )


def test_a_clean_reply_is_written(tmp_path: Path) -> None:
    path = tmp_path / "capture_clean.yml"
    written = write_capture([_exchange({"reason": "not found", "records": []})], path)
    assert path.exists() and written.interactions == 1
    assert "12345678901" not in path.read_text() and "AAAAsecret" not in path.read_text()


@pytest.mark.parametrize(
    ("reply", "headers"),
    [
        # A token in a field kept verbatim (an error's reason).
        ({"serverErrorCode": "BAD_REQUEST", "reason": f"retry with {PLANTED}"}, None),
        # A JSON web token where only an enumeration is expected.
        ({"reason": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"}, None),
        # An e-mail address in a kept field.
        ({"reason": "owner is jane.doe@gmail.com"}, None),
        # A token in a header whose value is kept as protocol.
        ({"records": []}, [("Server", f"AppleHttpServer/{PLANTED}")]),
    ],
    ids=["token-in-reason", "jwt", "email", "kept-header"],
)
def test_a_planted_secret_is_caught_and_nothing_is_written(
    tmp_path: Path, reply: dict[str, object], headers: list[tuple[str, str]] | None
) -> None:
    path = tmp_path / "capture_planted.yml"
    with pytest.raises(UnsafeCapture) as refused:
        write_capture([_exchange(reply, headers)], path, Pseudonyms())
    assert refused.value.findings
    assert PLANTED not in str(refused.value)  # the message never repeats the secret
    assert list(tmp_path.iterdir()) == []


def test_a_chance_collision_is_drawn_again_and_a_real_leak_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A random pseudonym or date shift can equal another original by chance (a full
    run met one): without pseudonyms given, the capture is redacted again with a fresh
    draw; a planted secret is found in every draw and nothing is written."""
    from cloudtap.capture import cassette
    from cloudtap.capture.scan import Finding

    draws: list[Pseudonyms] = []
    real_check = cassette.check

    def unlucky_first_draw(interactions: list[dict[str, object]], names: Pseudonyms) -> None:
        draws.append(names)
        if len(draws) == 1:
            raise UnsafeCapture([Finding("response body", "an original value", "ab******")])
        real_check(interactions, names)

    monkeypatch.setattr(cassette, "check", unlucky_first_draw)
    path = tmp_path / "capture_redrawn.yml"
    written = write_capture([_exchange({"reason": "not found", "records": []})], path)
    assert path.exists() and written.interactions == 1
    assert len(draws) == 2 and draws[0] is not draws[1]
    assert draws[0].shift_days != draws[1].shift_days or draws[0].key != draws[1].key

    monkeypatch.setattr(cassette, "check", real_check)
    leaked = tmp_path / "leak"
    leaked.mkdir()
    with pytest.raises(UnsafeCapture):
        write_capture([_exchange({"reason": f"retry with {PLANTED}"})], leaked / "capture.yml")
    assert list(leaked.iterdir()) == []
