"""Reading Apple's 2FA context page: the real captured boot_args and the variants."""

from __future__ import annotations

import json
from pathlib import Path

from cloudtap.icloud.auth.hsa2 import auth_options_from, parse_boot_args


def test_captured_boot_args_page(captures_dir: Path) -> None:
    page = (captures_dir / "boot_args_trusted_phone_numbers.html").read_text(encoding="utf-8")
    direct = parse_boot_args(page)
    # The page also holds "pre" and "post" scripts; only class="boot_args" counts.
    assert direct["twoSV"]["phoneNumberVerification"]["trustedPhoneNumber"]["lastTwoDigits"] == "81"
    options = auth_options_from(direct)
    assert options.has_trusted_devices is True
    assert options.phone_ids == (1,)
    assert options.default_phone_id == 1
    assert options.security_key_only is False


def test_json_form_and_bridge_placement() -> None:
    reply = {
        "direct": {
            "hasTrustedDevices": False,
            "twoSV": {
                "bridgeInitiateData": {
                    "phoneNumberVerification": {"trustedPhoneNumbers": [{"id": 7}, {"id": 9}]}
                }
            },
        }
    }
    options = auth_options_from(parse_boot_args(json.dumps(reply)))
    assert options.phone_ids == (7, 9)
    assert options.default_phone_id == 7
    assert options.has_trusted_devices is False


def test_security_key_accounts_are_recognised() -> None:
    direct = {
        "hasTrustedDevices": True,
        "authInitialRoute": "auth/verify/securitykey",
        "twoSV": {"fsaChallenge": {"challenge": "x"}, "keyNames": ["key"]},
    }
    assert auth_options_from(direct).security_key_only is True


def test_garbage_page_gives_no_options() -> None:
    options = auth_options_from(parse_boot_args("<html>oops</html>"))
    assert options.phone_ids == ()
    assert options.has_trusted_devices is False
