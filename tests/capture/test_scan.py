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
