"""Deletions on Apple's side, seen by an incremental listing: CloudKit's ``changes/zone``
returns a deleted record as a tombstone (``{recordName, deleted: true}``) and a photo
moved to Recently Deleted as its CPLAsset with ``isDeleted`` 1. The stream keeps their
item ids aside in ``deleted``; they are not items, and a full listing no longer holds them.

This module has a sandbox of its own (module scope): it deletes from the world.
"""

from __future__ import annotations

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.cloudkit.context import state_of
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.container import PRIMARY_ZONE
from cloudtap.sandbox.photos.edits import PhotosEdits
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services import _ckzone
from cloudtap.sandbox.services.callhistory import CallHistoryContainer
from cloudtap.sandbox.services.notes import NotesContainer
from cloudtap.sandbox.services.reminders import RemindersContainer
from cloudtap.sandbox.services.safari import SafariHistoryContainer
from tests.icloud.datatypes.sandbox_session import session, world_account

ACCOUNT = "rich"
CHANGE_LOGS = {
    # data type: (container, record type, the kind its item ids are made from)
    "mme_notes.notes": (NotesContainer(), "Note", "note"),
    "callkit.calls": (CallHistoryContainer(), "CallRecord", "call"),
    "cloudkit_safari.history": (SafariHistoryContainer(), "HistoryVisit", "visit"),
    "cloudkit_reminders.reminders": (RemindersContainer(), "Reminder", "reminder"),
}


async def _listing(
    connector: ICloudConnector, state: JSONDict, data_type: str, cursor: JSONDict | None
) -> tuple[list[JSONDict], list[str], JSONDict | None]:
    stream = connector.fetch_items(state, data_type, Filters(cursor=cursor))
    items = [item async for item in stream]
    return items, list(getattr(stream, "deleted", [])), stream.cursor


@pytest.mark.parametrize("data_type", sorted(CHANGE_LOGS))
async def test_a_deleted_record_is_reported_once_by_the_next_incremental_listing(
    connector: ICloudConnector, sandbox: RunningSandbox, data_type: str
) -> None:
    state = await session(connector, ACCOUNT)
    account = world_account(sandbox, ACCOUNT)
    container, record_type, kind = CHANGE_LOGS[data_type]
    first, gone, cursor = await _listing(connector, state, data_type, None)
    assert gone == [] and cursor
    log = container.change_log(account)
    names = [
        str(log.record_at(p)["recordName"])
        for p in range(log.total)
        if log.type_at(p) == record_type
    ]
    listed = {item["id"] for item in first}
    victim = next(n for n in names if stable_id(kind, n) in listed)
    _ckzone.delete_record(sandbox.world, account.dsid, container.name, victim)

    changed, gone, cursor = await _listing(connector, state, data_type, cursor)
    assert changed == [] and gone == [stable_id(kind, victim)]
    # Reported once: the listing after that has nothing to say.
    assert (await _listing(connector, state, data_type, cursor))[:2] == ([], [])
    # A full listing no longer holds it, and reports no deletions (absence says it).
    full, gone, _ = await _listing(connector, state, data_type, None)
    assert {item["id"] for item in full} == listed - {stable_id(kind, victim)}
    assert gone == []


async def test_a_photo_moved_to_recently_deleted_is_reported(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    state = await session(connector, ACCOUNT)
    account = world_account(sandbox, ACCOUNT)
    first, gone, cursor = await _listing(connector, state, "icpl.photos", None)
    assert gone == [] and cursor
    # The primary library's first asset goes to Recently Deleted, as a device would do.
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    spec = generator.asset(library.seed, PRIMARY_ZONE, 0)
    edits = state_of(sandbox.world, "photos-edits", PhotosEdits)
    edits.set_deleted(account.dsid, PRIMARY_ZONE, 0, True)
    owner = [
        item
        for item in first
        if any(
            PhotoFileRef.parse(f["id"]).record_name in (spec.master_name, spec.asset_name)
            and PhotoFileRef.parse(f["id"]).zone_name == PRIMARY_ZONE
            for f in item["files"]
        )
    ]
    assert len(owner) == 1

    changed, gone, cursor = await _listing(connector, state, "icpl.photos", cursor)
    assert gone == [owner[0]["id"]]
    assert owner[0]["id"] not in {item["id"] for item in changed}
    full, gone, _ = await _listing(connector, state, "icpl.photos", None)
    assert owner[0]["id"] not in {item["id"] for item in full} and gone == []

    # Restored from Recently Deleted: listed again, not reported gone.
    edits.set_deleted(account.dsid, PRIMARY_ZONE, 0, False)
    changed, gone, _ = await _listing(connector, state, "icpl.photos", cursor)
    assert gone == [] and owner[0]["id"] in {item["id"] for item in changed}
