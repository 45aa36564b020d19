"""Drive unmodified icloudpy's Photos service; print what it saw as one JSON line.

Usage: icloudpy_photos.py APPLE_ID PASSWORD COOKIE_DIR OUT_FILE
Lists "All Photos", then downloads the first asset's original into OUT_FILE.
"""

import json
import sys

from icloudpy import ICloudPyService


def main() -> None:
    apple_id, password, cookie_dir, out_file = sys.argv[1:5]
    api = ICloudPyService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    album = api.photos.all
    assets = list(album)
    first = assets[0]
    response = first.download()
    with open(out_file, "wb") as handle:
        for chunk in response.iter_content(chunk_size=65536):
            handle.write(chunk)
    print(
        json.dumps(
            {
                "count": len(album),
                "filenames": [a.filename for a in assets],
                "first_url": first.versions["original"]["url"],
                "first_size": first.size,
                "albums": sorted(api.photos.albums.keys()),
            }
        )
    )


if __name__ == "__main__":
    main()
