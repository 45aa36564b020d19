"""Drive an unmodified icloudpy login and print what it saw as one JSON line.

Usage: icloudpy_auth.py APPLE_ID PASSWORD COOKIE_DIR [CODE]
"""

import json
import sys

from icloudpy import ICloudPyService


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    code = sys.argv[4] if len(sys.argv) > 4 else None
    try:
        api = ICloudPyService(apple_id, password, cookie_directory=cookie_dir, with_family=False)
    except Exception as exc:  # the test asserts on the class name
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
        return
    out = {"requires_2fa": api.requires_2fa, "requires_2sa": api.requires_2sa}
    if api.requires_2fa and code:
        out["code_accepted"] = api.validate_2fa_code(code)
    out["is_trusted_session"] = api.is_trusted_session
    out["dsid"] = api.data.get("dsInfo", {}).get("dsid")
    out["webservices"] = sorted((api.data.get("webservices") or {}).keys())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
