"""Drive unmodified pyicloud's Photos service; print what it saw as one JSON line.

Usage: pyicloud_photos.py APPLE_ID PASSWORD COOKIE_DIR OUT_FILE
Lists the whole library ("All Photos"), then downloads the first asset's original
into OUT_FILE.
"""

import json
import sys

from pyicloud import PyiCloudService


def main() -> None:
    apple_id, password, cookie_dir, out_file = sys.argv[1:5]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    photos = api.photos
    album = photos.all
    assets = list(album)
    first = assets[0]
    data = first.download()
    with open(out_file, "wb") as handle:
        handle.write(data or b"")
    cursor = photos.sync_cursor()
    events = list(photos.iter_changes())
    after_cursor = list(photos.iter_changes(since=cursor))
    print(
        json.dumps(
            {
                "count": len(album),
                "filenames": [a.filename for a in assets],
                "ids": [a.id for a in assets],
                "first_url": first.download_url("original"),
                "first_size": first.size,
                "libraries": sorted(photos.libraries),
                "albums": sorted(a.title for a in photos.albums),
                "changes_updated": sum(1 for e in events if e.kind == "updated"),
                "changes_deleted": sum(1 for e in events if e.kind == "deleted"),
                "changes_since_cursor": len(after_cursor),
            }
        )
    )


if __name__ == "__main__":
    main()
