"""Unmodified pyicloud 2026.10.1 and cloudtap read the same sandbox notes and agree on
every note: count, title, text, folder, and every attachment (what pyicloud resolves as
downloadable, what its renderer places in the note, and the text it shows for inline
ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.differential.conftest import cloudtap_view, pyicloud_account_view

pytestmark = pytest.mark.compat

ACCOUNT = "rich"
INLINE_TEXT = "com.apple.notes.inlinetextattachment."  # shown in place as text
MARK = "\ufffc"


def _text_as_shown(note: dict[str, Any]) -> str:
    """pyicloud's text with each attachment mark replaced as its own renderer shows it:
    inline text (hashtags, calculation results) in place, every other object left out."""
    pieces = (note["text"] or "").split(MARK)
    rendered = note["rendered"]
    assert len(rendered) == len(pieces) - 1, note["id"]
    out = [pieces[0]]
    for element, piece in zip(rendered, pieces[1:], strict=True):
        out.append(element["label"] or "" if element["uti"].startswith(INLINE_TEXT) else "")
        out.append(piece)
    return "".join(out)


def _pairs(entries: list[dict[str, Any]], uti: str = "type") -> list[tuple[str, str]]:
    return sorted((e["id"], e[uti]) for e in entries)


async def test_pyicloud_and_cloudtap_agree_on_every_note(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    theirs = pyicloud_account_view(pyicloud_venv, "pyicloud_notes.py", ACCOUNT, sandbox, tmp_path)
    ours = {item["id"]: item for item in await cloudtap_view(sandbox, ACCOUNT, "mme_notes.notes")}
    # pyicloud's iter_all lists "Note" records only: password-protected notes are ours alone.
    readable = {k: v for k, v in ours.items() if not v["locked"]}
    assert len(theirs) == len(readable) > 0
    named = 0
    for note in theirs:
        item = readable[stable_id("note", note["id"])]
        assert (note["title"], note["folder"]) == (item["title"], item["folder"])
        assert _text_as_shown(note) == item["body"], note["id"]
        # Every attachment in the note, the same UTIs.
        assert _pairs(note["rendered"], "uti") == _pairs(item["attachments"] + item["inline"])
        # What pyicloud can download: our files and our inline items with a picture.
        downloadable = item["attachments"] + [i for i in item["inline"] if i["file_id"]]
        assert _pairs(note["attachments"], "uti") == _pairs(downloadable)
        files = {a["id"]: a for a in item["attachments"]}
        for attachment in note["attachments"]:
            if attachment["id"] in files:
                mine = files[attachment["id"]]
                pair = (attachment["filename"], attachment["size"])
                # pyicloud's lookup asks for `Filename` and `Size` only; a photo on a Media
                # record keeps them in `TitleEncrypted` and `FileSize` (pyicloud's own
                # capture of a real note), so pyicloud has neither for it.
                assert pair in ((mine["name"], mine["size"]), (None, None)), attachment
                named += pair == (mine["name"], mine["size"])
        # The text pyicloud shows for inline items is ours.
        shown = {e["id"]: e["label"] for e in note["rendered"] if e["label"] is not None}
        for entry in item["inline"]:
            if entry["id"] in shown and entry["kind"] != "drawing":
                assert (shown[entry["id"]] or "").rstrip("\n") == entry["text"], entry
    # The comparison covered notes with inline and file attachments, and an empty note.
    assert any(i["inline"] and i["attachments"] for i in readable.values())
    assert any(i["title"] == "" for i in readable.values()) and named > 10
