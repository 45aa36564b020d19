"""pyicloud's view of an account's notes, for the differential test.

Usage: pyicloud_notes.py APPLE_ID PASSWORD COOKIE_DIR
Prints one JSON line: every note unmodified pyicloud lists (``iter_all``), with what its
``get(with_attachments=True)`` and ``render_note`` say: title, text, folder, the
attachments it resolves, and every attachment its renderer placed in the note (UTI,
record name and the label it shows).
"""

import html
import json
import re
import sys

from pyicloud import PyiCloudService

# An element pyicloud's renderer made for an attachment, and its text if it has any.
_ELEMENT = re.compile(r"<(\w+)([^>]*\bdata-uti=[^>]*)>(?:([^<]*)</\1>)?")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def _rendered(fragment: str) -> list[dict[str, str | None]]:
    out = []
    for _tag, attrs, text in _ELEMENT.findall(fragment):
        found = {k: html.unescape(v) for k, v in _ATTR.findall(attrs)}
        out.append(
            {
                "uti": found.get("data-uti"),
                "id": found.get("data-id"),
                "label": html.unescape(text) if text else None,
            }
        )
    return out


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir)
    service = api.notes
    out = []
    for summary in service.iter_all():
        if summary.is_deleted:
            continue
        note = service.get(summary.id, with_attachments=True)
        out.append(
            {
                "id": note.id,
                "title": note.title,
                "text": note.text,
                "folder": note.folder_name,
                "locked": note.is_locked,
                "attachments": [
                    {"id": a.id, "uti": a.uti, "filename": a.filename, "size": a.size}
                    for a in note.attachments or []
                ],
                "rendered": _rendered(service.render_note(summary.id)),
            }
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
