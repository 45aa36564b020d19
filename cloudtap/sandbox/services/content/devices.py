"""Find My devices: which devices an account (and its family) has, and where they are.

The generator is the ground truth: every value the Find My and account hosts put on the
wire comes from a ``Device`` here. Key sets and value shapes follow the public
``initClient`` fixture (pyicloud ``tests/const/const_findmyiphone.py``; see
docs/apple-evidence.md "Find My").
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import day_start, item_rng, item_uuid, short_id, today


def _flags(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ALL_FEATURES = _flags(
    "BTR CLK CLT CWP KEY KPD LCK LKL LKM LLC LMG LOC LST MCS MSG PIN PSS REM SND SPN SVP TEU "
    "WIP WMG XRM"
)
# The feature flags each family of device shows in the fixture (the rest are false).
_PHONE_FEATURES = frozenset(_flags("TEU SND MSG LOC LST WMG LCK REM WIP"))
_MAC_FEATURES = frozenset(_flags("SND MSG LOC LMG LKM PIN LCK REM KEY KPD WIP"))
_ACCESSORY_FEATURES = frozenset(_flags("BTR SND MSG LOC PSS MCS"))
# AirPods list their two earbuds (fixture's "AirPods_8207").
_EARBUDS: tuple[dict[str, Any], ...] = (
    {"name": "left", "available": 1, "playing": False, "muted": False},
    {"name": "right", "available": 1, "playing": False, "muted": False},
)


@dataclass(frozen=True)
class DeviceKind:
    device_class: str  # deviceClass, also the ricloud product_type
    display_name: str  # deviceDisplayName / marketing name
    raw_model: str  # rawDeviceModel / model identifier
    model_display: str  # modelDisplayName: the family ("MacBook Pro", "iPhone")
    color: str | None  # deviceColor, also the suffix of deviceModel
    reachable: bool = True  # unreachable devices never report a location or battery
    battery: bool = True

    @property
    def is_mac(self) -> bool:
        return self.model_display in ("MacBook Pro", "iMac")

    @property
    def features(self) -> frozenset[str]:
        if self.device_class == "Accessory":
            return _ACCESSORY_FEATURES
        return _MAC_FEATURES if self.is_mac else _PHONE_FEATURES


# The first devices of every account cycle through the kinds, so even small specs show
# phones, tablets, computers, watches and an accessory.
KINDS = (
    DeviceKind("iPhone", "iPhone 15 Pro", "iPhone16,1", "iPhone", "1-9-0"),
    DeviceKind("iPad", "iPad Air (5th generation)", "iPad13,16", "iPad", "2-4-0"),
    DeviceKind("MacBookPro", 'MacBook Pro 14"', "Mac15,3", "MacBook Pro", "spacegray"),
    DeviceKind("Watch", "Apple Watch Series 9", "Watch7,3", "Apple Watch", "midnight"),
    DeviceKind(
        "Accessory", "AirPods Pro", "AirPods2,2", "Accessory", "0", reachable=False, battery=False
    ),
    DeviceKind("iMac", "iMac (24-inch, M3)", "Mac15,5", "iMac", None, reachable=False),
)
MEMBER_DEVICES = 2  # each family member shows an iPhone and a Watch
# iOS names a device "<first name>'s <model>" with a typographic apostrophe (U+2019); some
# owner devices carry a renamed, non-ASCII name so every client must keep unicode intact.
APOSTROPHE = "\u2019"
RENAMED = {
    1: "{first}" + APOSTROPHE + "s iPad \u2728",
    2: "B\u00fcro-Mac ({first})",
    4: "AirPods \u2014 {first}",
}


@dataclass(frozen=True)
class ActionHistory:
    """The last Find My actions on a device (epoch ms), as the fixture's devices show them.

    ``lost_at``: lost mode was switched on once and has ended (fixture statusCode 2201).
    """

    sound_at: int | None = None
    message_at: int | None = None
    lost_at: int | None = None
    locked_at: int | None = None


@dataclass(frozen=True)
class Device:
    id: str
    index: int
    member: int  # 0: the account holder; 1..: family member number
    owner_prs_id: int
    owner_first_name: str
    name: str  # the user-set device name
    kind: DeviceKind
    battery_level: float
    battery_status: str
    low_power_mode: bool
    latitude: float
    longitude: float
    horizontal_accuracy: float
    locate_delay_fraction: float  # where in the [min, max] locate delay this device lands
    positioning: str
    ba_uuid: str  # "" for devices without Bluetooth-accessory pairing (as in the fixture)
    activation_locked: bool
    loc_found_enabled: bool  # "notify when found" armed
    audio_channels: tuple[dict[str, Any], ...] = field(default=())
    history: ActionHistory = field(default_factory=lambda: ActionHistory())

    @property
    def prs_id(self) -> str | None:
        """The wire ``prsId``: null on the holder's own devices, the member's id on theirs."""
        return None if self.member == 0 else str(self.owner_prs_id)


def prs_id(seed: int, who: int) -> int:
    """A person's stable id (``who`` 0 is the owner, 1.. the family members)."""
    return 10_000_000 + item_rng(seed, "prs", who).randrange(1_000_000, 9_000_000)


def member_name(seed: int, member: int) -> tuple[str, str]:
    rng = item_rng(seed, "member", member)
    return rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)


def member_apple_id(seed: int, member: int) -> str:
    first, _ = member_name(seed, member)
    return f"{first.lower()}@example.com"


def device_name(kind: DeviceKind, first_name: str, index: int, member: int) -> str:
    if member == 0 and index in RENAMED:
        return RENAMED[index].format(first=first_name)
    return f"{first_name}{APOSTROPHE}s {kind.display_name.split(' (')[0]}"


def _device(
    spec: ContentSpec, index: int, member: int, first_name: str, kind: DeviceKind
) -> Device:
    rng = item_rng(spec.seed, "device", index)
    home = item_rng(spec.seed, "home", member).choice(words.PLACES)
    level = round(rng.uniform(0.05, 1.0), 2) if kind.battery and kind.reachable else 0.0
    status = rng.choice(("NotCharging", "Charging", "Charged")) if level else "Unknown"
    raw = short_id(spec.seed, "device", index, 24).encode()
    positioning = rng.choice(("Wifi", "GPS", "Cell"))
    latitude = home[4] + rng.uniform(-0.05, 0.05)
    longitude = home[5] + rng.uniform(-0.05, 0.05)
    locate_delay = rng.random()
    low_power = level < 0.2 and rng.random() < 0.5
    locked = kind.device_class != "Accessory"
    history = _history(spec.seed, index, kind, rng.random(), rng.random())
    return Device(
        id=base64.b64encode(raw).decode(),
        index=index,
        member=member,
        owner_prs_id=prs_id(spec.seed, member),
        owner_first_name=first_name,
        name=device_name(kind, first_name, index, member),
        kind=kind,
        battery_level=level,
        battery_status=status if kind.battery else "Unknown",
        low_power_mode=low_power,
        latitude=latitude,
        longitude=longitude,
        horizontal_accuracy=5.0 if positioning == "GPS" else 35.0,
        locate_delay_fraction=locate_delay,
        positioning=positioning,
        ba_uuid=item_uuid(spec.seed, "ba-uuid", index) if locked else "",
        activation_locked=locked,
        loc_found_enabled=rng.random() < 0.2,
        audio_channels=_EARBUDS if kind.device_class == "Accessory" else (),
        history=history,
    )


def _days_ago_ms(seed: int, kind: str, index: int, most: int) -> int:
    """A moment 1..``most`` days before today (stable all day, moves with the day)."""
    rng = item_rng(seed, kind, index)
    moment = day_start(today()).timestamp() - rng.uniform(86_400, most * 86_400)
    return int(moment * 1000)


def _history(seed: int, index: int, kind: DeviceKind, roll: float, other: float) -> ActionHistory:
    """Some devices were rung, messaged, put in (and out of) lost mode, or locked."""
    messaging = kind.device_class != "Accessory"
    return ActionHistory(
        sound_at=_days_ago_ms(seed, "snd", index, 90) if roll < 0.5 else None,
        message_at=_days_ago_ms(seed, "msg", index, 400) if messaging and other < 0.4 else None,
        lost_at=_days_ago_ms(seed, "lost", index, 900) if kind.device_class == "iPad" else None,
        # The offline iMac was locked remotely once (the fixture's MacBookPro11,3 shows it).
        locked_at=_days_ago_ms(seed, "lock", index, 700) if kind.device_class == "iMac" else None,
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


def _status(at_ms: int | None, code: str) -> dict[str, Any] | None:
    return None if at_ms is None else {"createTimestamp": at_ms, "statusCode": code}


def _message(at_ms: int | None) -> dict[str, Any] | None:
    if at_ms is None:
        return None
    flags = {"strobe": False, "userText": True, "playSound": False, "vibrate": False}
    return {**flags, "createTimestamp": at_ms, "statusCode": "200"}


def _lost_device(at_ms: int | None) -> dict[str, Any] | None:
    """A lost mode that has ended (statusCode 2201, as on the fixture's iPhone 4s)."""
    if at_ms is None:
        return None
    return {
        "stopLostMode": False,
        "emailUpdates": True,
        "userText": True,
        "sound": False,
        "ownerNbr": "",
        "text": "",
        "createTimestamp": at_ms,
        "statusCode": "2201",
    }


def device_json(device: Device, location: dict[str, Any] | None, locating: bool) -> dict[str, Any]:
    kind = device.kind
    history = device.history
    return {
        "id": device.id,
        "name": device.name,
        "deviceDisplayName": kind.display_name,
        "modelDisplayName": kind.model_display,
        "deviceModel": kind.raw_model.replace(",", "_") + (f"-{kind.color}" if kind.color else ""),
        "rawDeviceModel": kind.raw_model,
        "deviceClass": kind.device_class,
        "deviceColor": kind.color,
        "deviceStatus": "200" if kind.reachable else "201",
        "batteryLevel": device.battery_level,
        "batteryStatus": device.battery_status,
        "lowPowerMode": device.low_power_mode,
        "location": location,
        "isLocating": locating,
        "locationEnabled": kind.reachable,
        "locationCapable": True,
        "locFoundEnabled": device.loc_found_enabled,
        "lostModeCapable": kind.device_class in ("iPhone", "iPad", "Watch"),
        "lostModeEnabled": False,
        "lostDevice": _lost_device(history.lost_at),
        "lostTimestamp": "",
        "lockedTimestamp": None,
        "wipedTimestamp": None,
        "prsId": device.prs_id,
        "isMac": kind.is_mac,
        "thisDevice": False,
        "fmlyShare": device.member != 0,
        "baUUID": device.ba_uuid,
        "activationLocked": device.activation_locked,
        "passcodeLength": 6,
        "maxMsgChar": 500 if kind.is_mac else 160,
        "snd": _status(history.sound_at, "200"),
        "msg": _message(history.message_at),
        "mesg": _status(history.message_at, "200"),
        "remoteLock": _status(history.locked_at, "2201"),
        "remoteWipe": None,
        "wipeInProgress": False,
        "canWipeAfterLock": kind.device_class in ("iPhone", "iPad", "Watch"),
        "darkWake": False,
        "features": {flag: flag in kind.features for flag in _ALL_FEATURES},
        "audioChannels": [dict(channel) for channel in device.audio_channels],
        "trackingInfo": None,
    }


def location_json(device: Device, located_at_ms: int) -> dict[str, Any]:
    return {
        "latitude": device.latitude,
        "longitude": device.longitude,
        "altitude": 0.0,
        "horizontalAccuracy": device.horizontal_accuracy,
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


@dataclass(frozen=True)
class SignedInDevice:
    """A device as the account service lists it (its Find My twin, plus hardware facts).

    Shapes follow pyicloud's ``ACCOUNT_DEVICES_WORKING``: the serial and IMEI are masked
    but for their last five characters, and Macs have no IMEI.
    """

    device: Device
    serial_number: str
    os_name: str  # "iOS", "OSX", "watchOS"
    os_version: str  # "18.1"
    udid: str
    imei: str


def _os(kind: DeviceKind) -> tuple[str, str]:
    if kind.device_class == "Watch":
        return "watchOS", "11.1"  # no capture of a watch: assumed alike
    return ("OSX", "15.1") if kind.is_mac else ("iOS", "18.1")


@dataclass(frozen=True)
class PaymentMethod:
    """A card in the account's Apple Pay Wallet, as ``getDevices`` lists it."""

    id: str
    type: str  # the card's display name
    last_four_digits: str


_CARDS = ("Apple Card", "Visa Debit", "Mastercard")
# Apple Pay lives in the Wallet of iPhones and Watches: they hold every card.
WALLET_CLASSES = frozenset({"iPhone", "Watch"})


def payment_methods(spec: ContentSpec) -> list[PaymentMethod]:
    """One or two cards per account (the shape of pyicloud's ACCOUNT_DEVICES_WORKING)."""
    out = []
    for k in range(1 + spec.seed % 2):
        rng = item_rng(spec.seed, "card", k)
        out.append(
            PaymentMethod(
                id="PM" + short_id(spec.seed, "card", k, 14).upper(),
                type=_CARDS[(spec.seed + k) % len(_CARDS)],
                last_four_digits=f"{rng.randrange(10000):04d}",
            )
        )
    return out


def signed_in_devices(spec: ContentSpec, owner_first_name: str) -> list[SignedInDevice]:
    """The account's own devices that sign in to iCloud (accessories do not)."""
    out = []
    for device in devices(spec, owner_first_name, with_family=False):
        if device.kind.device_class == "Accessory":
            continue
        rng = item_rng(spec.seed, "serial", device.index)
        os_name, os_version = _os(device.kind)
        cellular = device.kind.device_class == "iPhone"
        out.append(
            SignedInDevice(
                device=device,
                serial_number="\u25cf" * 7 + short_id(spec.seed, "sn", device.index, 5).upper(),
                os_name=os_name,
                os_version=os_version,
                udid=short_id(spec.seed, "udid", device.index, 40),
                imei="\u25cf" * 10 + str(rng.randrange(10000, 99999)) if cellular else "",
            )
        )
    return out
