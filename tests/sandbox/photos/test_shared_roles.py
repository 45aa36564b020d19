"""Where each role of one Shared Library sees its zone (sandbox, in-process): the owner
in the private database, the participant in the shared one, owned by the owner."""

from __future__ import annotations

from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.photos.container import owner_of
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, client_for

OWNER, PARTICIPANT = "shared-owner", "shared-participant"


async def _zone_names(world: SandboxWorld, name: str) -> dict[str, list[tuple[str, str]]]:
    account = scenario_account(name)
    out = {}
    async with client_for(world, world.account(account.apple_id)) as c:
        for database in ("private", "shared"):
            reply = (await c.post(f"{PHOTOS}/{database}/zones/list", json={})).json()
            out[database] = [
                (z["zoneID"]["zoneName"], z["zoneID"]["ownerRecordName"]) for z in reply["zones"]
            ]
    return out


async def test_owner_private_participant_shared_one_library() -> None:
    world = SandboxWorld.with_accounts([scenario_account(OWNER), scenario_account(PARTICIPANT)])
    owner = await _zone_names(world, OWNER)
    participant = await _zone_names(world, PARTICIPANT)
    owner_record = owner_of(scenario_account(OWNER))
    [(primary, _), (library, library_owner)] = owner["private"]
    assert primary == "PrimarySync" and library.startswith("SharedSync-")
    assert library_owner == owner_record and owner["shared"] == []
    assert [name for name, _ in participant["private"]] == ["PrimarySync"]
    assert participant["shared"] == [(library, owner_record)]
