"""Unmodified pyicloud's view of a Photos account's albums, printed as one JSON line.

Usage: pyicloud_albums.py APPLE_ID PASSWORD COOKIE_DIR
Every album of the private library (``photos.albums``: smart albums, user albums,
folders), each with its kind, its count (``len``) and, but for folders, its assets' ids in
the order pyicloud iterates them.
"""

import json
import sys
from typing import Any

from pyicloud import PyiCloudService
from pyicloud.services.photos import PhotoAlbumFolder, SmartPhotoAlbum


def _kind(album: Any) -> str:
    if isinstance(album, SmartPhotoAlbum):
        return "smart"
    return "folder" if isinstance(album, PhotoAlbumFolder) else "user"


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    albums = []
    for album in api.photos.albums:
        kind = _kind(album)
        albums.append(
            {
                "name": album.name,
                "kind": kind,
                "count": len(album),
                "ids": [] if kind == "folder" else [photo.id for photo in album],
            }
        )
    print(json.dumps({"albums": albums}))


if __name__ == "__main__":
    main()
