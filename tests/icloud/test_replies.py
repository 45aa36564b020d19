"""Apple's replies are parsed once, however many checks look at them."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import orjson
import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.replies import json_body, raise_for_common, require_json_object


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
