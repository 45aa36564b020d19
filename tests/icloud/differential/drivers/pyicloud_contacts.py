"""pyicloud's view of an account's contacts, for the differential test.

Usage: pyicloud_contacts.py APPLE_ID PASSWORD COOKIE_DIR
Prints one JSON line: the contacts as unmodified pyicloud returned them, cut down to
the fields compared (names, company, phones, e-mail addresses).
"""

import json
import sys
from typing import Any

from pyicloud import PyiCloudService


def _fields(entries: list[Any] | None) -> list[Any]:
    return [e.get("field") for e in entries or [] if isinstance(e, dict)]


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir)
    everyone = api.contacts.all or []
    out = [
        {
            "contactId": c.get("contactId"),
            "firstName": c.get("firstName"),
            "lastName": c.get("lastName"),
            "companyName": c.get("companyName"),
            "isCompany": c.get("isCompany"),
            "phones": _fields(c.get("phones")),
            "emailAddresses": _fields(c.get("emailAddresses")),
        }
        for c in everyone
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
