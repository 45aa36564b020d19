"""Find My devices: which devices an account (and its family) has, and where they are."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import item_rng, short_id


@dataclass(frozen=True)
class DeviceKind:
    device_class: str  # deviceClass, also the ricloud product_type
    display_name: str  # deviceDisplayName / marketing name
    raw_model: str  # rawDeviceModel / model identifier
    reachable: bool = True  # unreachable devices never report a location or battery
    battery: bool = True


# The first devices of every account cycle through the kinds, so even small specs show
# phones, tablets, computers, watches and an accessory.
KINDS = (
    DeviceKind("iPhone", "iPhone 15 Pro", "iPhone16,1"),
    DeviceKind("iPad", "iPad Air (5th generation)", "iPad13,16"),
    DeviceKind("MacBookPro", 'MacBook Pro 14"', "Mac15,3"),
    DeviceKind("Watch", "Apple Watch Series 9", "Watch7,3"),
    DeviceKind("Accessory", "AirPods Pro", "AirPods2,2", reachable=False, battery=False),
    DeviceKind("iMac", "iMac (24-inch, M3)", "Mac15,5", reachable=False),
)
MEMBER_DEVICES = 2  # each family member shows an iPhone and a Watch


@dataclass(frozen=True)
class Device:
    id: str
    index: int
    owner_prs_id: int
    owner_first_name: str
    kind: DeviceKind
    battery_level: float
    battery_status: str
    low_power_mode: bool
    latitude: float
    longitude: float
    locate_delay_fraction: float  # where in the [min, max] locate delay this device lands
    positioning: str


def prs_id(seed: int, who: int) -> int:
    """A person's stable id (``who`` 0 is the owner, 1.. the family members)."""
    return 10_000_000 + item_rng(seed, "prs", who).randrange(1_000_000, 9_000_000)


def member_name(seed: int, member: int) -> tuple[str, str]:
    rng = item_rng(seed, "member", member)
    return rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)


def _device(spec: ContentSpec, index: int, owner: int, first_name: str, kind: DeviceKind) -> Device:
    rng = item_rng(spec.seed, "device", index)
    home = item_rng(spec.seed, "home", owner).choice(words.PLACES)
    level = round(rng.uniform(0.05, 1.0), 2) if kind.battery and kind.reachable else 0.0
    status = rng.choice(("NotCharging", "Charging", "Charged")) if level else "Unknown"
    raw = short_id(spec.seed, "device", index, 24).encode()
    return Device(
        id=base64.b64encode(raw).decode(),
        index=index,
        owner_prs_id=prs_id(spec.seed, owner),
        owner_first_name=first_name,
        kind=kind,
        battery_level=level,
        battery_status=status if kind.battery else "Unknown",
        low_power_mode=level < 0.2 and rng.random() < 0.5,
        latitude=home[4] + rng.uniform(-0.05, 0.05),
        longitude=home[5] + rng.uniform(-0.05, 0.05),
        locate_delay_fraction=rng.random(),
        positioning=rng.choice(("Wifi", "GPS", "Cell")),
    )


def devices(spec: ContentSpec, owner_first_name: str, with_family: bool) -> list[Device]:
    """The owner's devices, then (with ``with_family``) each family member's."""
    out = [
        _device(spec, i, 0, owner_first_name, KINDS[i % len(KINDS)]) for i in range(spec.devices)
    ]
    if with_family:
        index = spec.devices
        for member in range(1, spec.family_members + 1):
            first, _ = member_name(spec.seed, member)
            for kind in (KINDS[0], KINDS[3])[:MEMBER_DEVICES]:
                out.append(_device(spec, index, member, first, kind))
                index += 1
    return out


def device_json(device: Device, location: dict[str, Any] | None, locating: bool) -> dict[str, Any]:
    kind = device.kind
    name = f"{device.owner_first_name}'s {kind.display_name.split(' (')[0]}"
    return {
        "id": device.id,
        "name": name,
        "deviceDisplayName": kind.display_name,
        "modelDisplayName": kind.device_class,
        "deviceModel": kind.raw_model.replace(",", "_"),
        "rawDeviceModel": kind.raw_model,
        "deviceClass": kind.device_class,
        "deviceStatus": "200" if kind.reachable else "201",
        "batteryLevel": device.battery_level,
        "batteryStatus": device.battery_status,
        "lowPowerMode": device.low_power_mode,
        "location": location,
        "isLocating": locating,
        "locationEnabled": kind.reachable,
        "locationCapable": True,
        "lostModeCapable": kind.device_class != "Accessory",
        "lostModeEnabled": False,
        "lostDevice": None,
        "prsId": device.owner_prs_id,
        "isMac": kind.device_class in ("MacBookPro", "iMac"),
        "thisDevice": False,
        "deviceWithYou": False,
        "fmlyShare": False,
        "activationLocked": True,
        "passcodeLength": 6,
        "maxMsgChar": 160,
        "snd": None,
        "msg": None,
        "remoteLock": None,
        "remoteWipe": None,
        "wipeInProgress": False,
        "canWipeAfterLock": True,
        "darkWake": False,
        "features": {
            "SND": True,
            "MSG": kind.device_class != "Accessory",
            "LOC": kind.reachable,
            "LCK": kind.device_class != "Accessory",
            "WIP": kind.device_class != "Accessory",
            "LME": kind.device_class != "Accessory",
            "CLK": False,
            "TEU": False,
            "SVP": False,
            "LLC": False,
            "REM": False,
            "KEY": False,
            "CWP": False,
        },
        "audioChannels": [],
        "trackingInfo": None,
    }


def location_json(device: Device, located_at_ms: int) -> dict[str, Any]:
    return {
        "latitude": device.latitude,
        "longitude": device.longitude,
        "altitude": 0.0,
        "horizontalAccuracy": 35.0 if device.positioning != "GPS" else 5.0,
        "verticalAccuracy": 0.0,
        "timeStamp": located_at_ms,
        "positionType": device.positioning,
        "isOld": False,
        "isInaccurate": False,
        "locationFinished": True,
        "locationType": "",
        "locationMode": None,
        "floorLevel": 0,
        "secureLocation": None,
        "secureLocationTs": 0,
    }
