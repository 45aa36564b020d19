"""``photos-1m@``: a million generated assets, each page built on demand and not kept."""

from __future__ import annotations

from typing import Any

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.cloudkit.context import state_of
from cloudtap.sandbox.cloudkit.replies import ReplyCache
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.counts import photo_count
from cloudtap.sandbox.photos.library import GeneratedSource
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, client_for, count, list_query

MILLION = scenario_account("photos-1m")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Indices whose CPLMaster the sandbox built, in order."""
    calls: list[int] = []
    original = GeneratedSource.master_record

    def counted(self: GeneratedSource, index: int, deleted: bool = False) -> Any:
        calls.append(index)
        return original(self, index, deleted)

    monkeypatch.setattr(GeneratedSource, "master_record", counted)
    return calls


def test_a_million_assets() -> None:
    assert isinstance(MILLION.photos, GeneratedLibrary)
    assert photo_count(MILLION) == 1_000_000


async def test_a_deep_page_is_built_alone_and_matches_the_generator(built: list[int]) -> None:
    world = SandboxWorld.with_accounts([MILLION])
    assert isinstance(MILLION.photos, GeneratedLibrary)
    seed = MILLION.photos.seed
    async with client_for(world, world.account(MILLION.apple_id)) as c:
        total = await count(c, "CPLAssetByAddedDate")
        rank = total - 100  # the oldest hundred visible assets
        body = list_query("CPLAssetAndMasterByAddedDate", rank, "ASCENDING", 200)
        reply = await c.post(f"{PHOTOS}/private/records/query", json=body)
    assert reply.status_code == 200, reply.text
    # Hidden assets (one slot in 20) are out of the listing index.
    visible = [i for i in range(1_000_000) if not generator.is_hidden(seed, i)]
    assert total == len(visible) == 950_000
    wanted = visible[rank:]
    assets = [r["recordName"] for r in reply.json()["records"] if r["recordType"] == "CPLAsset"]
    # Ground truth per asset: the generator's own names for those indices, oldest last.
    assert assets == [generator.asset_name(seed, "PrimarySync", i) for i in wanted]
    assert built == wanted  # those hundred and nothing else of the library


async def test_its_pages_are_not_kept(built: list[int]) -> None:
    """A listing of a million cannot fit the reply cache: keeping its pages would hold
    the cache's whole budget and evict each page before the next pass asked for it."""
    world = SandboxWorld.with_accounts([MILLION])
    body = list_query("CPLAssetAndMasterByAddedDate", 500_000, "ASCENDING", 20)
    async with client_for(world, world.account(MILLION.apple_id)) as c:
        first = await c.post(f"{PHOTOS}/private/records/query", json=body)
        again = await c.post(f"{PHOTOS}/private/records/query", json=body)
    assert first.content == again.content
    assert len(state_of(world, "cloudkit-replies", ReplyCache)) == 0
    assert len(built) == 20  # built twice, 10 assets each time
