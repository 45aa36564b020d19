"""The sandbox answers the captured Photos calls like Apple did: same statuses, same keys.

Every CloudKit request in ``listing_*.yml`` is replayed (same path, same body) against
a generated account; values differ, the shape must not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.photos.container import shared_zone_name
from cloudtap.sandbox.photos.replay import load_capture
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import account, client_for

CAPTURED_SHARED_ZONE = "SharedSync-00000000-1111-2222-3333-444444444444"
SEED = 11


def cassette(path: Path) -> list[dict[str, Any]]:
    import yaml

    text = path.read_text().replace("!!python/unicode ", "")
    return list(yaml.load(text, Loader=yaml.CSafeLoader)["interactions"])


def ck_calls(path: Path) -> Iterator[tuple[str, str, int, Any]]:
    for item in cassette(path):
        url = urlsplit(item["request"]["uri"])
        if not url.netloc.endswith("ckdatabasews.icloud.com"):
            continue
        body = item["response"]["body"]["string"]
        yield (
            url.path,
            item["request"]["body"],
            item["response"]["status"]["code"],
            json.loads(body),
        )


def field_keys(path: Path, record_type: str) -> tuple[set[str], set[str]]:
    """(keys every captured record of this type has, keys any of them has)."""
    every: set[str] | None = None
    union: set[str] = set()
    for zone in load_capture(path):
        records = list(zone.masters.values()) if record_type == "CPLMaster" else zone.assets
        for rec in records:
            keys = set(rec["fields"])
            every = keys if every is None else every & keys
            union |= keys
    return every or set(), union


# The 2023 capture (vendored, distilled): an edited asset's own resJPEGMed* beside its
# resJPEGFull* and resJPEGThumb*, which the 2018 listings lack.
CAPTURE_2023 = (
    Path(__file__).parents[2] / "fixtures/icloudpd/cassettes/download_autodelete_photos_part1.json"
)


def keys_2023(record_type: str) -> set[str]:
    out: set[str] = set()
    for item in json.loads(CAPTURE_2023.read_text())["interactions"]:
        body = item.get("response_body")
        for rec in body.get("records", []) if isinstance(body, dict) else []:
            if rec.get("recordType") == record_type:
                out |= set(rec.get("fields", {}))
    return out


def shape(value: Any) -> Any:
    """Keys only, recursively, for envelopes (not records' field maps)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in ("records", "fields")}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return None


@pytest.mark.parametrize("name", ["listing_photos.yml", "listing_videos.yml", "listing_albums.yml"])
async def test_same_statuses_and_keys_as_apple(captures_dir: Path, name: str) -> None:
    who = account("fidelity", GeneratedLibrary(count=250, seed=SEED, shared_count=1))
    world = SandboxWorld.with_accounts([who])
    every_listing = sorted(captures_dir.glob("listing_*.yml"))
    compared = 0
    async with client_for(world, who) as c:
        for path, body, status, apple in ck_calls(captures_dir / name):
            request = (body or "{}").replace(CAPTURED_SHARED_ZONE, shared_zone_name(SEED))
            reply = await c.post(path, content=request, headers={"Content-Type": "text/plain"})
            assert reply.status_code == status, (path, reply.text)
            ours = reply.json()
            if path.endswith("/records/modify"):
                continue  # Apple's captured reply is an empty object
            if path.endswith("/zones/list"):
                # Deliberate additions: each zone's syncToken (pyicloud reads it) and
                # deleted (pyicloud's newer zones fixture), see docs/apple-evidence.md.
                for zone in ours["zones"]:
                    assert zone.pop("syncToken")
                    assert zone.pop("deleted") is False
            assert shape(ours) == shape(apple), path
            compared += 1
            for rec in ours.get("records", []):
                captured = [
                    r for r in apple.get("records", []) if r["recordType"] == rec["recordType"]
                ]
                assert captured, f"{path}: Apple sent no {rec['recordType']} here"
                assert set(rec) == set(captured[0]), rec["recordType"]
                if rec["recordType"] in ("CPLMaster", "CPLAsset"):
                    every: set[str] = set()
                    union: set[str] = set()
                    for listing in every_listing:
                        e, u = field_keys(listing, rec["recordType"])
                        every, union = (e if not every else every & e), union | u
                    union |= keys_2023(rec["recordType"]) | {"isDeleted"}
                    assert every <= set(rec["fields"]) <= union, rec["recordType"]
                else:
                    assert set(rec["fields"]) <= set().union(*(r["fields"] for r in captured))
    assert compared >= 3
