"""Asking for an HSA2 code by SMS instead: what the account holder is told, and picking
the phone they chose.

A login waiting for a code says where the code went and which trusted phones could get
one by SMS (``error_info``: ``sent_to`` and ``choices``, numbers masked as Apple shows
them). Sending ``choice`` back (``"sms"`` for Apple's default phone, a choice's text, or a
phone's id) texts a new code there; the code then completes the same login.
"""

from __future__ import annotations

from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.auth.hsa2 import CodeRoute

SMS_SUFFIX = " - SMS to Phone Number"  # as the 2SV choices read (twosv.choice_label)
TRUSTED_DEVICE = "Trusted Device"


def code_info(route: CodeRoute) -> dict[str, Any]:
    """``error_info`` of a login waiting for this route's code (no secret in it)."""
    labels = dict(route.phones)
    if route.delivery == "sms" and route.phone_id is not None:
        sent_to = labels.get(route.phone_id, f"phone {route.phone_id}") + SMS_SUFFIX
    else:
        sent_to = TRUSTED_DEVICE
    return {"sent_to": sent_to, "choices": [label + SMS_SUFFIX for _, label in route.phones]}


def pick_phone(route: CodeRoute, choice: str) -> int:
    """The trusted phone ``choice`` names; :class:`errors.ChoiceInvalid` if none."""
    wanted = choice.strip()
    if not route.phones:
        raise errors.ChoiceInvalid("This Apple ID has no trusted phone to text a code to")
    if wanted.lower() == "sms":
        return route.phone_id if route.delivery == "sms" and route.phone_id else route.phones[0][0]
    for phone_id, label in route.phones:
        if wanted in (str(phone_id), label, label + SMS_SUFFIX):
            return phone_id
    raise errors.ChoiceInvalid(
        "Choose one of the trusted phones", info=code_info(route) | {"choice": wanted}
    )
