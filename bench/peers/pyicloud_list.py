"""Run inside pyicloud's own venv: log in and list every asset of the library.

Usage: pyicloud_list.py APPLE_ID PASSWORD COOKIE_DIR — prints {"count", "seconds"}.
"""

import json
import sys
import time

from pyicloud import PyiCloudService

apple_id, password, cookie_dir = sys.argv[1:4]
started = time.perf_counter()
api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
count = sum(1 for _ in api.photos.all)
print(json.dumps({"count": count, "seconds": time.perf_counter() - started}))
