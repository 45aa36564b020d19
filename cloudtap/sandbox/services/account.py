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
from cloudtap.sandbox.services.content import storage as storage_gen
from cloudtap.sandbox.services.content.rng import short_id
from cloudtap.sandbox.world import SandboxWorld

IMAGES = "https://statici.icloud.com/fmipmobile/deviceImages-4.0"


def _photo_url(device: device_gen.Device, size: str) -> str:
    """statici's device picture, named as in pyicloud's ACCOUNT_DEVICES_WORKING."""
    kind = device.kind
    model = kind.raw_model + (f"-{kind.color}" if kind.color else "")
    return f"{IMAGES}/{kind.device_class}/{model}/online-{size}.png"


def _payment_methods(account: SandboxAccount) -> list[dict[str, Any]]:
    return [
        {
            "lastFourDigits": card.last_four_digits,
            "balanceStatus": "NOTAPPLICABLE",  # the constant's, for every card
            "suspensionReason": "ACTIVE",
            "id": card.id,
            "type": card.type,
        }
        for card in device_gen.payment_methods(account.content)
    ]


def _account_devices(account: SandboxAccount) -> list[dict[str, Any]]:
    cards = [card.id for card in device_gen.payment_methods(account.content)]
    wallet = device_gen.WALLET_CLASSES
    return [
        {
            "serialNumber": signed_in.serial_number,
            "osVersion": f"{signed_in.os_name};{signed_in.os_version}",
            "modelLargePhotoURL2x": _photo_url(signed_in.device, "infobox__2x"),
            "modelLargePhotoURL1x": _photo_url(signed_in.device, "infobox"),
            "paymentMethods": cards if signed_in.device.kind.device_class in wallet else [],
            "name": signed_in.device.name,
            "imei": signed_in.imei,
            "model": signed_in.device.kind.raw_model,
            "udid": signed_in.udid,
            "modelSmallPhotoURL2x": _photo_url(signed_in.device, "sourcelist__2x"),
            "modelSmallPhotoURL1x": _photo_url(signed_in.device, "sourcelist"),
            "modelDisplayName": signed_in.device.kind.display_name,
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
    meter = storage_gen.usage(account)
    used, total = meter.used_bytes, meter.total_bytes
    return {
        "storageUsageByMedia": [
            {
                "mediaKey": m.key,
                "displayLabel": m.label,
                "displayColor": m.colour,
                "usageInBytes": m.used_bytes,
            }
            for m in meter.media
        ],
        "storageUsageInfo": {
            "compStorageInBytes": 0,
            "usedStorageInBytes": used,
            "totalStorageInBytes": total,
            "commerceStorageInBytes": total,
        },
        "quotaStatus": {
            "overQuota": used > total,
            "haveMaxQuotaTier": False,
            "almost-full": used > total * 0.9,
            "paidQuota": True,
        },
        "familyStorageUsageInfo": None,
    }


async def get_devices(request: Request) -> Response:
    account = _web.account_of(request)
    return JSONResponse(
        {"devices": _account_devices(account), "paymentMethods": _payment_methods(account)}
    )


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
                # The world has no pending invitation or transfer (lists as in the
                # constant, empty); the etag versions the family, which never changes
                # here: one version per member who joined.
                "transferRequests": [],
                "invitations": [],
                "organizer": account.dsid,
                "members": [m["dsid"] for m in members],
                "outgoingTransferRequests": [],
                "etag": str(len(members)),
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
