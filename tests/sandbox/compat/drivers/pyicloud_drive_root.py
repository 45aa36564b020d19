"""Drive unmodified pyicloud's iCloud Drive: list the root folder's names.

Usage: pyicloud_drive_root.py APPLE_ID PASSWORD COOKIE_DIR
Prints what the client saw as one JSON line.
"""

import json
import sys

from pyicloud import PyiCloudService


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    print(json.dumps({"root": sorted(api.drive.root.dir())}))


if __name__ == "__main__":
    main()
