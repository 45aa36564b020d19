"""Drive an unmodified pyicloud login and print what it saw as one JSON line.

Run inside pyicloud's own venv with HTTPS_PROXY and REQUESTS_CA_BUNDLE pointing at the
sandbox. Usage: pyicloud_auth.py APPLE_ID PASSWORD COOKIE_DIR [CODE] [--china] [--terms]
"""

import json
import sys

from pyicloud import PyiCloudService


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    apple_id, password, cookie_dir = args[:3]
    code = args[3] if len(args) > 3 else None
    out = {}
    try:
        api = PyiCloudService(
            apple_id,
            password,
            cookie_directory=cookie_dir,
            china_mainland="--china" in flags,
            accept_terms="--terms" in flags,
            with_family=False,
        )
    except Exception as exc:  # the test asserts on the class name
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
        return
    out["requires_2fa"] = api.requires_2fa
    out["requires_2sa"] = api.requires_2sa
    out["delivery"] = api.two_factor_delivery_method
    out["security_key_names"] = api.security_key_names
    hsa_version = api.data.get("dsInfo", {}).get("hsaVersion")
    out["hsa_version"] = hsa_version
    # pyicloud also flags a legacy (hsaVersion 1) account as requires_2fa; like its CLI
    # would for such an account, take the listDevices path there.
    if api.requires_2fa and code and hsa_version != 1 and not api.security_key_names:
        if "--wrong-code-first" in flags:
            out["wrong_code_accepted"] = api.validate_2fa_code("000000")
        out["code_accepted"] = api.validate_2fa_code(code)
    elif api.requires_2sa and code:
        devices = api.trusted_devices
        out["devices"] = devices
        out["code_sent"] = api.send_verification_code(devices[0])
        if "--wrong-code-first" in flags:
            out["wrong_code_accepted"] = api.validate_verification_code(dict(devices[0]), "000000")
        out["code_accepted"] = api.validate_verification_code(devices[0], code)
    out["is_trusted_session"] = api.is_trusted_session
    out["dsid"] = api.data.get("dsInfo", {}).get("dsid")
    out["webservices"] = sorted((api.data.get("webservices") or {}).keys())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
