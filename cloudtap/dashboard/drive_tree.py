"""An ``icloud_drive.files`` result as folders to browse, and a file's bytes through a
files poll of its own (its result then downloads as any result's content).

A file's poll is an ordinary poll of the same session whose payload also names the Drive
result and the item it came from (``dashboard_drive_file_for``); finding it again is what
keeps a second click from asking Apple twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudtap.api.resources import polls
from cloudtap.dashboard import derived_polls
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.visitor import Visitor

MARKER = "dashboard_drive_file_for"
TRASH = "TRASH_ROOT"  # the parent drivews gives items at the top of Recently Deleted
MAX_ROWS = 500  # entries shown of one folder
MAX_DEPTH = 256  # a parent cycle in a hostile result stops here


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    kind: str  # folder, file, app_library; "trash" for Recently Deleted
    size: int | None
    modified: str
    file_id: str | None  # the icloud_drive:// id of a file's bytes
    shared: bool


@dataclass
class FolderView:
    found: bool
    id: str
    name: str
    crumbs: list[tuple[str, str]] = field(default_factory=list)  # (id, name), root first
    entries: list[Entry] = field(default_factory=list)  # folders first, then files
    total: int = 0  # entries in the folder, shown or not


def _entry(item: dict[str, Any]) -> Entry:
    files = [f for f in item.get("files") or [] if isinstance(f, dict) and f.get("id")]
    size = item.get("size")
    return Entry(
        id=str(item.get("id")),
        name=str(item.get("name") or "(no name)"),
        kind=str(item.get("kind") or ""),
        size=size if isinstance(size, int) else None,
        modified=str(item.get("date_modified") or ""),
        file_id=str(files[0]["id"]) if files and item.get("kind") == "file" else None,
        shared=bool(item.get("shared")),
    )


def folder_view(items: list[dict[str, Any]], folder_id: str | None) -> FolderView:
    """The folder ``folder_id`` (the root when None, ``TRASH_ROOT`` for Recently
    Deleted): the way down to it and what it holds."""
    by_id = {str(i.get("id")): i for i in items}
    root = next((i for i in items if i.get("parent") is None and i.get("path") == ""), None)
    root_id = str(root.get("id")) if root else ""
    wanted = folder_id or root_id
    if wanted == TRASH:
        name = "Recently Deleted"
    elif wanted in by_id and by_id[wanted].get("kind") != "file":
        name = str(by_id[wanted].get("name") or "") or "iCloud Drive"
    else:
        return FolderView(found=False, id=wanted, name="")
    view = FolderView(found=True, id=wanted, name=name)
    crumbs: list[tuple[str, str]] = []
    step = by_id.get(wanted)
    for _ in range(MAX_DEPTH):
        parent = str(step.get("parent")) if step and step.get("parent") else None
        if parent is None:
            break
        if parent == TRASH:
            crumbs.append((TRASH, "Recently Deleted"))
            break
        step = by_id.get(parent)
        if step is None:
            break
        crumbs.append((parent, str(step.get("name") or "") or "iCloud Drive"))
    if wanted != root_id and root is not None and (not crumbs or crumbs[-1][0] != root_id):
        crumbs.append((root_id, "iCloud Drive"))
    view.crumbs = list(reversed(crumbs))
    children = [_entry(i) for i in items if str(i.get("parent")) == wanted]
    if wanted == root_id and any(str(i.get("parent")) == TRASH for i in items):
        children.append(Entry(TRASH, "Recently Deleted", "trash", None, "", None, False))
    children.sort(key=lambda e: (e.kind == "file", e.name.casefold()))
    view.total = len(children)
    view.entries = children[:MAX_ROWS]
    return view


def file_item(items: list[dict[str, Any]], item_id: str) -> Entry | None:
    """The file ``item_id`` of the result, if it is one with bytes to fetch."""
    found = next((i for i in items if str(i.get("id")) == item_id), None)
    entry = _entry(found) if found is not None else None
    return entry if entry is not None and entry.file_id else None


def file_polls(visitor: Visitor, session_id: str, result_id: str) -> dict[str, dict[str, Any]]:
    """item id → the files poll made for it from this Drive result."""
    return derived_polls.made_from(visitor, session_id, MARKER, result_id)


def request_file(visitor: Visitor, session_id: str, result_id: str, entry: Entry) -> dict[str, Any]:
    """The file's poll: the one made before, else a new one."""
    known = file_polls(visitor, session_id, result_id).get(entry.id)
    if known is not None:
        return known
    payload = {"files": [entry.file_id], MARKER: derived_polls.tag(result_id, entry.id)}
    return run(visitor, polls.create_poll, body={"session": session_id, "payload": payload})


def file_result(poll: dict[str, Any] | None, file_id: str | None) -> str | None:
    """The id of the poll's result holding the file's bytes, once there is one."""
    if poll is None or file_id is None:
        return None
    return next(
        (str(r["id"]) for r in poll["results"]["data"] if r.get("identifier") == file_id), None
    )
