"""Apple's replies are parsed once, however many checks look at them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import httpx
import orjson
import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.replies import (
    json_body,
    raise_for_common,
    require_json_object,
    take_json_body,
)


def _reply(status: int, body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


def test_a_body_is_parsed_once_for_every_check(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_loads, real_orjson_loads = json.loads, orjson.loads

    def counting(parse: Callable[..., object]) -> Callable[..., object]:
        def loads(*args: object, **kwargs: object) -> object:
            calls.append(1)
            return parse(*args, **kwargs)

        return loads

    # Whichever parser reads it (orjson first, the stdlib for other charsets): once.
    monkeypatch.setattr(json, "loads", counting(real_loads))
    monkeypatch.setattr(orjson, "loads", counting(real_orjson_loads))
    response = _reply(200, b'{"records": [{"recordName": "a"}]}')
    raise_for_common(response)
    body = require_json_object(response, "records/query")
    assert json_body(response) is body
    assert body == {"records": [{"recordName": "a"}]}
    assert len(calls) == 1


@pytest.mark.parametrize("raw", [b"", b"<html>", b"\xff\xfe{", b'"just a string"'])
def test_no_json_object_is_a_typed_error(raw: bytes) -> None:
    response = _reply(200, raw)
    assert json_body(response) in (None, "just a string")
    with pytest.raises(errors.AppleUnavailable):
        require_json_object(response, "records/query")


def test_throttling_still_raises_with_retry_after() -> None:
    with pytest.raises(errors.RateLimited) as raised:
        raise_for_common(_reply(503, b"{}", **{"Retry-After": "7"}))
    assert raised.value.info == {"retry_after_seconds": 7}


def test_the_last_reader_takes_the_body_and_the_reply_keeps_none_of_it() -> None:
    # A reply lives until the garbage collector finds its cycle with its stream: a
    # parsed page kept with it lived as long (bench ``soak``).
    reply = _reply(200, b'{"records": [{"recordName": "a"}]}')
    checked = json_body(reply)  # an earlier check parsed it: kept for the next reader
    body = take_json_body(reply)
    assert body is checked and body == {"records": [{"recordName": "a"}]}
    del checked
    assert sys.getrefcount(body) == 2  # ``body`` and getrefcount's argument: no cache
    assert json_body(reply) == body and json_body(reply) is not body  # parsed anew


def test_a_body_not_yet_parsed_is_taken_without_being_kept() -> None:
    reply = _reply(200, b"[1, 2]")
    body = take_json_body(reply)
    assert body == [1, 2] and sys.getrefcount(body) == 2
