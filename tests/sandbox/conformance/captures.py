"""The vendored captures of Apple replies (``tests/fixtures/<source>/``) as one list of calls.

A ``Call`` is one captured request and Apple's reply to it, grouped as the capture groups
them: an icloudpd cassette is one sequence (a sign-in flow, a listing), a public
client's test constant is a call of its own. Constants carry no request, so the table
``CONSTANT_CALLS`` says which Apple call each one answers (read from the client's own
test harness, which serves it for that URL) and which sandbox account plays the role.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
IDMSA = "https://idmsa.apple.com/appleauth/auth"
SETUP = "https://setup.icloud.com/setup/ws/1"
ACCOUNT = "https://p61-setup.icloud.com"
FMIP = "https://p61-fmipweb.icloud.com/fmipservice/client/web"
PHOTOS = "https://p61-ckdatabasews.icloud.com/database/1/com.apple.photos.cloud/production"
NOTES = "https://p61-ckdatabasews.icloud.com/database/1/com.apple.notes/production"


@dataclass(frozen=True)
class Call:
    source: str  # icloudpd | pyicloud | icloudpy | reconstructed
    group: str  # cassette stem, or "const" / "fixtures"
    name: str  # "<group>#<step>" or the constant / fixture name
    method: str
    url: str
    request_body: Any
    status: int
    body: Any
    headers: tuple[str, ...] = ()
    account: str = ""  # scenario account short name that plays the capture's user
    note: str = ""  # e.g. "wrong-code", "wrong-password"
    cookies: tuple[str, ...] = ()  # names of the cookies the reply set
    content_type: str = ""  # the reply's Content-Type, where the capture kept it
    media: bool = False  # the body was media bytes, dropped when vendored

    @property
    def label(self) -> str:
        """``METHOD host/path`` with the partition number dropped (``pNN-``)."""
        url = urlsplit(self.url)
        host = url.netloc
        if host[:1] == "p" and "-" in host:
            host = host.split("-", 1)[1]
        return f"{self.method} {host}{url.path}"


@dataclass
class Group:
    source: str
    name: str
    calls: list[Call] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.source}:{self.name}"


def fixtures_dir() -> Path:
    """The vendored fixtures; missing ones fail under CI, where a skip would hide them."""
    if not (FIXTURES / "icloudpd" / "cassettes").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"vendored captures missing under {FIXTURES}")
        pytest.skip("vendored captures are not present")
    return FIXTURES


# --- icloudpd cassettes --------------------------------------------------------------
# Which scenario account plays each cassette's user (docs/apple-evidence.md, "Sign-in").
CASSETTE_ACCOUNTS: dict[str, str] = {
    "failed_auth": "no2fa",
    "failed_auth_503": "throttled",
    "fallback_raw_password": "no2fa",
    "auth_non_2fa": "repair",
    "auth_requires_2fa": "2fa-device",
    "2fa_flow_valid_code": "2fa-device",
    "2fa_flow_valid_code_zero_lead": "2fa-device",
    "2fa_flow_invalid_code": "2fa-device",
    "2sa_flow_valid_code": "2sv",
    "2sa_flow_invalid_code": "2sv",
}
PHOTOS_ACCOUNT = "rich"  # every other cassette is a signed-in photo listing
# A listing that never asks the shared database gets a library large enough that every
# captured page is full (Apple's libraries held 33 161 assets), as on the real account.
LARGE_LIBRARY_ACCOUNT = "photos-10k"


def _listing_account(interactions: list[dict[str, Any]]) -> str:
    shared = any("/production/shared/" in item["uri"] for item in interactions)
    return PHOTOS_ACCOUNT if shared else LARGE_LIBRARY_ACCOUNT


def cassette_groups(root: Path) -> list[Group]:
    groups = []
    for path in sorted((root / "icloudpd" / "cassettes").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        group = Group("icloudpd", path.stem)
        account = CASSETTE_ACCOUNTS.get(path.stem) or _listing_account(data["interactions"])
        for step, item in enumerate(data["interactions"]):
            group.calls.append(
                Call(
                    source="icloudpd",
                    group=path.stem,
                    name=f"{path.stem}#{step}",
                    method=item["method"],
                    url=item["uri"],
                    request_body=item["request_body"],
                    status=item["status"],
                    body=item["response_body"],
                    headers=tuple(item["response_headers"]),
                    account=account,
                    note="wrong-password" if path.stem == "failed_auth" else "",
                    cookies=tuple(item.get("set_cookies", ())),
                    content_type=item.get("content_type") or "",
                    media=bool(item.get("response_bytes")),
                )
            )
        groups.append(group)
    return groups


# --- constants of the public clients' tests -------------------------------------------
# name → (method, url, account, note): the call each constant answers in the client's
# test harness (pyicloud tests/conftest.py + tests/__init__.py, icloudpy tests/__init__.py).
CONSTANT_CALLS: dict[str, tuple[str, str, str, str]] = {
    "SRP_INIT_OK": ("POST", f"{IDMSA}/signin/init", "2fa-device", ""),
    "AUTH_OK": ("POST", f"{IDMSA}/signin/complete", "2fa-device", ""),
    # A trusted 2FA account's reply (hsaVersion 2, hsaTrustedBrowser true).
    "LOGIN_WORKING": ("POST", f"{SETUP}/accountLogin", "2fa-device", ""),
    "LOGIN_2FA": ("POST", f"{SETUP}/accountLogin", "2fa-device", "untrusted"),
    "TRUSTED_DEVICES": ("GET", f"{SETUP}/listDevices", "2sv", ""),
    "VERIFICATION_CODE_OK": ("POST", f"{SETUP}/sendVerificationCode", "2sv", ""),
    "VERIFICATION_CODE_KO": ("POST", f"{SETUP}/validateVerificationCode", "2sv", "wrong-code"),
    "ACCOUNT_DEVICES_WORKING": ("GET", f"{ACCOUNT}/setup/web/device/getDevices", "rich", ""),
    "ACCOUNT_STORAGE_WORKING": ("POST", f"{ACCOUNT}/setup/ws/1/storageUsageInfo", "rich", ""),
    "ACCOUNT_FAMILY_WORKING": ("GET", f"{ACCOUNT}/setup/web/family/getFamilyDetails", "rich", ""),
    "FMI_FAMILY_WORKING": ("POST", f"{FMIP}/initClient", "rich", ""),
}
# The request body the client sends for a constant's call, where it matters to the reply:
# FMI_FAMILY_WORKING is a reply with family devices (pyicloud findmyiphone.py, fmly: true).
CONSTANT_REQUESTS: dict[str, dict[str, Any]] = {
    "FMI_FAMILY_WORKING": {
        "clientContext": {
            "appName": "iCloud Find (Web)",
            "appVersion": "2.0",
            "apiVersion": "3.0",
            "deviceListVersion": 1,
            "fmly": True,
            "timezone": "US/Pacific",
            "inactiveTime": 0,
        }
    }
}
# Constants that are request bodies or list elements, not replies.
NOT_REPLIES = {"TRUSTED_DEVICE_1"}


def constant_groups(root: Path) -> list[Group]:
    groups = []
    for source in ("pyicloud", "icloudpy"):
        data = json.loads((root / source / "const.json").read_text(encoding="utf-8"))
        group = Group(source, "const")
        for name, value in data["constants"].items():
            if name in NOT_REPLIES or name == "DATA":
                continue
            method, url, account, note = CONSTANT_CALLS[name]
            request = CONSTANT_REQUESTS.get(name)
            group.calls.append(
                Call(source, "const", name, method, url, request, 200, value, (), account, note)
            )
        if "DATA" in data["constants"]:
            group.calls += _icloudpy_photos(data["constants"]["DATA"])
        groups.append(group)
    return groups


def _icloudpy_photos(data: dict[str, list[dict[str, Any]]]) -> list[Call]:
    """icloudpy's ``DATA``: CloudKit photo queries keyed by endpoint, each with its reply."""
    calls = []
    for endpoint, pairs in data.items():
        if endpoint.startswith("http"):
            continue  # download URLs with no reply bodies
        batch = endpoint.startswith("query/batch")
        path = "internal/records/query/batch" if batch else "records/query"
        query = endpoint.split("?", 1)[1] if "?" in endpoint else ""
        for step, pair in enumerate(pairs):
            calls.append(
                Call(
                    source="icloudpy",
                    group="const",
                    name=f"DATA[{endpoint.split('?')[0]}]#{step}",
                    method="POST",
                    url=f"{PHOTOS}/private/{path}?{query}",
                    request_body=pair["data"],
                    status=200,
                    body=pair["response"],
                    account=PHOTOS_ACCOUNT,
                )
            )
    return calls


# --- pyicloud's JSON fixtures -----------------------------------------------------------
def _query_of(core: dict[str, Any], zone: str = "PrimarySync") -> dict[str, Any]:
    """pyicloud's ``*_query_core.json`` (type, limit, filters) as the CloudKit query it sends."""
    filters = []
    for name, value in core["filters"].items():
        kind = "INT64" if isinstance(value, int) else "STRING"
        field_value = {"type": kind, "value": value}
        filters.append({"fieldName": name, "comparator": "EQUALS", "fieldValue": field_value})
    return {
        "query": {"recordType": core["recordType"], "filterBy": filters},
        "resultsLimit": core["resultsLimit"],
        "zoneID": {"zoneName": zone},
    }


def _smart_album(name: str) -> dict[str, Any]:
    """The query pyicloud sends for a smart album's first two assets."""
    filters = {"direction": "ASCENDING", "startRank": 0, "smartAlbum": name}
    core = {"recordType": "CPLAssetAndMasterInSmartAlbumByAssetDate", "resultsLimit": 2}
    return _query_of({**core, "filters": filters})


SHARED_LIBRARY_ZONE = "SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E"  # pyicloud's fixtures
# fixture stem → (operation path under the database, request body or query-core stem, database)
PYICLOUD_FIXTURES: dict[str, tuple[str, str | dict[str, Any] | None, str]] = {
    "photos_zones_list_response": ("zones/list", {}, "private"),
    "photos_database_changes_response": ("changes/database", {}, "private"),
    "photos_zone_changes_response": (
        "changes/zone",
        {"zones": [{"zoneID": {"zoneName": "PrimarySync"}}]},
        "private",
    ),
    "photos_all_photos_response": ("records/query", "photos_all_photos_query_core", "private"),
    "photos_recently_added_response": (
        "records/query",
        "photos_recently_added_query_core",
        "private",
    ),
    "photos_favorites_response": ("records/query", "photos_favorites_query_core", "private"),
    "photos_album_membership_response": (
        "records/query",
        "photos_album_membership_query_core",
        "private",
    ),
    "photos_video_only_response": (
        "records/query",
        _smart_album("VIDEO"),
        "private",
    ),
    "photos_live_photo_response": (
        "records/query",
        _smart_album("LIVE"),
        "private",
    ),
    "photos_indexing_not_finished_response": (
        "records/query",
        {"query": {"recordType": "CheckIndexingState"}, "zoneID": {"zoneName": "PrimarySync"}},
        "private",
    ),
    "photos_shared_library_private_zones_response": ("zones/list", {}, "private"),
    "photos_shared_library_shared_zones_response": ("zones/list", {}, "shared"),
    "photos_shared_library_zone_changes_response": (
        "changes/zone",
        "photos_shared_library_zone_changes_request",
        "private",
    ),
    "photos_shared_library_all_photos_response": (
        "records/query",
        "photos_shared_library_all_photos_query_core",
        "private",
    ),
    "photos_shared_library_favorites_response": (
        "records/query",
        "photos_shared_library_favorites_query_core",
        "private",
    ),
    "photos_shared_library_unfavorite_response": (
        "records/modify",
        "photos_shared_library_unfavorite_request",
        "private",
    ),
    "photos_browser_mutations/photo_delete_response": (
        "records/modify",
        "photos_browser_mutations/photo_delete_request",
        "private",
    ),
    "notes/notes_query_folders_response": (
        "records/query",
        {
            # pyicloud's NotesService.folders(): the "parentless" index, two desired keys.
            "query": {
                "recordType": "SearchIndexes",
                "filterBy": [
                    {
                        "comparator": "EQUALS",
                        "fieldName": "indexName",
                        "fieldValue": {"type": "STRING", "value": "parentless"},
                    }
                ],
            },
            "desiredKeys": ["TitleEncrypted", "HasSubfolder"],
            "zoneID": {"zoneName": "Notes"},
        },
        "private",
    ),
    "notes/notes_changes_zone_response": (
        "changes/zone",
        {"zones": [{"zoneID": {"zoneName": "Notes"}}]},
        "private",
    ),
    "notes/notes_current_sync_token_changes_response": (
        "changes/zone",
        {"zones": [{"zoneID": {"zoneName": "Notes"}}]},
        "private",
    ),
    "notes/notes_current_sync_token_query_empty_response": (
        "records/query",
        {"query": {"recordType": "NoSuchType"}, "zoneID": {"zoneName": "Notes"}},
        "private",
    ),
    "notes/notes_lookup_note_response": ("records/lookup", "note", "private"),
    "notes/notes_lookup_attachment_response": ("records/lookup", "attachment", "private"),
}


def pyicloud_fixture_group(root: Path) -> Group:
    base = root / "pyicloud" / "fixtures"
    group = Group("pyicloud", "fixtures")
    for stem, (operation, request, database) in PYICLOUD_FIXTURES.items():
        body = json.loads((base / f"{stem}.json").read_text(encoding="utf-8"))
        container = NOTES if stem.startswith("notes/") else PHOTOS
        if isinstance(request, str) and (base / f"{request}.json").is_file():
            loaded = json.loads((base / f"{request}.json").read_text(encoding="utf-8"))
            zone = SHARED_LIBRARY_ZONE if "shared_library" in stem else "PrimarySync"
            request_body: Any = _query_of(loaded, zone) if "query_core" in request else loaded
        else:
            request_body = request  # a dict, or a lookup the driver fills ("note", ...)
        group.calls.append(
            Call(
                source="pyicloud",
                group="fixtures",
                name=stem,
                method="POST",
                url=f"{container}/{database}/{operation}",
                request_body=request_body,
                status=200,
                body=body,
                account="shared" if "shared_library" in stem else "rich",
            )
        )
    return group


def auth_page_group(root: Path) -> Group:
    """icloudpd's saved 2FA auth page (trusted phone numbers), as ``GET /appleauth/auth``."""
    name = "parse_trusted_phone_numbers_payload_valid"
    page = (root / "icloudpd" / "data" / f"{name}.html").read_text(encoding="utf-8")
    call = Call("icloudpd", "data", name, "GET", IDMSA, None, 200, page, (), "2fa-sms")
    return Group("icloudpd", "data", [call])


CONTACTS = "https://p61-contactsws.icloud.com/co/startup"


def reconstructed_group(root: Path) -> Group:
    """``co-startup-shape/co_startup.json``: a public ``/co/startup`` capture's structure,
    with invented values (its README: the original's licence is unknown)."""
    body = json.loads((root / "co-startup-shape" / "co_startup.json").read_text("utf-8"))
    query = "locale=en_US&order=last%2Cfirst&includePhoneNumbers=true&includePhotos=true"
    call = Call(
        "reconstructed",
        "co-startup",
        "co_startup",
        "GET",
        f"{CONTACTS}?{query}",
        None,
        200,
        body,
        (),
        PHOTOS_ACCOUNT,
    )
    return Group("reconstructed", "co-startup", [call])


def all_groups() -> list[Group]:
    root = fixtures_dir()
    return [
        *cassette_groups(root),
        auth_page_group(root),
        *constant_groups(root),
        pyicloud_fixture_group(root),
        reconstructed_group(root),
    ]
