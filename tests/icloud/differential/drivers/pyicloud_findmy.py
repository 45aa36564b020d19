"""pyicloud's view of an account's Find My devices, for the differential test.

Usage: pyicloud_findmy.py APPLE_ID PASSWORD COOKIE_DIR
Prints one JSON line: every device unmodified pyicloud listed (with the family's), cut
down to the fields compared, after one ``refresh(locate=True)``.
"""

import json
import sys

from pyicloud import PyiCloudService


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(
        apple_id, password, cookie_directory=cookie_dir, with_family=True, refresh_interval=None
    )
    devices = api.devices
    devices.refresh(locate=True)
    out = []
    for device in devices:
        location = device.location
        out.append(
            {
                "id": device.data.get("id"),
                "name": device.name,
                "model_name": device.model_name,
                "device_type": device.device_type,
                "raw_model": device.data.get("rawDeviceModel"),
                "battery_level": device.data.get("batteryLevel"),
                "battery_status": device.data.get("batteryStatus"),
                "prs_id": device.data.get("prsId"),
                "location": (
                    {
                        "latitude": location.get("latitude"),
                        "longitude": location.get("longitude"),
                        "timeStamp": location.get("timeStamp"),
                    }
                    if location
                    else None
                ),
            }
        )
    print(
        json.dumps(
            {"devices": out, "members": sorted((devices.user_info or {}).get("membersInfo", {}))}
        )
    )


if __name__ == "__main__":
    main()
