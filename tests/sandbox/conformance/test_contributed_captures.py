"""Every capture under ``tests/fixtures/captures/`` (``cloudtap capture``'s redacted
files, contributed from real accounts) against the sandbox that replays it.

For each one: the sandbox makes it an account; cloudtap lists exactly its captured
assets; and every captured CloudKit call, sent again to that account, is answered with
every key of the captured reply at every depth, with a compatible JSON type. A capture
of a shape we did not know fails here: then a fix, then a ledger line in
``docs/apple-evidence.md``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from cloudtap.icloud.auth.flow import session_from_state
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.sandbox.photos.replay import REPLAY_DOMAIN, REPLAY_PASSWORD, replay_asset_count
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.conformance.shapes import compare_bodies
from tests.support.sandbox import live_sandbox

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"
FILES = sorted(CAPTURES.glob("capture_*.yml"))
# The calls a replay account answers from the capture itself (the photo library).
REPLAYED_PATHS = ("/records/query", "/zones/list")


def _apple_id(path: Path) -> str:
    return f"replay-{path.stem.replace('_', '-').lower()}@{REPLAY_DOMAIN}"


def _calls(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        i
        for i in document["interactions"]
        if "ckdatabasews" in i["request"]["uri"]
        and urlsplit(i["request"]["uri"]).path.endswith(REPLAYED_PATHS)
        and i["response"]["status"]["code"] == 200
    ]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(
        tmp_path_factory.mktemp("contributed"),
        settings={"CLOUDTAP_SANDBOX_CAPTURES": str(CAPTURES)},
    ) as running:
        yield running


def test_there_is_a_capture_to_check() -> None:
    assert [p.name for p in FILES if p.name == "capture_rich.yml"]


async def _login(transport: TransportOptions, apple_id: str) -> JSONDict:
    outcome = await ICloudConnector(transport).login(Credentials(apple_id, REPLAY_PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state, outcome.error
    return outcome.session_state


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cloudtap_lists_every_captured_asset(sandbox: RunningSandbox, path: Path) -> None:
    transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))

    async def listed() -> list[JSONDict]:
        state = await _login(transport, _apple_id(path))
        stream = ICloudConnector(transport).fetch_items(state, "icpl.photos", Filters())
        return [i async for i in stream]

    items = asyncio.run(listed())
    assert len(items) == replay_asset_count(path) > 0
    assert len({i["id"] for i in items}) == len(items)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_captured_reply_shape_is_the_sandboxs(sandbox: RunningSandbox, path: Path) -> None:
    transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    calls = _calls(path)
    assert calls

    async def answers() -> list[Any]:
        state = await _login(transport, _apple_id(path))
        session = session_from_state(state)
        assert session is not None
        out = []
        async with AppleClient(transport, session) as client:
            base = (client.session.service_url("ckdatabasews") or "").rstrip("/")
            for call in calls:
                uri = urlsplit(call["request"]["uri"])
                body = json.loads(call["request"]["body"] or "{}")
                reply = await client.service("POST", base + uri.path, json=body)
                out.append(reply.json())
        return out

    differences = []
    checked = 0
    for call, ours in zip(calls, asyncio.run(answers()), strict=True):
        captured = json.loads(call["response"]["body"]["string"])
        count, found = compare_bodies(captured, ours)
        checked += count
        label = urlsplit(call["request"]["uri"]).path
        differences += [f"{label}: {d}" for d in found]
    assert checked > 100
    assert differences == [], "\n".join(differences)
