"""Notes as Markdown: front matter, text, inline tables/links/drawings, attachments."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

from cloudtap.pull.exporters import Item
from cloudtap.pull.exporters.notes import base_path, export, wanted

NOTE: Item = {
    "id": "6aa83f517d6a37bf",
    "title": "Quotes / ideas",
    "body": "Quotes\nMilk, eggs.\n#groceries\n",
    "folder": "Work",
    "date_created": "2023-12-10T12:04:24.071000Z",
    "date_modified": "2023-12-11T00:30:24.071000Z",
    "pinned": False,
    "locked": False,
    "attachments": [
        {
            "id": "9C83CA7E-BB49-4B25-9630-13F92C5C1287",
            "file_id": "mme_notes_attachment://9C83CA7E-BB49-4B25-9630-13F92C5C1287",
            "extension": "png",
            "name": "Screenshot 2.png",
        }
    ],
    "inline": [
        {"id": "E68B8CB9", "kind": "table", "text": "Salt\nButter", "file_id": None},
        {"id": "C2D76E2E", "kind": "link", "text": "Tides", "url": "https://example.com/t"},
        {
            "id": "D1A2B3C4-0000",
            "kind": "drawing",
            "text": None,
            "file_id": "mme_notes_attachment://D1A2B3C4-0000",
            "extension": "png",
        },
    ],
}


def test_note_markdown(tmp_path: Path) -> None:
    base = base_path(NOTE)
    assert base == "notes/Work/Quotes _ ideas-6aa83f5"  # no separator in a file name
    files = {w.file_id: w.path for w in wanted(NOTE)}
    assert sorted(w.kind for w in wanted(NOTE)) == ["attachment", "inline"]
    export(tmp_path, {NOTE["id"]: NOTE}, files)
    text = (tmp_path / f"{base}.md").read_text()
    head, body = text.split("---\n", 2)[1:]
    meta = {k: json.loads(v) for k, v in (line.split(": ", 1) for line in head.splitlines())}
    assert meta["title"] == "Quotes / ideas" and meta["modified"] == NOTE["date_modified"]
    assert body.startswith("\nQuotes\nMilk, eggs.\n#groceries\n")
    assert "- Salt\n- Butter" in body
    assert "[Tides](https://example.com/t)" in body
    # Every picture and file link resolves, from the note, to where the file was put.
    links = re.findall(r"\]\(([^)]+)\)", body)
    resolved = {str((tmp_path / base).parent / unquote(link)) for link in links[1:]}
    assert resolved == {str(tmp_path / path) for path in files.values()}
    assert "![drawing](" in body and "[9C83CA7E-Screenshot 2.png](" in body


def test_locked_note_says_so(tmp_path: Path) -> None:
    locked: Item = {**NOTE, "body": None, "locked": True, "attachments": [], "inline": []}
    export(tmp_path, {locked["id"]: locked}, {})
    text = (tmp_path / f"{base_path(locked)}.md").read_text()
    assert "locked" in text and "Milk" not in text


def test_a_renamed_or_moved_note_leaves_no_stale_file(tmp_path: Path) -> None:
    """An incremental pull sees a note renamed and moved to another folder: its Markdown
    file moves (the old one is removed) and still links the attachment where it was put."""
    files = {w.file_id: w.path for w in wanted(NOTE)}
    for path in files.values():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(b"picture")
    export(tmp_path, {NOTE["id"]: NOTE}, files)
    old = tmp_path / f"{base_path(NOTE)}.md"
    assert old.exists()
    other = {**NOTE, "id": "0123456789abcdef", "title": "Untouched"}
    moved = {**NOTE, "title": "Quotes, revised", "folder": "Archive"}
    export(tmp_path, {NOTE["id"]: moved, other["id"]: other}, files)
    new = tmp_path / f"{base_path(moved)}.md"
    assert new.exists() and not old.exists()
    assert sorted(p.name for p in (tmp_path / "notes").rglob("*.md")) == sorted(
        [new.name, f"{base_path(other).rsplit('/', 1)[1]}.md"]
    )
    links = re.findall(r"\]\(([^)]+)\)", new.read_text().split("---\n", 2)[2])
    targets = {(new.parent / unquote(link)).resolve() for link in links if "://" not in link}
    assert targets == {(tmp_path / path).resolve() for path in files.values()}
    assert all(target.exists() for target in targets)


def test_server_ids_and_extensions_stay_in_the_notes_folder() -> None:
    note: Item = {
        "id": "../../x/y",
        "folder": "..",
        "title": "../../etc",
        "attachments": [
            {"id": "../../a", "file_id": "f1", "extension": "/etc/passwd", "name": None},
        ],
        "inline": [{"id": "/abs", "file_id": "f2", "kind": "../k", "extension": "../p"}],
    }
    assert base_path(note) == "notes/Notes/_.._etc-_.._x"
    paths = [w.path for w in wanted(note)]
    for path in paths:
        assert path.startswith("notes/Notes/") and ".." not in path.split("/"), path
    assert paths == [
        "notes/Notes/_.._etc-_.._x/_.._a-_.._a.etcpasswd",
        "notes/Notes/_.._etc-_.._x/_abs-_k.p",
    ]
