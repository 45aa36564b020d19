"""The iCloud account service (``account`` on ``pNN-setup``): ``/setup/web/*`` and
``/setup/ws/1/storageUsageInfo``.

Devices signed in to the account (the Find My devices, minus accessories), the family
and the storage meter, so every Find My device also shows up here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import devices as device_gen
from cloudtap.sandbox.services.content.rng import short_id
from cloudtap.sandbox.world import SandboxWorld

GB = 1024**3
QUOTA = 50 * GB  # the 50 GB iCloud+ tier
# Average bytes per item, to turn the account's content into a plausible meter.
BYTES_PER_PHOTO = 3_500_000
BYTES_PER_NOTE = 6_000
BYTES_PER_CONTACT = 9_000


def _account_devices(account: SandboxAccount) -> list[dict[str, Any]]:
    return [
        {
            "name": signed_in.device.name,
            "model": signed_in.device.kind.raw_model,
            "modelDisplayName": signed_in.device.kind.display_name,
            "serialNumber": signed_in.serial_number,
            "osVersion": signed_in.os_version,
            "udid": signed_in.udid,
            "imei": signed_in.imei,
            "paymentMethods": [],
            "modelSmallPhotoURL1x": "",
            "modelLargePhotoURL1x": "",
        }
        for signed_in in device_gen.signed_in_devices(account.content, account.first_name)
    ]


def _family(account: SandboxAccount) -> list[dict[str, Any]]:
    spec = account.content
    members: list[dict[str, Any]] = []
    people = [(account.first_name, account.last_name)] + [
        device_gen.member_name(spec.seed, m) for m in range(1, spec.family_members + 1)
    ]
    if len(people) == 1:
        return []
    for who, (first, last) in enumerate(people):
        dsid = str(device_gen.prs_id(spec.seed, who))
        email = account.apple_id if who == 0 else device_gen.member_apple_id(spec.seed, who)
        members.append(
            {
                "lastName": last,
                "dsid": account.dsid if who == 0 else dsid,
                "originalInvitationEmail": email,
                "fullName": f"{first} {last}",
                "ageClassification": "ADULT" if who < 2 else "CHILD",
                "appleIdForPurchases": email,
                "appleId": account.apple_id if who == 0 else email,
                "familyId": "F" + short_id(spec.seed, "family", 0, 10),
                "firstName": first,
                "hasParentalPrivileges": who < 2,
                "hasScreenTimeEnabled": who >= 2,
                "hasAskToBuyEnabled": who >= 2,
                "hasSharePurchasesEnabled": True,
                "shareMyLocationEnabledFamilyMembers": [],
                "hasShareMyLocationEnabled": True,
                "dsidForPurchases": dsid,
            }
        )
    return members


def _storage(account: SandboxAccount) -> dict[str, Any]:
    spec = account.content
    photos = account.photo_count * BYTES_PER_PHOTO
    docs = spec.notes * BYTES_PER_NOTE + spec.contacts * BYTES_PER_CONTACT
    backup = 4 * GB if spec.devices else 0
    mail = 700_000_000
    used = photos + docs + backup + mail
    media = [
        ("photos", "Photos and Videos", "ffcc00", photos),
        ("backup", "Backup", "5856d6", backup),
        ("docs", "Documents", "ff9500", docs),
        ("mail", "Mail", "007aff", mail),
    ]
    return {
        "storageUsageByMedia": [
            {"mediaKey": key, "displayLabel": label, "displayColor": colour, "usageInBytes": n}
            for key, label, colour, n in media
        ],
        "storageUsageInfo": {
            "compStorageInBytes": 0,
            "usedStorageInBytes": used,
            "totalStorageInBytes": QUOTA,
            "commerceStorageInBytes": QUOTA,
        },
        "quotaStatus": {
            "overQuota": used > QUOTA,
            "haveMaxQuotaTier": False,
            "almost-full": used > QUOTA * 0.9,
            "paidQuota": True,
        },
        "familyStorageUsageInfo": None,
    }


async def get_devices(request: Request) -> Response:
    account = _web.account_of(request)
    return JSONResponse({"devices": _account_devices(account), "paymentMethods": []})


async def get_family(request: Request) -> Response:
    account = _web.account_of(request)
    members = _family(account)
    return JSONResponse(
        {
            "status-message": "Member of a family." if members else "Not a member of a family.",
            "familyInvitations": [],
            "outgoingTransferRequests": [],
            "isMemberOfFamily": bool(members),
            "family": {
                "familyId": members[0]["familyId"],
                "organizer": account.dsid,
                "members": [m["dsid"] for m in members],
            }
            if members
            else None,
            "familyMembers": members,
            "status": 0,
            "showAddMemberButton": True,
        }
    )


async def member_photo(request: Request) -> Response:
    _web.account_of(request)
    return JSONResponse({"success": False, "error": "no photo", "errorCode": 404}, 404)


async def storage(request: Request) -> Response:
    account = _web.account_of(request)
    return JSONResponse(_storage(account))


def account_app(world: SandboxWorld) -> ASGIApp:
    return _web.service_app(
        world,
        [
            Route("/setup/web/device/getDevices", get_devices, methods=["GET", "POST"]),
            Route("/setup/web/family/getFamilyDetails", get_family, methods=["GET", "POST"]),
            Route("/setup/web/family/getMemberPhoto", member_photo, methods=["GET"]),
            Route("/setup/ws/1/storageUsageInfo", storage, methods=["GET", "POST"]),
        ],
    )


# webservices key ``account``, served on Apple's own host label (pNN-setup).
register_service("setup", account_app)
