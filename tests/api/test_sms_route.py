"""Asking for a 2FA code by SMS through the API (issue 22), against the sandbox's idmsa:
the code-required session says where the code went and which trusted phones could get
one (masked as Apple shows them); ``payload.choice`` texts a code to the chosen phone
(``PUT /verify/phone``) and the code finishes the same login there
(``POST /verify/phone/securitycode``)."""

from __future__ import annotations

from typing import Any

from tests.api.live_sandbox import CODE, LiveAPI, apple_id, live_api  # noqa: F401

PHONE_1 = "+1 (•••) •••-••81 - SMS to Phone Number"
PHONE_2 = "+44 ••••• ••••27 - SMS to Phone Number"
TEXT = "/appleauth/auth/verify/phone"
CHECK_BY_SMS = "/appleauth/auth/verify/phone/securitycode"
CHECK_ON_DEVICE = "/appleauth/auth/verify/trusteddevice/securitycode"


def _idmsa_calls(live: LiveAPI, method: str, path: str) -> int:
    return sum(1 for c in live.sandbox.exchanges() if c.method == method and c.path == path)


def _texted_phone(live: LiveAPI, name: str) -> int | None:
    """The sandbox's own record: the phone its latest sign-in texted a code to."""
    sign_ins = live.sandbox.world.sign_ins.of_account(apple_id(name))
    return sign_ins[-1].sms_phone_id if sign_ins else None


def _waiting(session: dict[str, Any]) -> tuple[str, str, str]:
    return session["state"], session["error"], session["error_info"]["sent_to"]


def test_a_code_texted_to_the_chosen_phone_finishes_the_login(live: LiveAPI) -> None:
    first = live.session("2fa-sms")
    assert _waiting(first) == ("failed", "code-required", PHONE_1)
    assert first["error_info"]["choices"] == [PHONE_1, PHONE_2]
    assert (_idmsa_calls(live, "PUT", TEXT), _texted_phone(live, "2fa-sms")) == (1, 1)

    texted = live.session("2fa-sms", choice=PHONE_2)
    assert _waiting(texted) == ("failed", "code-required", PHONE_2)
    assert (_idmsa_calls(live, "PUT", TEXT), _texted_phone(live, "2fa-sms")) == (2, 2)

    done = live.session("2fa-sms", code=CODE)
    assert (done["state"], done["error"]) == ("active", None)
    assert _idmsa_calls(live, "POST", CHECK_BY_SMS) == 1
    assert _idmsa_calls(live, "POST", CHECK_ON_DEVICE) == 0


def test_sms_instead_of_the_trusted_device(live: LiveAPI) -> None:
    first = live.session("2fa-device")
    assert _waiting(first) == ("failed", "code-required", "Trusted Device")
    assert first["error_info"]["choices"] == [PHONE_1]
    assert _idmsa_calls(live, "PUT", TEXT) == 0

    unknown = live.session("2fa-device", choice="+33 nowhere")
    assert (unknown["state"], unknown["error"]) == ("failed", "choice-invalid")
    texted = live.session("2fa-device", choice="sms")
    assert _waiting(texted) == ("failed", "code-required", PHONE_1)
    assert _texted_phone(live, "2fa-device") == 1

    done = live.session("2fa-device", code=CODE)
    assert (done["state"], done["error"]) == ("active", None)
    assert _idmsa_calls(live, "POST", CHECK_BY_SMS) == 1
    assert _idmsa_calls(live, "POST", CHECK_ON_DEVICE) == 0
