"""Unmodified pyicloud's view of a Photos account's shared albums, printed as one JSON line.

Usage: pyicloud_shared_albums.py APPLE_ID PASSWORD COOKIE_DIR
Every album of ``photos.shared_streams`` with its guid, name, sharing type, creation date
and count (``len``), and its photos in the order pyicloud iterates them: each one's id,
filename and the SHA-256 of its original as pyicloud downloads it.
"""

import hashlib
import json
import sys

from pyicloud import PyiCloudService


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    albums = []
    for album in api.photos.shared_streams:
        photos = []
        for photo in album:
            original = photo.download("original") or b""
            photos.append(
                {
                    "id": photo.id,
                    "filename": photo.filename,
                    "sha256": hashlib.sha256(original).hexdigest(),
                }
            )
        albums.append(
            {
                "id": album.id,
                "name": album.name,
                "sharing_type": album.sharing_type,
                "created": album.creation_date.isoformat(),
                "count": len(album),
                "photos": photos,
            }
        )
    print(json.dumps({"albums": albums}))


if __name__ == "__main__":
    main()
