"""A poll's encoded result list is kept once per poll and links: a list superseded by
new results replaces the old one instead of leaving it in memory until evicted."""

from __future__ import annotations

from typing import Any

import pytest

from cloudtap.wire import encoded


def test_a_growing_poll_keeps_one_encoded_list(monkeypatch: pytest.MonkeyPatch) -> None:
    results: list[dict[str, Any]] = []
    # The database's aggregate over the poll's results, here just their count.
    monkeypatch.setattr(encoded, "_fingerprint", lambda db, poll_id: (len(results),))
    before = encoded.cached_bytes()
    for n in range(40):  # a processing poll read after each new result
        results.append({"id": f"result-{n}", "pad": "x" * 500})
        got = encoded.encoded_results(None, "a-poll", ("links",), lambda: list(results))  # type: ignore[arg-type]
        assert got.items == n + 1
    last = len(got.data)
    assert encoded.cached_bytes() - before == last  # only the newest list is held
    again = encoded.encoded_results(None, "a-poll", ("links",), lambda: [])  # type: ignore[arg-type]
    assert again is got  # unchanged results: from the cache
