"""What a sandbox Apple ID is: its credentials, how it signs in, and what data it holds.

Accounts are plain frozen data, built deterministically from a seed, so the same
scenario always behaves the same way in tests, benchmarks and users' integrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

AuthMode = Literal[
    "none",  # password only (trusted browser after login)
    "hsa2-device",  # 2FA, code pushed to a trusted device
    "hsa2-sms",  # 2FA, SMS to a trusted phone only (no trusted devices)
    "2sv",  # legacy two-step verification (hsaVersion 1), several devices
    "security-key",  # FIDO key only: cannot be driven over the API
]


@dataclass(frozen=True)
class TrustedPhone:
    id: int
    number_with_dial_code: str  # "+1 (555) 555-0181"
    obfuscated_number: str  # "(•••) •••-••81"
    last_two_digits: str
    push_mode: str = "sms"


@dataclass(frozen=True)
class TwoSVDevice:
    device_id: str
    device_type: str  # "SMS" | "IOS"
    phone_number: str  # "*******03"
    area_code: str = ""
    device_name: str | None = None


@dataclass(frozen=True)
class GeneratedLibrary:
    """A photo library generated lazily: asset ``i`` is a pure function of (seed, i)."""

    count: int
    seed: int
    shared_count: int = 0  # assets in a Shared Library zone (SharedSync-<uuid>)
    # Where the account sees its Shared Library (docs/apple-evidence.md, "Zones"): "owner"
    # in the private database, "participant" in the shared one, "both" (``shared@``, as
    # the two capture sets address it) in both.
    shared_role: Literal["both", "owner", "participant"] = "both"
    # A Shared Library of two accounts: its own seed and its owner's dsid (the zone's
    # ``ownerRecordName``); by default the account's own seed and dsid.
    shared_seed: int | None = None
    shared_owner_dsid: str | None = None

    # "basic": two albums and a folder holding one; "rich" adds a folder nested in a
    # folder, an empty album and an album with a unicode name (sandbox.photos.library).
    album_plan: Literal["basic", "rich"] = "basic"

    @property
    def shared_library_seed(self) -> int:
        return self.seed if self.shared_seed is None else self.shared_seed


@dataclass(frozen=True)
class ReplayLibrary:
    """A photo library that is exactly the CPLMaster/CPLAsset records of a VCR capture."""

    cassette: Path


PhotoLibrary = GeneratedLibrary | ReplayLibrary

CallkitState = Literal["ok", "uninitialised", "sync-disabled"]
# Which reminders an account holds (sandbox.services.content.reminders).
RemindersPlan = Literal["basic", "rich", "upgraded"]


@dataclass(frozen=True)
class ContentSpec:
    """How much non-photo data an account holds; each item is a pure function of
    (seed, kind, index), generated lazily relative to the sandbox's clock."""

    seed: int = 0
    devices: int = 0  # Find My devices (iPhone, iPad, Mac, Watch, AirPods ...)
    family_members: int = 0
    contacts: int = 0
    events: int = 0
    notes: int = 0
    calls: int = 0
    history: int = 0  # Safari history entries
    callkit: CallkitState = "ok"
    reminders: RemindersPlan = "basic"
    # iCloud Drive's tree (sandbox.services.content.drive): every account has "basic".
    drive: Literal["basic", "rich", "100k"] = "basic"
    drive_revision: int = 0  # 1: the same Drive a while later (sandbox.services.content.drive)


@dataclass(frozen=True)
class FaultSpec:
    """Realism knobs (``cloudtap.sandbox.faults``); zero means off. Per account, these
    override the process-wide ``CLOUDTAP_SANDBOX_*`` settings."""

    latency_ms: float = 0.0  # added before every answer
    bandwidth_bps: int = 0  # bytes per second per response body
    link_bps: int = 0  # bytes per second of all download bodies together (a shared link)
    throttle_per_minute: int = 0  # answer 503 after this many requests in a minute
    reset_after_bytes: int = 0  # cut downloads (non-JSON bodies) after this many bytes
    download_url_ttl: float = 0.0  # download URLs in JSON answers expire (410) after this
    malformed_json_every: int = 0  # every Nth JSON answer is cut short


@dataclass(frozen=True)
class SandboxAccount:
    apple_id: str
    password: str = field(repr=False)
    scenario: str
    dsid: str
    first_name: str
    last_name: str
    auth: AuthMode = "none"
    # The verification code the sandbox accepts (like Plaid's "1234").
    code: str | None = None
    trusted_phones: tuple[TrustedPhone, ...] = ()
    twosv_devices: tuple[TwoSVDevice, ...] = ()
    srp_protocol: Literal["s2k", "s2k_fo"] = "s2k"
    locked: bool = False
    throttled: bool = False  # signin answers 503
    adp: bool = False  # Advanced Data Protection: CloudKit answers ACCESS_DENIED
    # With ADP: "Access iCloud Data on the Web" on, so a trusted device's consent and
    # requestPCS's cookies open CloudKit (sandbox.apple.consent).
    adp_web_access: bool = False
    # CloudKit answers ACCESS_DENIED to this many first requests, then data: Apple's
    # temporary throttling in that code (docker-icloudpd #63, #250, #652).
    access_denied_first: int = 0
    china: bool = False  # must use the .com.cn domain
    repair_required: bool = False  # signin/complete answers 412 (non-2FA account)
    terms_update: bool = False
    photos_enabled: bool = True
    photos: PhotoLibrary | None = None
    content: ContentSpec = field(default_factory=ContentSpec)
    faults: FaultSpec = field(default_factory=FaultSpec)
    country: str = "USA"
    # How real accounts fail (issue 19; docs/sandbox.md, docs/apple-evidence.md).
    error_envelope: bool = False  # contacts and calendar answer 200 {"error": 1, "reason"}
    contacts_ignore_paging: bool = False  # /co/contacts sends the whole book, any limit/offset
    signin_lockout: bool = False  # sign-in 503s; each early return doubles the lockout
    terms_signin_503: bool = False  # sign-in 503s until the owner accepts new terms
    # Seconds a 2FA login's trust lasts (None: the sandbox's default, TRUST_TOKEN_TTL);
    # its web sessions end with it, and its trust cookie says when.
    trust_lifetime: float | None = None
    # The owner changes the password once the first web session exists: the next sign-in
    # with the old one is refused and every session and trusted browser ends with it.
    password_changes: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
