"""The account document that ``accountLogin`` and ``validate`` answer with.

Shape and key set follow the captured replies (``fixtures/apple-captures/
successful_auth.yml``); values come from the sandbox account. Service URLs live on the
account's own partition (``pNN-<key>.icloud.com``), so clients must read them from here.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from cloudtap.sandbox.accounts.model import ReplayLibrary, SandboxAccount
from cloudtap.sandbox.capture_replay import captured_webservices
from cloudtap.sandbox.hosts import SETUP, SETUP_CN, service_url

# The webservices keys of every captured accountLogin/validate reply, in Apple's order.
# Apple lists them all before the second factor too (auth_requires_2fa.yml): the web
# session cookies, not this list, are what gate the services.
SERVICE_KEYS: tuple[str, ...] = (
    "reminders",
    "ckdatabasews",
    "photosupload",
    "photos",
    "drivews",
    "uploadimagews",
    "schoolwork",
    "cksharews",
    "findme",
    "ckdeviceservice",
    "iworkthumbnailws",
    "mccgateway",
    "calendar",
    "docws",
    "settings",
    "premiummailsettings",
    "ubiquity",
    "keyvalue",
    "mpp",
    "archivews",
    "push",
    "iwmb",
    "iworkexportws",
    "sharedlibrary",
    "geows",
    "account",
    "contacts",
    "developerapi",
)
_PCS_REQUIRED = {"ckdatabasews", "photosupload", "photos", "drivews", "docws"}
_EMPTY = {"schoolwork"}  # captured as ``{}``
_NO_STATUS = {"ckdeviceservice"}  # captured with a url only

_APPS: dict[str, dict[str, Any]] = {
    "calendar": {},
    "reminders": {},
    "keynote": {"isQualifiedForBeta": True},
    "settings": {"canLaunchWithOneFactor": True},
    "mail": {},
    "numbers": {"isQualifiedForBeta": True},
    "photos": {},
    "pages": {"isQualifiedForBeta": True},
    "notes3": {},
    "find": {"canLaunchWithOneFactor": True},
    "iclouddrive": {},
    "newspublisher": {"isHidden": True},
    "contacts": {},
}
_APPS_ORDER = [
    "mail",
    "contacts",
    "calendar",
    "photos",
    "iclouddrive",
    "notes3",
    "reminders",
    "pages",
    "numbers",
    "keynote",
    "newspublisher",
    "find",
    "settings",
]


def partition_of(account: SandboxAccount) -> int:
    """A stable pNN partition per account (Apple spreads accounts over partitions)."""
    digest = hashlib.sha256(account.dsid.encode()).digest()
    return 20 + digest[0] % 60


def web_access(account: SandboxAccount) -> bool:
    """Whether web access to iCloud data is on: off only for ADP accounts that turned it off."""
    return not account.adp or account.adp_web_access


def hsa_version(account: SandboxAccount) -> int:
    if account.auth == "2sv":
        return 1
    return 0 if account.auth == "none" else 2


def webservices(account: SandboxAccount) -> dict[str, Any]:
    partition = partition_of(account)
    captured = _captured_webservices(account)
    if captured is not None:
        return _on_partition(captured, partition, account.china)
    services: dict[str, Any] = {}
    for key in SERVICE_KEYS:
        if key in _EMPTY:
            services[key] = {}
            continue
        entry: dict[str, Any] = {}
        if key in _PCS_REQUIRED:
            entry["pcsRequired"] = True
        if key == "photos":
            entry["uploadUrl"] = service_url("photosupload", partition, account.china)
        if key == "calendar":
            entry["isMakoAccount"] = False
        if key == "account":
            entry["iCloudEnv"] = {"shortId": "p", "vipSuffix": "prod"}
        entry["url"] = service_url(key, partition, account.china)
        if key not in _NO_STATUS:
            entry["status"] = "active"
        services[key] = entry
    if not account.photos_enabled:
        # iCloud Photos switched off: Apple lists the service but not as active.
        for key in ("photos", "photosupload"):
            services[key]["status"] = "inactive"
    elif account.photos is not None:
        # Shared albums: absent from the captures (accounts without any), read by pyicloud
        # and other public clients where listed (docs/apple-evidence.md, "Shared albums").
        url = service_url("sharedstreams", partition, account.china)
        services["sharedstreams"] = {"url": url, "status": "active"}
    return services


def _captured_webservices(account: SandboxAccount) -> dict[str, Any] | None:
    """A replayed capture's own services (what the captured account had)."""
    library = account.photos
    if not isinstance(library, ReplayLibrary) or not library.cassette.name.startswith("capture_"):
        return None
    return captured_webservices(library.cassette)


def _on_partition(captured: dict[str, Any], partition: int, china: bool) -> dict[str, Any]:
    """The captured entries (keys, statuses, flags) with every URL on the replay
    account's own hosts: the captured ones are another account's, or redacted."""
    services: dict[str, Any] = {}
    for key, entry in captured.items():
        out = dict(entry) if isinstance(entry, dict) else {}
        if "url" in out:
            out["url"] = service_url(key, partition, china)
        if "uploadUrl" in out:
            out["uploadUrl"] = service_url("photosupload", partition, china)
        services[key] = out
    return services


def ds_info(account: SandboxAccount) -> dict[str, Any]:
    version = hsa_version(account)
    ads_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cloudtap-sandbox:{account.dsid}"))
    language = "zh-cn" if account.china else "en-us"
    return {
        "lastName": account.last_name,
        "iCDPEnabled": False,
        "tantorMigrated": False,
        "dsid": account.dsid,
        "hsaEnabled": version > 0,
        "ironcadeMigrated": True,
        "locale": "zh-cn_CN" if account.china else "en-us_US",
        "brZoneConsolidated": False,
        "ICDRSCapableDeviceList": "",
        "isManagedAppleID": False,
        "isCustomDomainsFeatureAvailable": True,
        "isHideMyEmailFeatureAvailable": True,
        "ContinueOnDeviceEligibleDeviceInfo": [],
        "gilligan-invited": True,
        "appleIdAliases": [],
        "hsaVersion": version,
        "ubiquityEOLEnabled": True,
        "isPaidDeveloper": False,
        "countryCode": account.country,
        "notificationId": str(uuid.uuid5(uuid.NAMESPACE_OID, account.dsid)),
        "primaryEmailVerified": True,
        "aDsID": ads_id,
        "locked": account.locked,
        "ICDRSCapableDeviceCount": 0,
        "hasICloudQualifyingDevice": version == 2,
        "primaryEmail": account.apple_id,
        "appleIdEntries": [{"isPrimary": True, "type": "EMAIL", "value": account.apple_id}],
        "gilligan-enabled": True,
        "isWebAccessAllowed": web_access(account),
        "fullName": account.full_name,
        "mailFlags": {
            "isThreadingAvailable": False,
            "isSearchV2Provisioned": False,
            "rawBits": [0] * 64,
            "isCKMail": False,
            "isMppSupportedInCurrentCountry": True,
        },
        "languageCode": language,
        "appleId": account.apple_id,
        "analyticsOptInStatus": False,
        "firstName": account.first_name,
        "iCloudAppleIdAlias": "",
        "notesMigrated": True,
        "beneficiaryInfo": {"isBeneficiary": False},
        "hasPaymentInfo": False,
        "pcsDeleted": False,
        "appleIdAlias": "",
        "brMigrated": True,
        "statusCode": 2,
        "familyEligible": True,
    }


def account_reply(
    account: SandboxAccount, *, trusted: bool, terms_update_needed: bool = False
) -> dict[str, Any]:
    setup_host = SETUP_CN if account.china else SETUP
    version = hsa_version(account)
    reply: dict[str, Any] = {
        "dsInfo": ds_info(account),
        "hasMinimumDeviceForPhotosWeb": True,
        "iCDPEnabled": False,
        "webservices": webservices(account),
        "pcsEnabled": True,
        "configBag": {
            "urls": {
                "accountCreateUI": "https://appleid.apple.com/widget/account/?widgetKey=#!create",
                "accountLoginUI": "https://idmsa.apple.com/appleauth/auth/signin?widgetKey=",
                "accountLogin": f"https://{setup_host}/setup/ws/1/accountLogin",
                "accountRepairUI": "https://appleid.apple.com/widget/account/?widgetKey=#!repair",
                "downloadICloudTerms": f"https://{setup_host}/setup/ws/1/downloadLiteTerms",
                "repairDone": f"https://{setup_host}/setup/ws/1/repairDone",
                "accountAuthorizeUI": (
                    "https://idmsa.apple.com/appleauth/auth/authorize/signin?client_id="
                ),
                "vettingUrlForEmail": "https://id.apple.com/IDMSEmailVetting/vetShareEmail",
                "accountCreate": f"https://{setup_host}/setup/ws/1/createLiteAccount",
                "getICloudTerms": f"https://{setup_host}/setup/ws/1/getTerms",
                "vettingUrlForPhone": "https://id.apple.com/IDMSEmailVetting/vetSharePhone",
            },
            "accountCreateEnabled": True,
        },
        "hsaTrustedBrowser": trusted,
        "appsOrder": list(_APPS_ORDER),
        "version": 2,
        "isExtendedLogin": True,
        "pcsServiceIdentitiesIncluded": False,
        # Owed by 2FA and legacy 2SV alike (icloudpd 2fa_flow_*, 2sa_flow_*.yml).
        "hsaChallengeRequired": version >= 1 and not trusted,
        "requestInfo": {
            "country": "CN" if account.china else "US",
            "timeZone": "GMT",
            "region": "",
        },
        "pcsDeleted": False,
        "iCloudInfo": {"SafariBookmarksHasMigratedToCloudKit": True},
        "apps": {name: dict(flags) for name, flags in _APPS.items()},
    }
    if terms_update_needed:
        reply["termsUpdateNeeded"] = True
    return reply
