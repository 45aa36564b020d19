"""pyicloud's view of an account's iCloud Drive, for the differential test.

Usage: pyicloud_drive.py APPLE_ID PASSWORD COOKIE_DIR MAX_DOWNLOAD
Prints one JSON line: every node pyicloud reaches from ``drive.root`` and ``drive.trash``
(walking ``get_children``) with its path, name, type, size and dates (pyicloud's UTC),
and the SHA-256 of what ``open()`` returned for each file up to MAX_DOWNLOAD bytes.
"""

import hashlib
import json
import sys
from datetime import datetime

from pyicloud import PyiCloudService


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def main() -> None:
    apple_id, password, cookie_dir, max_download = sys.argv[1:5]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir)
    out = []
    waiting = [(api.drive.root, "", False), (api.drive.trash, "", True)]
    while waiting:
        folder, path, trashed = waiting.pop()
        for node in folder.get_children():
            node_path = f"{path}/{node.name}" if path else node.name
            entry = {
                "path": node_path,
                "name": node.name,
                "type": node.type,
                "size": node.size,
                "date_modified": _when(node.date_modified),
                "date_changed": _when(node.date_changed),
                "date_last_open": _when(node.date_last_open),
                "trashed": trashed,
                "sha256": None,
            }
            if node.type == "file" and (node.size or 0) <= int(max_download):
                entry["sha256"] = hashlib.sha256(node.open().content).hexdigest()
            out.append(entry)
            if node.type != "file":
                waiting.append((node, node_path, trashed))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
