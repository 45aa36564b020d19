"""Notes → Markdown, one file per note under ``notes/<folder>/``, with its attachments
in a folder of the same name beside it and linked from the note."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from urllib.parse import quote

from cloudtap.pull.exporters import (
    Item,
    OutsideCopy,
    Wanted,
    safe_extension,
    safe_name,
    write_atomically,
)
from cloudtap.pull.paths import inside

DATA_TYPE = "mme_notes.notes"


def base_path(item: Item) -> str:
    folder = safe_name(item.get("folder"), "Notes")
    title = safe_name(item.get("title"), "Untitled", limit=60)
    return f"notes/{folder}/{title}-{safe_name(str(item.get('id'))[:7], '_')}"


def wanted(item: Item) -> list[Wanted]:
    """Files attached to the note, and the rendered pictures of its inline drawings."""
    out, base = [], base_path(item)
    for attachment in item.get("attachments") or []:
        file_id = attachment.get("file_id")
        if not file_id:
            continue
        ext = safe_extension(attachment.get("extension"), "bin")
        stem = safe_name(str(attachment.get("id"))[:8], "_")
        name = safe_name(attachment.get("name"), f"{stem}.{ext}")
        out.append(Wanted(str(file_id), f"{base}/{stem}-{name}", kind="attachment"))
    for inline in item.get("inline") or []:
        if inline.get("file_id"):
            ext = safe_extension(inline.get("extension"), "png")
            stem = safe_name(str(inline.get("id"))[:8], "_")
            name = f"{stem}-{safe_name(inline.get('kind'), 'inline')}.{ext}"
            out.append(Wanted(str(inline["file_id"]), f"{base}/{name}", kind="inline"))
    return out


def _inline_lines(item: Item, files: dict[str, str], note_dir: str) -> list[str]:
    """Tables, links and drawings (hashtags and calculations are in the text already)."""
    lines = []
    for inline in item.get("inline") or []:
        kind, text = inline.get("kind"), inline.get("text")
        if kind == "table":
            cells = str(text or "").splitlines()
            lines += ["", "**Table**", "", *(f"- {cell}" for cell in cells)]
        elif kind == "link" and inline.get("url"):
            lines += ["", f"[{text or inline['url']}]({inline['url']})"]
        elif inline.get("file_id") in files:
            rel = posixpath.relpath(files[str(inline["file_id"])], note_dir)
            lines += ["", f"![{text or kind or 'drawing'}]({quote(rel)})"]
    return lines


def markdown(item: Item, files: dict[str, str], note_dir: str) -> str:
    head = {
        "title": item.get("title"),
        "folder": item.get("folder"),
        "created": item.get("date_created"),
        "modified": item.get("date_modified"),
        "pinned": item.get("pinned"),
        "locked": item.get("locked"),
        "id": item.get("id"),
    }
    # JSON scalars are valid YAML, so the front matter reads back unambiguously.
    lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items())]
    lines += ["---", ""]
    if item.get("locked") or item.get("body") is None:
        lines.append("*This note is locked; its text is not readable without its password.*")
    else:
        lines.append(str(item["body"]).rstrip("\n"))
    lines += _inline_lines(item, files, note_dir)
    links = []
    for want in wanted(item):
        if want.kind == "attachment" and want.file_id in files:
            # Relative to the note wherever either is: the file stays where it was put
            # when a later pull sees the note renamed or moved to another folder.
            rel = posixpath.relpath(files[want.file_id], note_dir)
            links.append(f"- [{rel.rsplit('/', 1)[-1]}]({quote(rel)})")
    if links:
        lines += ["", "## Attachments", "", *links]
    return "\n".join(lines) + "\n"


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> list[OutsideCopy]:
    expected: dict[str, str] = {}
    refused = []
    for item in items.values():
        base = base_path(item)
        note_dir = base.rsplit("/", 1)[0]
        try:
            write_atomically(root, f"{base}.md", markdown(item, files, note_dir).encode())
        except OutsideCopy as exc:
            refused.append(exc)
        expected[str(item.get("id"))] = f"{base}.md"
    _remove_stale(root, expected)
    return refused


def _remove_stale(root: Path, expected: dict[str, str]) -> None:
    """A note renamed or moved since an earlier pull: its old Markdown file goes (the
    file name ends with the note id's first 7 characters; the front matter's id decides)."""
    by_prefix: dict[str, set[str]] = {}
    for item_id in expected:
        by_prefix.setdefault(item_id[:7], set()).add(item_id)
    try:
        notes = inside(root, "notes")
    except OutsideCopy:
        return  # the export itself was refused; nothing outside is looked at
    for path in notes.rglob("*.md") if notes.is_dir() else ():
        rel = path.relative_to(root.resolve()).as_posix()
        try:
            inside(root, rel)
        except OutsideCopy:
            continue  # a symlink out of the folder: neither read nor removed
        prefix = path.stem.rsplit("-", 1)[-1]
        if prefix not in by_prefix or rel in expected.values():
            continue
        note_id = _front_matter_id(path)
        if note_id in by_prefix[prefix] and expected[note_id] != rel:
            path.unlink()


def _front_matter_id(path: Path) -> str | None:
    for line in path.read_text(errors="replace").splitlines()[1:12]:
        if line.startswith("id: "):
            try:
                value = json.loads(line[4:])
            except ValueError:
                return None
            return str(value) if value is not None else None
        if line == "---":
            break
    return None
