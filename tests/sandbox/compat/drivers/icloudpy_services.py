"""Drive unmodified icloudpy's Find My and contacts services.

Usage: icloudpy_services.py APPLE_ID PASSWORD COOKIE_DIR LOCATE_WAIT_SECONDS
"""

import json
import sys
import time

from icloudpy import ICloudPyService


def main() -> None:
    apple_id, password, cookie_dir, wait = sys.argv[1:5]
    api = ICloudPyService(apple_id, password, cookie_directory=cookie_dir, with_family=True)
    first = api.devices  # every access is a fresh refreshClient
    located_at_first = sum(1 for d in first if d.location() is not None)
    time.sleep(float(wait))
    later = api.devices
    devices = [{"name": d["name"], "status": d.status(), "location": d.location()} for d in later]
    everyone = api.contacts.all() or []
    print(
        json.dumps(
            {
                "located_at_first": located_at_first,
                "devices": devices,
                "contacts": len(everyone),
                "first_contact": {k: everyone[0].get(k) for k in ("firstName", "lastName")},
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
