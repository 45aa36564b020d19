"""Call history records (CallKit / ``com.apple.callhistory.sync-helper``).

Only the last ~3 months exist: iCloud cleans older call records up (the seed's
troubleshooting fact), so call ``i`` sits in slot ``i`` of the past 92 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import item_rng, item_uuid, spread

KIND = "call"
RETENTION_DAYS = 92
MIN_CALLS_TO_SYNC = 3  # devices with fewer records never trigger an iCloud sync

# (serviceProvider, callType): CallHistory's call types 1 = phone, 8 = FaceTime video,
# 16 = FaceTime audio, 0 = a third-party VoIP app (which reports through CallKit with its
# bundle id); iLEAPP reads ZCALLTYPE so (see docs/apple-evidence.md).
SERVICES = (
    ("com.apple.Telephony", 1),
    ("com.apple.Telephony", 1),
    ("com.apple.Telephony", 1),
    ("com.apple.FaceTime", 8),
    ("com.apple.FaceTime", 16),
    ("net.whatsapp.WhatsApp", 0),
)
UNICODE_EVERY, UNICODE_AT = 9, 4  # contacts whose names are not ASCII
UNICODE_NAMES = ("Zoë Müller", "José Núñez", "李小龙", "Ólafur Þórsson", "Лена Иванова")


@dataclass(frozen=True)
class Call:
    index: int
    unique_id: str
    address: str
    name: str | None
    handle_type: int  # 2 phone number, 3 email address
    date: datetime
    duration: float  # seconds; 0 for missed or declined calls
    originated: bool  # outgoing
    answered: bool
    service_provider: str
    call_type: int
    iso_country_code: str
    location: str
    read: bool


def synced_count(spec: ContentSpec) -> int:
    """How many call records iCloud holds (none when too few to trigger a sync)."""
    return spec.calls if spec.calls >= MIN_CALLS_TO_SYNC else 0


def call(spec: ContentSpec, index: int, now: datetime) -> Call:
    rng = item_rng(spec.seed, KIND, index)
    at = spread(index, spec.calls, now - timedelta(days=RETENTION_DAYS), now, rng)
    service, call_type = rng.choice(SERVICES)
    first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
    place = rng.choice(words.PLACES)
    by_email = service == "com.apple.FaceTime" and rng.random() < 0.4
    address = (
        f"{first}.{last}@example.com".lower()
        if by_email
        else f"+1555{rng.randrange(1000000, 9999999)}"
    )
    originated = rng.random() < 0.45
    answered = originated or rng.random() < 0.7
    return Call(
        index=index,
        unique_id=item_uuid(spec.seed, KIND, index),
        address=address,
        name=_name(index, f"{first} {last}") if rng.random() < 0.7 else None,
        handle_type=3 if by_email else 2,
        date=at,
        duration=round(rng.uniform(5, 1800), 1) if answered else 0.0,
        originated=originated,
        answered=answered,
        service_provider=service,
        call_type=call_type,
        iso_country_code=place[2].lower(),
        location=f"{place[0]}, {place[3]}",
        read=True if originated or answered else rng.random() < 0.5,
    )


def _name(index: int, ascii_name: str) -> str:
    if index % UNICODE_EVERY != UNICODE_AT:
        return ascii_name
    return UNICODE_NAMES[(index // UNICODE_EVERY) % len(UNICODE_NAMES)]
