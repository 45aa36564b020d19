"""Notes → Markdown, one file per note under ``notes/<folder>/``, with its attachments
in a folder of the same name beside it and linked from the note."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from cloudtap.pull.exporters import Item, Wanted, safe_name, write_atomically

DATA_TYPE = "mme_notes.notes"


def base_path(item: Item) -> str:
    folder = safe_name(item.get("folder"), "Notes")
    title = safe_name(item.get("title"), "Untitled", limit=60)
    return f"notes/{folder}/{title}-{str(item.get('id'))[:7]}"


def wanted(item: Item) -> list[Wanted]:
    """Files attached to the note, and the rendered pictures of its inline drawings."""
    out, base = [], base_path(item)
    for attachment in item.get("attachments") or []:
        file_id = attachment.get("file_id")
        if not file_id:
            continue
        ext = attachment.get("extension") or "bin"
        stem = str(attachment.get("id"))[:8]
        name = safe_name(attachment.get("name"), f"{stem}.{ext}")
        out.append(Wanted(str(file_id), f"{base}/{stem}-{name}", kind="attachment"))
    for inline in item.get("inline") or []:
        if inline.get("file_id"):
            ext = inline.get("extension") or "png"
            name = f"{str(inline.get('id'))[:8]}-{inline.get('kind') or 'inline'}.{ext}"
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
            rel = files[str(inline["file_id"])].removeprefix(note_dir + "/")
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
            rel = files[want.file_id].removeprefix(note_dir + "/")
            links.append(f"- [{rel.rsplit('/', 1)[-1]}]({quote(rel)})")
    if links:
        lines += ["", "## Attachments", "", *links]
    return "\n".join(lines) + "\n"


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> None:
    for item in items.values():
        base = base_path(item)
        note_dir = base.rsplit("/", 1)[0]
        write_atomically(root / f"{base}.md", markdown(item, files, note_dir).encode())
