"""Every capture under ``tests/fixtures/captures/`` (``cloudtap capture``'s redacted
files, contributed from real accounts) against the sandbox that replays it.

For each one: the sandbox makes it an account; cloudtap lists exactly its captured
assets; and every captured service call (CloudKit, contacts, calendar, Find My, Drive),
sent again to that account, is answered with
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
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

import pytest
import yaml

from cloudtap.icloud.auth.flow import session_from_state
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.sandbox.capture_replay import PHOTOS_CONTAINER
from cloudtap.sandbox.hosts import parse_service_host
from cloudtap.sandbox.photos.replay import REPLAY_DOMAIN, REPLAY_PASSWORD, replay_asset_count
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.conformance.shapes import compare_bodies
from tests.support.sandbox import live_sandbox

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"
FILES = sorted(CAPTURES.glob("capture_*.yml"))
# The photo library's calls a replay account answers from its rebuilt library; every
# other service call is answered from the capture's own exchange (sandbox.capture_replay).
PHOTO_PATHS = ("/records/query", "/zones/list")


def _apple_id(path: Path) -> str:
    return f"replay-{path.stem.replace('_', '-').lower()}@{REPLAY_DOMAIN}"


def _calls(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        i
        for i in document["interactions"]
        if _replayed(urlsplit(i["request"]["uri"])) and i["response"]["status"]["code"] == 200
    ]


def _replayed(uri: SplitResult) -> bool:
    service = parse_service_host(uri.hostname or "")
    if service == "ckdatabasews" and PHOTOS_CONTAINER in uri.path:
        return uri.path.endswith(PHOTO_PATHS)
    return service is not None


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
            # The replay account's partition, not the captured account's.
            ours = urlsplit(client.session.service_url("ckdatabasews") or "").hostname or ""
            partition = ours.split("-", 1)[0]
            for call in calls:
                uri = urlsplit(call["request"]["uri"])
                host = partition + "-" + (uri.hostname or "").split("-", 1)[1]
                url = urlunsplit(("https", host, uri.path, "", ""))
                body = call["request"]["body"]
                reply = await client.service(
                    call["request"]["method"],
                    url,
                    json=json.loads(body) if body else None,
                    params=dict(parse_qsl(uri.query)),
                )
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
