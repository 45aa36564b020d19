from __future__ import annotations

import base64
import json
import subprocess

import pytest

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.cloudkit.container import CONTAINERS, CloudKitError, Record
from cloudtap.sandbox.services import notes
from cloudtap.sandbox.services.content import notes as gen
from cloudtap.sandbox.services.notes_proto import decode_text
from tests.icloud.datatypes import pyicloud_notes_fixture
from tests.sandbox.services.conftest import make_account
from tests.support.venvs import client_venv, venv_bin

RECENTS = {
    "query": {
        "recordType": "SearchIndexes",
        "filterBy": [
            {
                "comparator": "EQUALS",
                "fieldName": "indexName",
                "fieldValue": {"type": "STRING", "value": "recents"},
            }
        ],
        "sortBy": [{"fieldName": "modTime", "ascending": False}],
    },
    "zoneID": {"zoneName": "Notes"},
    "resultsLimit": 50,
}


def _text(record: dict) -> str:
    return base64.b64decode(record["fields"]["TitleEncrypted"]["value"]).decode()


def _all_changes(
    account: SandboxAccount, record_types: list[str] | None = None, limit: int = 200
) -> list[Record]:
    container = CONTAINERS["com.apple.notes"]
    token: str | None = None
    out: list[Record] = []
    while True:
        page = container.changes(account, "private", notes.ZONE, token, limit, record_types)
        out.extend(page.records)
        token = page.sync_token
        if not page.more_coming:
            return out


def test_registered_with_one_private_zone(account: SandboxAccount) -> None:
    container = CONTAINERS["com.apple.notes"]
    assert [z.name for z in container.zones(account, "private")] == ["Notes"]
    assert container.zones(account, "shared") == []


def test_recents_newest_first_and_paged(account: SandboxAccount) -> None:
    container = CONTAINERS["com.apple.notes"]
    first = container.query(account, "private", notes.ZONE, RECENTS)
    assert len(first.records) == 50 and first.continuation_marker
    second = container.query(
        account, "private", notes.ZONE, {**RECENTS, "continuationMarker": first.continuation_marker}
    )
    times = [r["fields"]["ModificationDate"]["value"] for r in first.records + second.records]
    assert times == sorted(times, reverse=True)
    assert {r["recordName"] for r in first.records}.isdisjoint(
        r["recordName"] for r in second.records
    )


def test_parentless_index_lists_the_top_level_folders(account: SandboxAccount) -> None:
    container = CONTAINERS["com.apple.notes"]
    query = json.loads(json.dumps(RECENTS).replace('"recents"', '"parentless"'))
    reply = container.query(account, "private", notes.ZONE, query)
    folders = gen.folders(account.content)
    top = [f for f in folders if f.parent is None]
    assert [r["recordName"] for r in reply.records] == [f.name for f in top]
    assert {r["recordType"] for r in reply.records} == {"Folder"}
    assert [_text(r) for r in reply.records] == [f.title for f in top]
    parents = {f.parent for f in folders}
    has_sub = {r["recordName"]: r["fields"]["HasSubfolder"]["value"] for r in reply.records}
    assert has_sub == {f.name: int(f.name in parents) for f in top}
    assert any(has_sub.values()) and reply.continuation_marker is None


def test_changes_cover_folders_notes_and_attachments(account: SandboxAccount) -> None:
    records = _all_changes(account, limit=37)
    types = [r["recordType"] for r in records]
    spec = account.content
    assert types.count("Note") + types.count("PasswordProtectedNote") == spec.notes
    assert "Folder" in types and "Attachment" in types
    assert len({r["recordName"] for r in records}) == len(records)
    fields = [r["fields"] for r in records if r["recordType"] == "Note"]
    assert any(f["IsPinned"]["value"] for f in fields)
    assert any(f["Deleted"]["value"] for f in fields)
    folders = [r for r in records if r["recordType"] == "Folder"]
    assert any("ParentFolder" in f["fields"] for f in folders)  # nested folder


def test_changes_filtered_by_type_and_a_foreign_token_is_refused(account: SandboxAccount) -> None:
    only_folders = _all_changes(account, ["Folder"])
    assert only_folders and {r["recordType"] for r in only_folders} == {"Folder"}
    other = make_account(ContentSpec(seed=99, notes=5), apple_id="other@sandbox.test")
    foreign = CONTAINERS["com.apple.notes"].changes(other, "private", notes.ZONE, None, 2, None)
    with pytest.raises(CloudKitError):
        CONTAINERS["com.apple.notes"].changes(
            account, "private", notes.ZONE, foreign.sync_token, 10, None
        )


def test_bodies_are_gzipped_note_store_protobufs(account: SandboxAccount) -> None:
    records = _all_changes(account, ["Note"])
    plain = next(r for r in records if "Attachments" not in r["fields"])
    blob = base64.b64decode(plain["fields"]["TextDataEncrypted"]["value"])
    assert blob[:2] == b"\x1f\x8b"
    text = decode_text(blob)
    assert text.startswith(_text(plain) + "\n") and len(text.splitlines()) >= 2


def test_lookup_finds_notes_folders_and_attachments(account: SandboxAccount) -> None:
    container = CONTAINERS["com.apple.notes"]
    records = _all_changes(account)
    note = next(r for r in records if "Attachments" in r["fields"])
    attachment = note["fields"]["Attachments"]["value"][0]["recordName"]
    folder = note["fields"]["Folder"]["value"]["recordName"]
    found = list(
        container.lookup(
            account, "private", notes.ZONE, [note["recordName"], attachment, folder, "missing"]
        )
    )
    assert [r["recordName"] for r in found] == [note["recordName"], attachment, folder]
    assert found[1]["recordType"] == "Attachment"


def test_locked_notes_are_unreadable(account: SandboxAccount) -> None:
    records = _all_changes(account, ["PasswordProtectedNote"])
    assert records
    blob = base64.b64decode(records[0]["fields"]["TextDataEncrypted"]["value"])
    assert blob[:2] != b"\x1f\x8b"


def test_a_bad_continuation_marker_is_a_client_error(account: SandboxAccount) -> None:
    with pytest.raises(CloudKitError):
        CONTAINERS["com.apple.notes"].query(
            account, "private", notes.ZONE, {**RECENTS, "continuationMarker": "%%%"}
        )


@pytest.mark.compat
def test_pyicloud_decodes_our_bodies_and_attachment_ids() -> None:
    """pyicloud 2026.10.1's own decoder reads the bytes we store (schema compatibility)."""
    account = make_account()
    records = _all_changes(account, ["Note"])
    note = next(r for r in records if "Attachments" in r["fields"])
    venv = client_venv("pyicloud", ["pyicloud==2026.10.1"])
    script = (
        "import json,sys\n"
        "from pyicloud.services.notes.decoding import BodyDecoder\n"
        "body = BodyDecoder().decode(sys.stdin.read())\n"
        "print(json.dumps({'text': body.text, 'ids': [[a.identifier, a.type_uti]"
        " for a in body.attachment_ids]}))\n"
    )
    out = subprocess.run(
        [venv_bin(venv, "python"), "-c", script],
        input=note["fields"]["TextDataEncrypted"]["value"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    decoded = json.loads(out.stdout)
    assert decoded["text"].startswith(_text(note))
    # The world's own list: inline attachments (table, hashtag, ...) in order, then the file.
    index = next(
        i
        for i in range(account.content.notes)
        if gen.note_name(account.content, i) == note["recordName"]
    )
    world = gen.note(account.content, index)
    assert world.extras and world.attachment
    expected = [[e.identifier, e.uti] for e in world.extras]
    expected.append([world.attachment.identifier, world.attachment.type_uti])
    assert decoded["ids"] == expected


def test_inline_and_media_records_carry_the_captured_fields(account: SandboxAccount) -> None:
    """Each inline kind and the Media-backed photo use the record type and field names
    pyicloud's capture of a real note shows for the same UTI (no invented fields)."""
    _, captured = pyicloud_notes_fixture.load()
    fields_by_uti: dict[str, tuple[str, set[str]]] = {}
    for record in captured.values():
        uti = base64.b64decode(record["fields"]["UTIEncrypted"]["value"]).decode()
        fields_by_uti.setdefault(uti, (record["recordType"], set()))[1].update(record["fields"])
    ours = [
        r
        for r in _all_changes(account, ["Attachment", "InlineAttachment"])
        if "PrimaryAsset" not in r["fields"]
    ]
    seen = set()
    for record in ours:
        uti = base64.b64decode(record["fields"]["UTIEncrypted"]["value"]).decode()
        record_type, names = fields_by_uti[uti]
        assert record["recordType"] == record_type, uti
        assert set(record["fields"]) <= names, (uti, set(record["fields"]) - names)
        seen.add(uti)
    assert seen == {
        "com.apple.notes.table",
        "com.apple.notes.inlinetextattachment.hashtag",
        "com.apple.notes.inlinetextattachment.calculateresult",
        "public.url",
        "com.apple.paper",
        "public.jpeg",  # on a Media record
    }
    media = _all_changes(account, ["Media"])
    assert media and all(r["fields"]["Asset"]["value"]["downloadURL"] for r in media)
