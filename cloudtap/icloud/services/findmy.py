"""Find My (``findme`` → ``/fmipservice/client/web/initClient``).

One ``initClient`` with ``shouldLocate`` both returns the devices with their last known
locations and asks reachable devices to report again; fresh locations appear on a later
call (10-30 s on Apple), which is why the seed asks for a second poll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import json_body, raise_for_common

CLIENT_CONTEXT = {
    "appName": "iCloud Find (Web)",
    "appVersion": "2.0",
    "apiVersion": "3.0",
    "deviceListVersion": 1,
    "fmly": True,
    "timezone": "US/Pacific",
    "inactiveTime": 0,
    "shouldLocate": True,
    "selectedDevice": "all",
}


@dataclass(frozen=True)
class FindMyReply:
    devices: list[dict[str, Any]]
    # userInfo.membersInfo: family members by prsId (a device's ``prsId`` names its owner)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)


async def devices(client: AppleClient) -> FindMyReply:
    root = client.session.service_url("findme")
    if not root:
        raise errors.ServiceDisabled("Find My is not available for this account")
    response = await client.service(
        "POST",
        f"{root.rstrip('/')}/fmipservice/client/web/initClient",
        json={"clientContext": CLIENT_CONTEXT, "isUpdatingAllLocations": True},
        retry=False,  # it triggers a locate: not something to repeat blindly
    )
    raise_for_common(response)
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise errors.AppleUnavailable(f"Find My answered HTTP {response.status_code}")
    user_info = body.get("userInfo") if isinstance(body.get("userInfo"), dict) else {}
    members = (user_info or {}).get("membersInfo")
    return FindMyReply(
        devices=[d for d in body.get("content") or [] if isinstance(d, dict)],
        members={
            str(prs_id): member
            for prs_id, member in (members.items() if isinstance(members, dict) else [])
            if isinstance(member, dict)
        },
    )
