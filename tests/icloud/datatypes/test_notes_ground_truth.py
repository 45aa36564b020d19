"""``mme_notes.notes`` against the sandbox world's own notes (its content generators, not
the wire): every published field, file and inline attachments, and downloaded bytes."""

# The live-sandbox fixtures are imported from tests/icloud/client, hence F401/F811.
# ruff: noqa: F401, F811

from __future__ import annotations

from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.services.content import notes as gen
from tests.icloud.client.conftest import connector, requests_made, sandbox, transport
from tests.icloud.datatypes.sandbox_session import (
    download,
    from_ms,
    items,
    moment,
    session,
    world_account,
)

ACCOUNT = "rich"
EXTENSIONS = {"public.jpeg": "jpg", "public.png": "png", "com.adobe.pdf": "pdf"}
IN_TEXT = {"hashtag", "calculation"}  # kinds whose text Apple shows in place


def _body(note: gen.NoteItem) -> str | None:
    """The note's text as a reader sees it: inline text in place, objects left out."""
    if note.locked:
        return None
    stand_in = {e.identifier: e.text for e in note.extras if e.kind in IN_TEXT}
    return "".join(
        p.text + (stand_in.get(p.attachment.identifier, "") if p.attachment else "") + "\n"
        for p in note.paragraphs
    )


def _files(spec: ContentSpec, note: gen.NoteItem) -> list[dict[str, Any]]:
    file = note_files.attachment_file(spec, note.index)
    if file is None:
        return []
    return [
        {
            "id": file.name,
            "file_id": f"mme_notes_attachment://{file.name}",
            "type": file.uti,
            "extension": EXTENSIONS[file.uti],
            "size": file.size,
            "name": file.filename,
        }
    ]


def _inline(spec: ContentSpec, note: gen.NoteItem) -> list[dict[str, Any]]:
    # A locked note's body is sealed: only what its Attachments list names is known.
    shown = [e for e in note.extras if not note.locked or e.kind == "drawing"]
    out = []
    for extra in shown:
        picture = note_files.drawing_file(spec, note.index) if extra.kind == "drawing" else None
        out.append(
            {
                "id": extra.identifier,
                "type": extra.uti,
                "kind": extra.kind,
                "text": extra.text or None,
                "url": extra.url,
                "file_id": f"mme_notes_attachment://{extra.identifier}" if picture else None,
                "extension": "png" if picture else None,
                "size": picture.size if picture else None,
            }
        )
    return out


def _expected(spec: ContentSpec) -> dict[str, dict[str, Any]]:
    folders = {f.name: f.title for f in gen.folders(spec)}
    out = {}
    for index in range(spec.notes):
        note = gen.note(spec, index)
        if note.deleted:
            continue  # deleted notes are not published
        out[stable_id("note", note.name)] = {
            "id": stable_id("note", note.name),
            "data_type": "mme_notes.note",
            "title": note.title,
            "body": _body(note),
            "snippet": note.paragraphs[1].text if len(note.paragraphs) > 1 else "",
            "folder": folders[note.folder],
            "date_created": from_ms(note.created_ms),
            "date_modified": from_ms(note.modified_ms),
            "pinned": note.pinned,
            "locked": note.locked,
            "attachments": _files(spec, note),
            "inline": _inline(spec, note),
        }
    return out


async def test_every_note_field_matches_the_world(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    spec = world_account(sandbox, ACCOUNT).content
    expected = _expected(spec)
    state = await session(connector, ACCOUNT)
    published = await items(connector, state, "mme_notes.notes")
    assert len(published) == len(expected) < spec.notes  # deleted ones left out
    for item in published:
        want = expected[item["id"]]
        got = {
            **item,
            "date_created": moment(item["date_created"]),
            "date_modified": moment(item["date_modified"]),
        }
        assert got == want, item["title"]
    # The world holds every case this test is meant to cover.
    notes = [gen.note(spec, i) for i in range(spec.notes)]
    assert any(n.locked and not n.deleted for n in notes)
    assert any(n.title == "" and not n.deleted for n in notes)  # an empty note
    assert any("日本" in n.title and not n.deleted for n in notes)
    assert any(n.extras and n.attachment and not n.locked for n in notes)
    assert any(e.text == "" for n in notes for e in n.extras if e.kind == "drawing")


async def test_downloaded_bytes_are_the_worlds_bytes(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    spec = world_account(sandbox, ACCOUNT).content
    state = await session(connector, ACCOUNT)
    published = await items(connector, state, "mme_notes.notes")
    by_uti: dict[str, tuple[str, note_files.AttachmentFile]] = {}
    for note in published:
        index = _index(spec, note["id"])
        for entry in note["attachments"]:
            file = note_files.attachment_file(spec, index)
            assert file is not None
            # A photo whose bytes sit on a Media record, and one with a PrimaryAsset.
            key = f"{entry['type']} on Media" if gen.has_media(index) else entry["type"]
            by_uti.setdefault(key, (entry["file_id"], file))
        for entry in note["inline"]:
            picture = note_files.drawing_file(spec, index)
            if entry["file_id"] and picture is not None:
                by_uti.setdefault(entry["type"], (entry["file_id"], picture))
    assert sorted(by_uti) == [
        "com.adobe.pdf",
        "com.apple.paper",
        "public.jpeg",
        "public.jpeg on Media",
        "public.png",
    ]
    for file_id, file in by_uti.values():
        got = await download(connector, state, file_id)
        assert got == media.join(note_files.pieces(file)), file_id


def _index(spec: ContentSpec, item_id: str) -> int:
    for index in range(spec.notes):
        if stable_id("note", gen.note_name(spec, index)) == item_id:
            return index
    raise AssertionError(f"no world note for item {item_id}")
