"""Shared Library roles through HTTP with the real iCloud client and the sandbox.

``shared-owner@`` sees the Shared Library's ``SharedSync-`` zone in its private database,
``shared-participant@`` in its shared database (owned by the owner), as the public
reports place them. Each lists its own library plus the one Shared Library, every asset
once; both list the same Shared Library assets (compared with the sandbox world's own).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401
from tests.sandbox.compat.photos_support import world_filenames


def _items(result: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"])


def _listed(live: LiveAPI, name: str) -> list[dict[str, Any]]:
    session = live.active_session(name)
    poll = live.poll(session["id"], {"data_types": ["icpl.photos"]})
    assert poll["errors"]["data"] == [], poll["errors"]
    [result] = poll["results"]["data"]
    return _items(result)


@pytest.mark.parametrize("name", ["shared-owner", "shared-participant"])
def test_each_role_lists_its_library_and_the_shared_one_once(live: LiveAPI, name: str) -> None:
    account = live.sandbox.world.account(apple_id(name))
    assert account is not None
    own, shared = world_filenames(account)
    assert shared, "the scenario has a Shared Library"
    items = _listed(live, name)
    assert len({item["id"] for item in items}) == len(items)
    assert Counter(item["filename"] for item in items) == Counter(own + shared)
