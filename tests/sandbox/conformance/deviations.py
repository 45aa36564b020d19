"""Every documented difference between a captured Apple reply and the sandbox's: ONE list.

Each entry names ONE kind of difference at ONE key path, exactly (``records[CPLAsset].
fields.x``; no pattern, so an entry cannot hide a whole reply), the call and capture it
applies to (``METHOD host/path`` and ``<source>:<name>``, glob patterns, see ``_match``),
why, and the ``docs/apple-evidence.md`` section that records it. Entries of a group that
share a reason are written with ``_each`` (one entry per listed path).

``status`` is ``deliberate`` (the sandbox is right to differ), ``synthetic`` (the capture
is a client's hand-made or sanitised test value, not Apple's reply as sent),
``being-fixed`` (a known sandbox gap with work under way; the entry goes when the fix
lands), ``sample`` (the shape is right but the scenario world has no record of that kind
at that place) or ``open`` (a gap found here, in code this work stream does not own;
listed in the ledger).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.sandbox.conformance.captures import Call
from tests.sandbox.conformance.shapes import Difference


@dataclass(frozen=True)
class Deviation:
    call: str  # glob on Call.label, e.g. "POST idmsa.apple.com/appleauth/auth/signin/complete"
    kind: str  # status | missing | type | value | extra | content-type | header | body
    path: str  # one key path, exactly ("$" for the reply as a whole)
    reason: str
    ledger: str  # section of docs/apple-evidence.md
    status: str = "deliberate"
    source: str = "*"  # glob on "<source>:<call name>"

    def covers(self, call: Call, difference: Difference) -> bool:
        """One kind at one key path, exactly; the call and source are glob patterns."""
        return (
            self.kind == difference.kind
            and self.path == difference.path
            and _match(call.label, self.call)
            and _match(f"{call.source}:{call.name}", self.source)
        )


def _match(text: str, pattern: str) -> bool:
    """``*`` matches anything; the rest is literal."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text, re.S) is not None


def _each(
    call: str,
    kind: str,
    paths: list[str],
    reason: str,
    ledger: str,
    status: str = "deliberate",
    source: str = "*",
) -> list[Deviation]:
    """One entry per key path, for a group of paths that differ for one reason."""
    return [Deviation(call, kind, path, reason, ledger, status, source) for path in paths]


SIGN_IN = "Sign-in (idmsa.apple.com) and account (setup.icloud.com)"
HOSTS = "Service host names (`webservices` in `accountLogin`)"
PHOTOS = "Photos (CloudKit `ckdatabasews`, `com.apple.photos.cloud`)"
NOTES = "Notes (CloudKit `com.apple.notes`)"
FINDMY = "Find My (`fmipweb`, `/fmipservice/client/web/*`)"
CONTACTS = "Contacts (`contactsws`, `/co/*`)"

ACCOUNT = "Account service (`pNN-setup`, `/setup/web/*`)"
IDMSA = "POST idmsa.apple.com/appleauth/auth"
LOGIN = "POST setup.icloud.com/setup/ws/1/accountLogin"
CK_PHOTOS = "POST ckdatabasews.icloud.com/database/1/com.apple.photos.cloud/production"
CK_NOTES = "POST ckdatabasews.icloud.com/database/1/com.apple.notes/production/private"
FMIP = "POST fmipweb.icloud.com/fmipservice/client/web/initClient"

# --- reasons shared by the one-path entries of a group ---------------------------------
R_OLD3 = (
    "pyicloud's AUTH_OK is one dictionary its mock serves for signin/init and signin/complete"
    " alike (salt, b, c, iteration next to authType, dsInfo, webservices)"
)
R_OLD5 = (
    "the 2SA capture lists only SMS devices; a trusted iOS device also carries a name, which "
    "pyicloud and icloudpd print when offering it"
)
R_OLD6 = (
    'the non-2FA capture is of a pre-2FA ("sa") account, which Apple no longer has; pyicloud '
    "decides trust from hsaTrustedBrowser, so the sandbox always states the hsa keys"
)
R_OLD13 = 'the constants write "true" (a string); the 2023 icloudpd captures a boolean'
R_OLD16 = "icloudpd's tests rename itemType / its value to BADitemType / BADvalue on purpose"
R_OLD18 = (
    "shared-stream assets: Apple's carry import, contributor and metadata fields (importedBy,"
    " contributors, mediaMetaDataEnc, keywordsEnc, ...) the generator does not produce; no "
    "client of ours reads them. Apple's shared-database replies also ignore desiredKeys (the "
    "private ones honour them), the sandbox projects both"
)
R_OLD20 = (
    "icloudpy's mock answers this album-page query (CPLContainerRelationLiveByAssetDate) with"
    " CPLAlbum records, the sub-albums of its folder walk: a hand-made test value"
)
R_OLD22 = (
    "pyicloud's (sanitised) zone-changes fixture shows an asset with isDeleted 0, i.e. one "
    "deleted and restored; no generated asset has been restored, and the sandbox states "
    "isDeleted only while an asset is deleted"
)
R_OLD23 = (
    "pyicloud's synthetic notes fixtures mark encrypted fields isEncrypted; no capture of "
    "Apple's shows it, and the sandbox sends ENCRYPTED_BYTES fields as CloudKit does"
)
R_OLD24 = (
    "the synthetic changes fixture lists a SearchIndexes record; SearchIndexes is a query "
    "index (pyicloud's own models call it a pseudo type), not a zone record"
)
R_OLD25 = (
    "the fixture's first page holds a tombstone; the scenario notes' first page has none (the"
    " sandbox writes tombstones for purged notes, later in the log)"
)
R_OLD26 = (
    'the synthetic folders fixture ("parentless" index) types its folder records '
    "SearchIndexes and writes continuationMarker null; the sandbox answers the zone's Folder "
    "records (pyicloud takes their names as the id its notes' Folder reference names) and, "
    "like CloudKit's other query replies, sends a marker only when more remain"
)
R_OLD28 = (
    "the startup page's first contacts of the scenario book include no company with a "
    "phonetic name; later ones do (/co/contacts)"
)
R_OLD29 = (
    "the first initClient of a locate cycle answers location null; fixes come 10-30 s later "
    "(pyicloud's re-poll; the seed's two-poll behaviour). The constant is a reply after "
    "locating"
)
R_RAW_PAIR = (
    "the pages icloudpy captured hold a RAW+JPEG pair with the alternate's fingerprint and "
    "dimensions (resOriginalAlt*); the sandbox's pages those requests map to (icloudpy's "
    "third top-level album is played by rich@'s third, 'Été à Tōkyō 🌸') hold none"
)
R_VIDEO_SAMPLE = (
    "the album page icloudpy captured holds a video with a small rendition (resVidSmall*); "
    "the sandbox album standing in for it (rich@'s third top-level album) starts with photos"
)
R_CONTACTS = (
    "the reconstructed capture's book has no groups (groups: []) and its three cards no photo"
    " and no address state; group keys follow ZibingZhang/Contacts icloud_group.py, photo.url"
    " the /co/mecard capture (prabhu/iCloud README)"
)
R_EDITED_2023 = (
    "the 2018 cassettes' edited assets carry resJPEGFull/Thumb only; the 2023 shape "
    "(download_autodelete_photos_part2.yml) adds resJPEGMed*, which the sandbox's edited "
    "assets carry"
)
R_FALLBACK_2SV = (
    "the capture's account is a trusted 2SV one (hsaVersion 1); the cassette is played by the"
    " no-2FA scenario account, whose raw-password path it exercises"
)
R_FAMILY_STORAGE = (
    "ioBroker.icloud types storageUsageInfo's familyStorageUsageInfo and public clients read "
    "it when present; the constant's account has no family storage, the sandbox sends null"
)
R_FILENAME_STRING = (
    "icloudpd's test rewrites filenameEnc as a STRING on purpose (its "
    "filename-string-encoding case); Apple's is ENCRYPTED_BYTES"
)
R_FMI_205 = (
    "the constant's message states have statusCode 200 and 205; what 205 means is not public,"
    " so the sandbox sends 200 only"
)
R_FMI_CTX = (
    'serverContext.id ("server_ctx") is in the 2018 initClient reply a public Go client '
    "quotes; theftLoss is what pyicloud's findmyiphone.py nulls in the serverContext it "
    "echoes, so Apple sends it; the constant has neither"
)
R_LISTING_2SV = (
    "the listing cassettes' account is a 2SV one (hsaVersion 1); listings are played by "
    "scenario accounts without a second factor, which hold the library"
)
R_MODIFY_HANDMADE = (
    "icloudpd's listing tests serve a hand-made {} (header spelled Content-type) for the "
    "delete-after-download modify; Apple's reply lists the records and a syncToken "
    "(download_autodelete_photos_part1.yml)"
)
R_MODIFY_SANITISED = (
    "pyicloud's browser-derived modify replies are sanitised down to a few fields; the "
    "sandbox answers the modified asset with all its fields"
)
R_MODIFY_ZONEID = (
    "evidence conflicts: icloudpd's 2023 delete reply (download_autodelete_photos_part1.yml) "
    "and pyicloud's photo_delete_response.json carry no zoneID on the modified record, "
    "pyicloud's Shared Library photos_shared_library_unfavorite_response.json does; the "
    "sandbox sends it (a superset no client is hurt by)"
)
R_NO_DELETE = (
    "icloudpy's test edits this cassette's download into 400 {} (application/json); a valid "
    "URL answers the file"
)
R_NOTES_EXTRA = (
    "pyicloud's notes fixtures are synthetic and cut down (its README): record metadata "
    "(created, modified, pluginFields, zoneID owner) and fields the sandbox's notes carry "
    "(CreationDate, IsPinned, Attachments...) are left out, and their pages hold other record"
    " types than the scenario notes' first page"
)
R_NOTES_SYNCTOKEN = (
    "CloudKit's query replies carry the zone's syncToken (icloudpy DATA's records/query "
    "replies); pyicloud's synthetic notes fixtures leave it out"
)
R_NOTES_TYPES = (
    "pyicloud's synthetic notes fixtures type the encrypted title and snippet STRING; "
    "CloudKit types *Encrypted fields ENCRYPTED_BYTES (pyicloud's sanitised real-note capture"
    " note_rendering_fixture.json), as the sandbox does"
)
R_PHOTOS_CHANGES = (
    "pyicloud's zone-changes fixtures are sanitised and cut down to a few fields per record "
    "and to assets only; the sandbox's log carries every field of each record, and masters "
    "beside assets (as zone changes list every record of the zone)"
)
R_PRIVATE_KINDS = (
    "the captured pages hold no RAW+JPEG pair and no live photo; the sandbox's pages at the "
    "same place do, so their masters carry resOriginalAlt*/resOriginalVidCompl*"
)
R_SHARED_KINDS = (
    "the captured shared page holds one unedited still without location; the sandbox's shared"
    " page at that place holds edited assets, RAW pairs, live photos and videos, with their "
    "renditions"
)
R_TZNAME = (
    "Apple's CPLAsset carries timeZoneNameEnc (pyicloud photo_delete_response.json, icloudpd "
    "listing_photos.yml's shared page); pyicloud's sanitised query fixtures drop it"
)
R_ZONES_LIST = (
    "the 2018 cassettes list zones by zoneID alone; pyicloud's zones/list fixtures "
    "(photos_zones_list_response.json) carry syncToken and deleted per zone"
)
R_ZONETYPE = (
    "the 2018 cassettes omit zoneID.zoneType; the 2023 cassettes "
    "(download_autodelete_photos_part1/2.yml) and pyicloud's fixtures carry it"
)

DEVIATIONS: list[Deviation] = [
    Deviation(
        f"{IDMSA}/signin/complete",
        "status",
        "$",
        (
            "2023 captures: 200 {auth_type: hsa2}; Apple now answers 409 {authType: hsa2}, "
            "which pyicloud 2.x needs to start 2FA (reference icloud-protocol §2.2)"
        ),
        SIGN_IN,
        source="icloudpd:*2fa*",
    ),
    Deviation(
        f"{IDMSA}/signin/complete",
        "status",
        "$",
        (
            "the constant is served with 200 by the client's mock; Apple answers a 2FA "
            "account 409 (see the line above)"
        ),
        SIGN_IN,
        source="*:AUTH_OK",
    ),
    Deviation(
        f"{IDMSA}/signin/complete",
        "missing",
        "auth_type",
        (
            "renamed authType by Apple since the 2023 captures (pyicloud and icloudpy's "
            "AUTH_OK constants spell it authType)"
        ),
        SIGN_IN,
    ),
    Deviation(
        f"{IDMSA}/signin/complete",
        "extra",
        "authType",
        "the modern spelling of auth_type (see the 409 line above)",
        SIGN_IN,
    ),
    Deviation(
        LOGIN,
        "missing",
        "webservices.fmf",
        "Find My Friends, retired by Apple in 2022; not in the 2023 icloudpd captures",
        HOSTS,
        source="*:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "missing",
        "apps.fmf",
        "Find My Friends, retired by Apple in 2022; not in the 2023 icloudpd captures",
        HOSTS,
        source="*:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "missing",
        "webservices.streams",
        "My Photo Stream, retired by Apple in 2023; not in the 2023 icloudpd captures",
        HOSTS,
        source="*:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "missing",
        "webservices.mail",
        (
            "not in the 2023 icloudpd captures; the sandbox emulates no mail host, and an "
            "advertised host it does not serve would be a 502"
        ),
        HOSTS,
        source="*:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "missing",
        "webservices.notes",
        "not in the 2023 icloudpd captures; Notes is served by CloudKit (ckdatabasews)",
        HOSTS,
        source="*:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "missing",
        "ICDRSCapableDeviceCount",
        ("older capture (pyicloud const); the 2023 icloudpd captures carry ICDRSCapableDeviceList"),
        SIGN_IN,
        source="pyicloud:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "type",
        "configBag.accountCreateEnabled",
        'the constants write "true" (a string); the 2023 icloudpd captures a boolean',
        SIGN_IN,
        source="*:LOGIN_*",
    ),
    Deviation(
        "GET cvws.icloud-content.com/*",
        "status",
        "$",
        (
            "icloudpd's test edits this cassette to make the download fail (400 {}); not "
            "Apple's behaviour for a valid URL"
        ),
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_no_delete*",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        "continuationMarker",
        (
            "listings that also ask the shared database are played by the `rich` account, "
            "whose 60 assets fit in one 200-record page; the sandbox, like Apple, sends a "
            "marker only when more remain (the other listings, played on 10 000 assets, get "
            "one)"
        ),
        PHOTOS,
        status="sample",
        source="icloudpd:listing_*",
    ),
    Deviation(
        "GET contactsws.icloud.com/co/startup",
        "missing",
        "headerPositions.*",
        (
            "letter positions need a book sorted by name; the generated book is in index "
            "order, so the sandbox gives none (headerPositions is {})"
        ),
        CONTACTS,
    ),
    Deviation(
        FMIP,
        "type",
        "serverContext.prsId",
        (
            "a number, as in the 2018 initClient reply a public Go client quotes; the "
            "constant's string is a placeholder"
        ),
        FINDMY,
    ),
    *_each(
        f"{IDMSA}/signin/complete",
        "missing",
        [
            "b",
            "c",
            "dsInfo",
            "hsaChallengeRequired",
            "iteration",
            "protocol",
            "salt",
            "webservices",
        ],
        R_OLD3,
        SIGN_IN,
        status="synthetic",
        source="pyicloud:AUTH_OK",
    ),
    *_each(
        "GET setup.icloud.com/setup/ws/1/listDevices",
        "extra",
        ["devices[].deviceName"],
        R_OLD5,
        SIGN_IN,
    ),
    *_each(
        LOGIN,
        "extra",
        ["dsInfo.hsaEnabled", "dsInfo.hsaVersion", "hsaChallengeRequired", "hsaTrustedBrowser"],
        R_OLD6,
        SIGN_IN,
        source="icloudpd:auth_non_2fa*",
    ),
    *_each(
        LOGIN,
        "type",
        ["dsInfo.gilligan-enabled", "dsInfo.gilligan-invited"],
        R_OLD13,
        SIGN_IN,
        source="*:LOGIN_*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        ["records[CPLMaster].fields.BADitemType", "records[CPLMaster].fields.itemType.BADvalue"],
        R_OLD16,
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_missing_item_type*",
    ),
    *_each(
        f"{CK_PHOTOS}/shared/records/query",
        "missing",
        [
            "records[CPLAsset].fields.adjustmentSourceType",
            "records[CPLAsset].fields.contributors",
            "records[CPLAsset].fields.keywordsEnc",
            "records[CPLAsset].fields.mostRecentAddedDate",
            "records[CPLAsset].fields.originalChoice",
            "records[CPLAsset].fields.recordModificationDate",
            "records[CPLAsset].fields.timeZoneNameEnc",
            "records[CPLAsset].fields.trashReason",
            "records[CPLMaster].fields.contributors",
            "records[CPLMaster].fields.fullSizeJPEGSource",
            "records[CPLMaster].fields.importDate",
            "records[CPLMaster].fields.importGroupId",
            "records[CPLMaster].fields.importedBy",
            "records[CPLMaster].fields.importedByBundleIdentifierEnc",
            "records[CPLMaster].fields.importedByDisplayNameEnc",
            "records[CPLMaster].fields.mediaMetaDataEnc",
            "records[CPLMaster].fields.mediaMetaDataType",
            "records[CPLMaster].fields.originalCreationDate",
            "records[CPLMaster].fields.recordModificationDate",
            "records[CPLMaster].fields.resJPEGMedFileSize",
            "records[CPLMaster].fields.resJPEGThumbFileSize",
            "records[CPLMaster].fields.resOriginalFileSize",
            "records[CPLMaster].fields.videoFrameRate",
        ],
        R_OLD18,
        PHOTOS,
        status="open",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        [
            "records[CPLAlbum].created",
            "records[CPLAlbum].deleted",
            "records[CPLAlbum].fields",
            "records[CPLAlbum].modified",
            "records[CPLAlbum].pluginFields",
            "records[CPLAlbum].recordChangeTag",
            "records[CPLAlbum].recordName",
            "records[CPLAlbum].recordType",
            "records[CPLAlbum].zoneID",
        ],
        R_OLD20,
        PHOTOS,
        status="synthetic",
        source="icloudpy:DATA[query]#4",
    ),
    *_each(
        f"{CK_PHOTOS}/private/changes/zone",
        "missing",
        ["zones[].records[CPLAsset].fields.isDeleted"],
        R_OLD22,
        PHOTOS,
        status="sample",
        source="pyicloud:photos_zone_changes_response",
    ),
    *_each(
        f"{CK_NOTES}/records/lookup",
        "missing",
        [
            "records[Note].fields.SnippetEncrypted.isEncrypted",
            "records[Note].fields.TitleEncrypted.isEncrypted",
        ],
        R_OLD23,
        NOTES,
        status="synthetic",
    ),
    *_each(
        f"{CK_NOTES}/changes/zone",
        "missing",
        [
            "zones[].records[Note].fields.SnippetEncrypted.isEncrypted",
            "zones[].records[Note].fields.TitleEncrypted.isEncrypted",
        ],
        R_OLD23,
        NOTES,
        status="synthetic",
    ),
    *_each(
        f"{CK_NOTES}/changes/zone",
        "missing",
        [
            "zones[].records[SearchIndexes].fields",
            "zones[].records[SearchIndexes].recordChangeTag",
            "zones[].records[SearchIndexes].recordName",
            "zones[].records[SearchIndexes].recordType",
        ],
        R_OLD24,
        NOTES,
        status="synthetic",
    ),
    *_each(
        f"{CK_NOTES}/changes/zone",
        "missing",
        ["zones[].records[].deleted", "zones[].records[].recordName"],
        R_OLD25,
        NOTES,
        status="sample",
    ),
    *_each(
        f"{CK_NOTES}/records/query",
        "missing",
        [
            "continuationMarker",
            "records[SearchIndexes].fields",
            "records[SearchIndexes].recordChangeTag",
            "records[SearchIndexes].recordName",
            "records[SearchIndexes].recordType",
            "records[SearchIndexes].zoneID",
        ],
        R_OLD26,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_query_folders_response",
    ),
    *_each(
        "GET contactsws.icloud.com/co/startup",
        "missing",
        ["contacts[].phoneticCompanyName"],
        R_OLD28,
        CONTACTS,
        status="sample",
    ),
    *_each(
        FMIP,
        "missing",
        [
            "content[].location.altitude",
            "content[].location.floorLevel",
            "content[].location.horizontalAccuracy",
            "content[].location.isInaccurate",
            "content[].location.isOld",
            "content[].location.latitude",
            "content[].location.locationFinished",
            "content[].location.locationType",
            "content[].location.longitude",
            "content[].location.positionType",
            "content[].location.timeStamp",
            "content[].location.verticalAccuracy",
        ],
        R_OLD29,
        FINDMY,
    ),
    *_each(
        FMIP,
        "type",
        ["content[].location"],
        R_OLD29,
        FINDMY,
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        [
            "records[CPLMaster].fields.resOriginalAltFingerprint",
            "records[CPLMaster].fields.resOriginalAltHeight",
            "records[CPLMaster].fields.resOriginalAltWidth",
        ],
        R_RAW_PAIR,
        PHOTOS,
        status="sample",
        source="icloudpy:DATA*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        [
            "records[CPLMaster].fields.resVidSmallFileType",
            "records[CPLMaster].fields.resVidSmallFingerprint",
            "records[CPLMaster].fields.resVidSmallHeight",
            "records[CPLMaster].fields.resVidSmallRes",
            "records[CPLMaster].fields.resVidSmallWidth",
        ],
        R_VIDEO_SAMPLE,
        PHOTOS,
        status="sample",
        source="icloudpy:DATA*",
    ),
    *_each(
        "GET contactsws.icloud.com/co/startup",
        "extra",
        [
            "contacts[].photo",
            "contacts[].streetAddresses[].field.state",
            "groups[].contactIds",
            "groups[].etag",
            "groups[].groupId",
            "groups[].headerPositions",
            "groups[].isGuardianApproved",
            "groups[].name",
            "groups[].whitelisted",
        ],
        R_CONTACTS,
        CONTACTS,
        status="sample",
        source="reconstructed:co_startup",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "extra",
        [
            "records[CPLAsset].fields.resJPEGMedFileType",
            "records[CPLAsset].fields.resJPEGMedFingerprint",
            "records[CPLAsset].fields.resJPEGMedHeight",
            "records[CPLAsset].fields.resJPEGMedRes",
            "records[CPLAsset].fields.resJPEGMedWidth",
        ],
        R_EDITED_2023,
        PHOTOS,
        source="icloudpd:*",
    ),
    *_each(
        LOGIN,
        "value",
        ["dsInfo.hsaEnabled", "dsInfo.hsaVersion"],
        R_FALLBACK_2SV,
        SIGN_IN,
        status="sample",
        source="icloudpd:fallback_raw_password#3",
    ),
    *_each(
        "POST setup.icloud.com/setup/ws/1/storageUsageInfo",
        "extra",
        ["familyStorageUsageInfo"],
        R_FAMILY_STORAGE,
        ACCOUNT,
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "value",
        ["records[CPLMaster].fields.filenameEnc.type"],
        R_FILENAME_STRING,
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_filename_string_encoding#5",
    ),
    *_each(
        FMIP,
        "value",
        ["content[].mesg.statusCode", "content[].msg.statusCode"],
        R_FMI_205,
        FINDMY,
        status="sample",
    ),
    *_each(
        FMIP,
        "extra",
        ["serverContext.id", "serverContext.theftLoss"],
        R_FMI_CTX,
        FINDMY,
    ),
    *_each(
        "POST setup.icloud.com/setup/ws/1/validate",
        "value",
        ["dsInfo.hsaEnabled", "dsInfo.hsaVersion"],
        R_LISTING_2SV,
        SIGN_IN,
        status="sample",
        source="icloudpd:*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/modify",
        "extra",
        ["records", "syncToken"],
        R_MODIFY_HANDMADE,
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/modify",
        "extra",
        [
            "records[CPLAsset].fields.adjustmentRenderType",
            "records[CPLAsset].fields.assetHDRType",
            "records[CPLAsset].fields.assetSubtypeV2",
            "records[CPLAsset].fields.burstFlags",
            "records[CPLAsset].fields.duration",
            "records[CPLAsset].fields.isExpunged",
            "records[CPLAsset].fields.isHidden",
            "records[CPLAsset].fields.locationEnc",
            "records[CPLAsset].fields.orientation",
            "records[CPLAsset].fields.vidComplDispScale",
            "records[CPLAsset].fields.vidComplDispValue",
            "records[CPLAsset].fields.vidComplDurScale",
            "records[CPLAsset].fields.vidComplDurValue",
            "records[CPLAsset].fields.vidComplVisibilityState",
        ],
        R_MODIFY_SANITISED,
        PHOTOS,
        status="synthetic",
        source="pyicloud:photos_*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/modify",
        "extra",
        ["records[CPLAsset].zoneID"],
        R_MODIFY_ZONEID,
        PHOTOS,
        source="icloudpd:download_autodelete_photos_part1#7",
    ),
    *_each(
        "GET cvws.icloud-content.com/*",
        "content-type",
        ["$"],
        R_NO_DELETE,
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_no_delete#6",
    ),
    *_each(
        "GET cvws.icloud-content.com/*",
        "type",
        ["$"],
        R_NO_DELETE,
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_no_delete#6",
    ),
    *_each(
        f"{CK_NOTES}/changes/zone",
        "extra",
        [
            "zones[].records[Folder].created",
            "zones[].records[Folder].deleted",
            "zones[].records[Folder].fields",
            "zones[].records[Folder].modified",
            "zones[].records[Folder].pluginFields",
            "zones[].records[Folder].recordChangeTag",
            "zones[].records[Folder].recordName",
            "zones[].records[Folder].recordType",
            "zones[].records[Folder].zoneID",
            "zones[].records[Note].created",
            "zones[].records[Note].deleted",
            "zones[].records[Note].fields.Attachments",
            "zones[].records[Note].fields.CreationDate",
            "zones[].records[Note].fields.FirstAttachmentUTIEncrypted",
            "zones[].records[Note].fields.Folder.value.zoneID",
            "zones[].records[Note].fields.IsPinned",
            "zones[].records[Note].fields.TextDataEncrypted",
            "zones[].records[Note].modified",
            "zones[].records[Note].pluginFields",
            "zones[].records[Note].zoneID",
            "zones[].records[PasswordProtectedNote].created",
            "zones[].records[PasswordProtectedNote].deleted",
            "zones[].records[PasswordProtectedNote].fields",
            "zones[].records[PasswordProtectedNote].modified",
            "zones[].records[PasswordProtectedNote].pluginFields",
            "zones[].records[PasswordProtectedNote].recordChangeTag",
            "zones[].records[PasswordProtectedNote].recordName",
            "zones[].records[PasswordProtectedNote].recordType",
            "zones[].records[PasswordProtectedNote].zoneID",
            "zones[].zoneID.ownerRecordName",
        ],
        R_NOTES_EXTRA,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_c*",
    ),
    *_each(
        f"{CK_NOTES}/records/lookup",
        "extra",
        [
            "records[Attachment].created",
            "records[Attachment].deleted",
            "records[Attachment].fields.Note",
            "records[Attachment].fields.TitleEncrypted",
            "records[Attachment].modified",
            "records[Attachment].pluginFields",
            "records[Attachment].zoneID.ownerRecordName",
            "records[Note].created.deviceID",
            "records[Note].fields.Attachments.value[].zoneID",
            "records[Note].fields.CreationDate",
            "records[Note].fields.FirstAttachmentUTIEncrypted",
            "records[Note].fields.Folder.value.zoneID",
            "records[Note].fields.IsPinned",
            "records[Note].modified.deviceID",
            "records[Note].pluginFields",
            "records[Note].zoneID.ownerRecordName",
        ],
        R_NOTES_EXTRA,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_lookup_*",
    ),
    *_each(
        f"{CK_NOTES}/records/query",
        "extra",
        [
            "records[Folder].created",
            "records[Folder].deleted",
            "records[Folder].fields",
            "records[Folder].modified",
            "records[Folder].pluginFields",
            "records[Folder].recordChangeTag",
            "records[Folder].recordName",
            "records[Folder].recordType",
            "records[Folder].zoneID",
        ],
        R_NOTES_EXTRA,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_query_folders_response",
    ),
    *_each(
        f"{CK_NOTES}/records/query",
        "extra",
        ["syncToken"],
        R_NOTES_SYNCTOKEN,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_*",
    ),
    *_each(
        f"{CK_NOTES}/changes/zone",
        "value",
        [
            "zones[].records[Note].fields.SnippetEncrypted.type",
            "zones[].records[Note].fields.TitleEncrypted.type",
        ],
        R_NOTES_TYPES,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_changes_zone_response",
    ),
    *_each(
        f"{CK_NOTES}/records/lookup",
        "value",
        ["records[Note].fields.SnippetEncrypted.type", "records[Note].fields.TitleEncrypted.type"],
        R_NOTES_TYPES,
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_lookup_note_response",
    ),
    *_each(
        f"{CK_PHOTOS}/private/changes/zone",
        "extra",
        [
            "zones[].records[CPLAsset].created",
            "zones[].records[CPLAsset].fields.addedDate",
            "zones[].records[CPLAsset].fields.adjustmentRenderType",
            "zones[].records[CPLAsset].fields.adjustmentType",
            "zones[].records[CPLAsset].fields.assetDate",
            "zones[].records[CPLAsset].fields.assetHDRType",
            "zones[].records[CPLAsset].fields.assetSubtype",
            "zones[].records[CPLAsset].fields.assetSubtypeV2",
            "zones[].records[CPLAsset].fields.burstFlags",
            "zones[].records[CPLAsset].fields.customRenderedValue",
            "zones[].records[CPLAsset].fields.duration",
            "zones[].records[CPLAsset].fields.isHidden",
            "zones[].records[CPLAsset].fields.locationEnc",
            "zones[].records[CPLAsset].fields.masterRef",
            "zones[].records[CPLAsset].fields.orientation",
            "zones[].records[CPLAsset].fields.resJPEGFullFileType",
            "zones[].records[CPLAsset].fields.resJPEGFullFingerprint",
            "zones[].records[CPLAsset].fields.resJPEGFullHeight",
            "zones[].records[CPLAsset].fields.resJPEGFullRes",
            "zones[].records[CPLAsset].fields.resJPEGFullWidth",
            "zones[].records[CPLAsset].fields.resJPEGMedFileType",
            "zones[].records[CPLAsset].fields.resJPEGMedFingerprint",
            "zones[].records[CPLAsset].fields.resJPEGMedHeight",
            "zones[].records[CPLAsset].fields.resJPEGMedRes",
            "zones[].records[CPLAsset].fields.resJPEGMedWidth",
            "zones[].records[CPLAsset].fields.resJPEGThumbFileType",
            "zones[].records[CPLAsset].fields.resJPEGThumbFingerprint",
            "zones[].records[CPLAsset].fields.resJPEGThumbHeight",
            "zones[].records[CPLAsset].fields.resJPEGThumbRes",
            "zones[].records[CPLAsset].fields.resJPEGThumbWidth",
            "zones[].records[CPLAsset].fields.timeZoneNameEnc",
            "zones[].records[CPLAsset].fields.timeZoneOffset",
            "zones[].records[CPLAsset].fields.vidComplDispScale",
            "zones[].records[CPLAsset].fields.vidComplDispValue",
            "zones[].records[CPLAsset].fields.vidComplDurScale",
            "zones[].records[CPLAsset].fields.vidComplDurValue",
            "zones[].records[CPLAsset].fields.vidComplVisibilityState",
            "zones[].records[CPLAsset].pluginFields",
            "zones[].records[CPLMaster].created",
            "zones[].records[CPLMaster].deleted",
            "zones[].records[CPLMaster].fields",
            "zones[].records[CPLMaster].modified",
            "zones[].records[CPLMaster].pluginFields",
            "zones[].records[CPLMaster].recordChangeTag",
            "zones[].records[CPLMaster].recordName",
            "zones[].records[CPLMaster].recordType",
            "zones[].records[CPLMaster].zoneID",
            "zones[].records[CPLSharedLibraryQuota].created",
            "zones[].records[CPLSharedLibraryQuota].pluginFields",
            "zones[].records[CPLSharedLibraryQuota].zoneID",
        ],
        R_PHOTOS_CHANGES,
        PHOTOS,
        status="synthetic",
        source="pyicloud:photos_*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "extra",
        [
            "records[CPLMaster].fields.resOriginalAltFileType",
            "records[CPLMaster].fields.resOriginalAltRes",
            "records[CPLMaster].fields.resOriginalVidComplFileType",
            "records[CPLMaster].fields.resOriginalVidComplFingerprint",
            "records[CPLMaster].fields.resOriginalVidComplHeight",
            "records[CPLMaster].fields.resOriginalVidComplRes",
            "records[CPLMaster].fields.resOriginalVidComplWidth",
        ],
        R_PRIVATE_KINDS,
        PHOTOS,
        status="sample",
        source="icloudpd:*",
    ),
    *_each(
        f"{CK_PHOTOS}/shared/records/query",
        "extra",
        [
            "records[CPLAsset].fields.adjustmentType",
            "records[CPLAsset].fields.locationEnc",
            "records[CPLAsset].fields.resJPEGFullFileType",
            "records[CPLAsset].fields.resJPEGFullFingerprint",
            "records[CPLAsset].fields.resJPEGFullHeight",
            "records[CPLAsset].fields.resJPEGFullRes",
            "records[CPLAsset].fields.resJPEGFullWidth",
            "records[CPLAsset].fields.resJPEGMedFileType",
            "records[CPLAsset].fields.resJPEGMedFingerprint",
            "records[CPLAsset].fields.resJPEGMedHeight",
            "records[CPLAsset].fields.resJPEGMedRes",
            "records[CPLAsset].fields.resJPEGMedWidth",
            "records[CPLAsset].fields.resJPEGThumbFileType",
            "records[CPLAsset].fields.resJPEGThumbFingerprint",
            "records[CPLAsset].fields.resJPEGThumbHeight",
            "records[CPLAsset].fields.resJPEGThumbRes",
            "records[CPLAsset].fields.resJPEGThumbWidth",
            "records[CPLMaster].fields.resOriginalAltFileType",
            "records[CPLMaster].fields.resOriginalAltRes",
            "records[CPLMaster].fields.resOriginalVidComplFileType",
            "records[CPLMaster].fields.resOriginalVidComplFingerprint",
            "records[CPLMaster].fields.resOriginalVidComplHeight",
            "records[CPLMaster].fields.resOriginalVidComplRes",
            "records[CPLMaster].fields.resOriginalVidComplWidth",
            "records[CPLMaster].fields.resVidMedFileType",
            "records[CPLMaster].fields.resVidMedFingerprint",
            "records[CPLMaster].fields.resVidMedHeight",
            "records[CPLMaster].fields.resVidMedRes",
            "records[CPLMaster].fields.resVidMedWidth",
            "records[CPLMaster].fields.resVidSmallFileType",
            "records[CPLMaster].fields.resVidSmallFingerprint",
            "records[CPLMaster].fields.resVidSmallHeight",
            "records[CPLMaster].fields.resVidSmallRes",
            "records[CPLMaster].fields.resVidSmallWidth",
        ],
        R_SHARED_KINDS,
        PHOTOS,
        status="sample",
        source="icloudpd:listing_*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "extra",
        ["records[CPLAsset].fields.timeZoneNameEnc"],
        R_TZNAME,
        PHOTOS,
        status="synthetic",
        source="pyicloud:photos_*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/zones/list",
        "extra",
        ["zones[].deleted", "zones[].syncToken"],
        R_ZONES_LIST,
        PHOTOS,
        source="icloudpd:*",
    ),
    *_each(
        f"{CK_PHOTOS}/shared/zones/list",
        "extra",
        ["zones[].deleted", "zones[].syncToken"],
        R_ZONES_LIST,
        PHOTOS,
    ),
    *_each(
        f"{CK_PHOTOS}/private/internal/records/query/batch",
        "extra",
        ["batch[].records[IndexCountResult].zoneID.zoneType"],
        R_ZONETYPE,
        PHOTOS,
        source="icloudpd:*",
    ),
    *_each(
        f"{CK_PHOTOS}/private/records/query",
        "extra",
        [
            "records[CPLAsset].fields.masterRef.value.zoneID.zoneType",
            "records[CPLAsset].zoneID.zoneType",
            "records[CPLMaster].zoneID.zoneType",
            "records[CheckIndexingState].zoneID.zoneType",
        ],
        R_ZONETYPE,
        PHOTOS,
        source="icloudpd:*",
    ),
    *_each(
        f"{CK_PHOTOS}/shared/internal/records/query/batch",
        "extra",
        ["batch[].records[IndexCountResult].zoneID.zoneType"],
        R_ZONETYPE,
        PHOTOS,
        source="icloudpd:listing_*",
    ),
    *_each(
        f"{CK_PHOTOS}/shared/records/query",
        "extra",
        ["records[CheckIndexingState].zoneID.zoneType"],
        R_ZONETYPE,
        PHOTOS,
        source="icloudpd:listing_*",
    ),
    # Shared albums (issue 20): accounts with photos list the sharedstreams host.
    Deviation(
        "POST setup.icloud.com/setup/ws/1/*",
        "extra",
        "webservices.sharedstreams",
        (
            "shared albums' host, read by pyicloud 2026.10.1 and other public clients where "
            "Apple lists it; the captured accounts share no album, so none lists it"
        ),
        "Shared albums (`sharedstreams`, issue 20)",
    ),
]


def explain(call: Call, difference: Difference) -> Deviation | None:
    return next((d for d in DEVIATIONS if d.covers(call, difference)), None)
