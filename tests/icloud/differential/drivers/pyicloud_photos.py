"""Unmodified pyicloud's view of a Photos account, printed as one JSON line.

Usage: pyicloud_photos.py APPLE_ID PASSWORD COOKIE_DIR
Lists "All Photos" of the private library and of every Shared Library pyicloud finds
(``photos.libraries`` keys ``shared:SharedSync-…``); one entry per asset.
"""

import json
import sys
from typing import Any

from pyicloud import PyiCloudService


def _asset(zone: str, photo: Any) -> dict[str, Any]:
    width, height = photo.dimensions
    return {
        "zone": zone,
        "id": photo.id,
        "master_id": photo.master_id,
        "filename": photo.filename,
        "size": photo.size,
        "created": photo.asset_date.isoformat(),
        "added": photo.added_date.isoformat(),
        "width": width,
        "height": height,
        "version_sizes": sorted(
            v["size"] for v in photo.versions.values() if v.get("size") is not None
        ),
    }


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    photos = api.photos
    assets = [_asset("PrimarySync", p) for p in photos.all]
    libraries = sorted(photos.libraries)
    for key in libraries:
        if key.startswith("shared:SharedSync-"):
            zone = key.split(":", 1)[1]
            assets += [_asset(zone, p) for p in photos.libraries[key].all]
    print(json.dumps({"libraries": libraries, "assets": assets}))


if __name__ == "__main__":
    main()
