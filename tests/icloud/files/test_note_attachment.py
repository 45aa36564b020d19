"""``mme_notes_attachment://`` ids and what an ``Attachment`` record tells about its file."""

from __future__ import annotations

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.datatypes import mme_notes
from cloudtap.icloud.files.note_attachment import NoteAttachmentRef, extension_for, facts

URL = "https://cvws.icloud-content.com/B/token/${f}"


def _record(**fields: object) -> dict[str, object]:
    return {
        "recordName": "A-1",
        "recordType": "Attachment",
        "fields": {name: {"value": value} for name, value in fields.items()},
    }


def test_ids_round_trip_and_bad_ones_are_not_found() -> None:
    ref = NoteAttachmentRef.parse("mme_notes_attachment://9C83CA7E-BB49-4B25-9630-13F92C5C1287")
    assert ref.to_id() == "mme_notes_attachment://9C83CA7E-BB49-4B25-9630-13F92C5C1287"
    for bad in ("mme_notes_attachment://", "icpl://abc", "mme_notes_attachment://a/../b", "x"):
        with pytest.raises(errors.NotFound):
            NoteAttachmentRef.parse(bad)


def test_extension_from_uti_then_filename() -> None:
    assert extension_for("com.adobe.pdf", None) == "pdf"
    assert extension_for("public.jpeg", "x.jpeg") == "jpg"
    assert extension_for("public.png", None) == "png"
    assert extension_for("com.example.unknown", "Minutes.KEY") == "key"
    assert extension_for(None, "no suffix") == "bin"


def test_facts_prefer_the_asset_and_survive_odd_fields() -> None:
    found = facts(
        _record(
            AttachmentUTI="com.adobe.pdf",
            Filename="Scan 3.pdf",
            Size=1,
            PrimaryAsset={"size": 240_000, "downloadURL": URL},
        )
    )
    assert (found.extension, found.size, found.name, found.url) == (
        "pdf",
        240_000,
        "Scan 3.pdf",
        URL,
    )
    listed = facts(_record(UTI="public.png", FallbackImage=[{"size": 5, "downloadURL": URL}]))
    assert (listed.extension, listed.size, listed.url) == ("png", 5, URL)
    odd = facts(_record(AttachmentUTI=7, Filename=["x"], Size="big", PrimaryAsset="nope"))
    assert (odd.uti, odd.name, odd.size, odd.url, odd.extension) == (None, None, None, None, "bin")


def test_note_items_carry_what_users_need_about_attachments() -> None:
    note = {
        "recordName": "N-1",
        "recordType": "PasswordProtectedNote",
        "fields": {"Attachments": {"value": [{"recordName": "A-1"}, {"recordName": "A-2"}]}},
    }
    attachment = _record(
        AttachmentUTI="public.jpeg",
        Filename="IMG_0002.jpeg",
        PrimaryAsset={"size": 850_000, "downloadURL": URL},
    )
    first, second = mme_notes.to_item(note, {}, {"A-1": attachment})["attachments"]
    assert first == {
        "id": "A-1",
        "file_id": "mme_notes_attachment://A-1",
        "type": "public.jpeg",
        "extension": "jpg",
        "size": 850_000,
        "name": "IMG_0002.jpeg",
    }
    # Not found (deleted meanwhile): still listed, with what the note itself knows.
    assert second["file_id"] == "mme_notes_attachment://A-2" and second["size"] is None
