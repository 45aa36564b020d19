"""The exchange recorder: it records only inside ``recording(...)``, keeps both sides of
an exchange (every Set-Cookie header on its own), and never reads a large body."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cloudtap.icloud.recorder import (
    ExchangeRecorder,
    RecordingLimitReached,
    record_response,
    recording,
)


def _app(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/big":
        return httpx.Response(200, content=b"x" * 2048, headers={"Content-Type": "image/jpeg"})
    return httpx.Response(
        200,
        json={"ok": True},
        headers=[("Set-Cookie", "A=1; Path=/"), ("Set-Cookie", "B=2; Path=/")],
    )


async def _exchange(path: str, recorder: ExchangeRecorder | None) -> bytes:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(_app), event_hooks={"response": [record_response]}
    ) as client:
        if recorder is None:
            return (await client.post(f"https://setup.icloud.com{path}", json={"a": 1})).content
        with recording(recorder):
            return (await client.post(f"https://setup.icloud.com{path}", json={"a": 1})).content


def test_nothing_is_recorded_outside_a_recording() -> None:
    recorder = ExchangeRecorder()
    asyncio.run(_exchange("/small", None))
    assert recorder.exchanges == []


def test_both_sides_are_recorded_with_every_cookie_header() -> None:
    recorder = ExchangeRecorder()
    body = asyncio.run(_exchange("/small", recorder))
    assert body == b'{"ok":true}'  # the client still reads what the recorder read
    (seen,) = recorder.exchanges
    assert (seen.method, seen.status, seen.request_body) == ("POST", 200, b'{"a":1}')
    assert [v for k, v in seen.response_headers if k == "set-cookie"] == [
        "A=1; Path=/",
        "B=2; Path=/",
    ]
    assert seen.response_body == b'{"ok":true}'


def test_a_body_over_the_limit_is_sized_not_read() -> None:
    recorder = ExchangeRecorder(max_body=1024)
    body = asyncio.run(_exchange("/big", recorder))
    assert len(body) == 2048
    (seen,) = recorder.exchanges
    assert seen.response_body is None and seen.body_size == 2048


def test_a_reply_past_the_limit_stops_the_client_unrecorded() -> None:
    recorder = ExchangeRecorder(limit=1)
    asyncio.run(_exchange("/small", recorder))
    with pytest.raises(RecordingLimitReached):
        asyncio.run(_exchange("/small", recorder))
    assert len(recorder.exchanges) == 1
