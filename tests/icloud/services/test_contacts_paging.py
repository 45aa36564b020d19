"""The contacts client where evidence is silent (issue 19.5): a host that caps its reply,
or repeats it whatever the offset, never makes it loop, lose or repeat cards, or publish
a short book as whole. Apple is replaced at ``_get`` (one reply per request); everything
above it is the real code."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.services import contacts

BOOK = [f"C{i:05d}" for i in range(1_000)]
CLIENT = cast(AppleClient, SimpleNamespace(session=SimpleNamespace(service_url=lambda _: "r")))


def _start(carried: int, order: list[str] | None = BOOK) -> contacts.Startup:
    cards = [{"contactId": i} for i in BOOK[:carried]]
    return contacts.Startup(tokens={}, cards=cards, order=order)


def _host(monkeypatch: pytest.MonkeyPatch, cap: int, honours_offset: bool) -> list[dict[str, str]]:
    asked: list[dict[str, str]] = []

    async def reply(client: AppleClient, url: str, params: dict[str, str]) -> dict[str, Any]:
        asked.append(params)
        offset = int(params["offset"]) if honours_offset else 0
        return {"contacts": [{"contactId": i} for i in BOOK[offset : offset + cap]]}

    monkeypatch.setattr(contacts, "_get", reply)
    return asked


async def _ids(start: contacts.Startup) -> list[str]:
    return [str(card["contactId"]) async for card in contacts.cards(CLIENT, start)]


async def test_a_capped_host_is_read_on_from_where_it_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _host(monkeypatch, cap=300, honours_offset=True)
    ids = await _ids(_start(carried=100))
    assert sorted(ids) == BOOK and len(ids) == len(set(ids))
    assert [p["offset"] for p in asked] == ["0", "300", "600", "900"]
    assert {p["limit"] for p in asked} == {"0"}


async def test_a_host_repeating_a_capped_reply_is_an_error_not_a_short_book(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _host(monkeypatch, cap=300, honours_offset=False)
    with pytest.raises(errors.AppleUnavailable) as failed:
        await _ids(_start(carried=100))
    assert failed.value.info == {"expected": 1_000, "missing": 700}
    assert len(asked) == 2  # the second reply brought nothing new: no more asking


async def test_the_whole_book_in_one_reply_is_one_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _host(monkeypatch, cap=10_000, honours_offset=False)
    ids = await _ids(_start(carried=100))
    assert sorted(ids) == BOOK and len(asked) == 1


async def test_without_contacts_order_one_reply_is_all_there_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _host(monkeypatch, cap=300, honours_offset=True)
    ids = await _ids(_start(carried=0, order=None))
    assert ids == BOOK[:300] and len(asked) == 1
