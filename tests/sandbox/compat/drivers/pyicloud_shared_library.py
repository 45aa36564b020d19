"""Drive unmodified pyicloud's Photos service over every library it finds; print what it
saw as one JSON line.

Usage: pyicloud_shared_library.py APPLE_ID PASSWORD COOKIE_DIR
For each library key (``root``, ``shared:SharedSync-…``): the filenames and ids of its
"All Photos".
"""

import json
import sys

from pyicloud import PyiCloudService


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    photos = api.photos
    seen = {}
    for key, library in sorted(photos.libraries.items()):
        if key != "root" and not key.startswith("shared:SharedSync-"):
            continue
        assets = list(library.all)
        seen[key] = {"filenames": [a.filename for a in assets], "ids": [a.id for a in assets]}
    print(json.dumps({"libraries": seen}))


if __name__ == "__main__":
    main()
