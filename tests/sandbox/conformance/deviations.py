"""Every documented difference between a captured Apple reply and the sandbox's: ONE list.

Each entry names where it applies (capture source, call label ``METHOD host/path`` and
key path, all glob patterns, see ``_match``), why, and the ``docs/apple-evidence.md`` line that
records it. ``status`` is ``deliberate`` (the sandbox is right to differ), ``synthetic``
(the capture is a client's hand-made test value, not Apple's), or ``being-fixed`` (a
known sandbox gap with work under way; the entry goes when the fix lands), ``sample``
(the shape is right but the scenario world has no record of that kind at that place) or
``open`` (a gap found here, in code this work stream does not own; listed in the ledger).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.sandbox.conformance.captures import Call
from tests.sandbox.conformance.shapes import Difference


@dataclass(frozen=True)
class Deviation:
    call: str  # glob on Call.label, e.g. "POST idmsa.apple.com/appleauth/auth/signin/complete"
    kind: str  # status | missing | type | header | extra
    path: str  # glob on the key path ("*" for any)
    reason: str
    ledger: str  # section of docs/apple-evidence.md
    status: str = "deliberate"
    source: str = "*"  # glob on "<source>:<call name>"

    def covers(self, call: Call, difference: Difference) -> bool:
        return (
            _match(call.label, self.call)
            and _match(f"{call.source}:{call.name}", self.source)
            and self.kind in (difference.kind, "*")
            and _match(difference.path, self.path)
        )


def _match(text: str, pattern: str) -> bool:
    """``*`` matches anything, ``[*]`` any list step (``[]``, ``[CPLAsset]``); the rest is
    literal (brackets included)."""
    regex = "".join(
        r"\[[^\]]*\]" if part == "[*]" else ".*" if part == "*" else re.escape(part)
        for part in re.split(r"(\[\*\]|\*)", pattern)
    )
    return re.fullmatch(regex, text, re.S) is not None


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

DEVIATIONS: list[Deviation] = [
    # --- sign-in ------------------------------------------------------------------------
    Deviation(
        f"{IDMSA}/signin/complete",
        "status",
        "$",
        "2023 captures: 200 {auth_type: hsa2}; Apple now answers 409 {authType: hsa2}, which "
        "pyicloud 2.x needs to start 2FA (reference icloud-protocol §2.2)",
        SIGN_IN,
        source="icloudpd:*2fa*",
    ),
    Deviation(
        f"{IDMSA}/signin/complete",
        "status",
        "$",
        "the constant is served with 200 by the client's mock; Apple answers a 2FA account "
        "409 (see the line above)",
        SIGN_IN,
        source="*:AUTH_OK",
    ),
    Deviation(
        f"{IDMSA}/signin/complete",
        "missing",
        "auth_type",
        "renamed authType by Apple since the 2023 captures (pyicloud and icloudpy's AUTH_OK "
        "constants spell it authType)",
        SIGN_IN,
    ),
    Deviation(
        f"{IDMSA}/signin*",
        "missing",
        "*",
        "pyicloud's AUTH_OK is one dictionary its mock serves for signin/init and "
        "signin/complete alike (salt, b, c, iteration next to authType, dsInfo, webservices)",
        SIGN_IN,
        status="synthetic",
        source="pyicloud:AUTH_OK",
    ),
    Deviation(
        f"{IDMSA}/signin/complete",
        "extra",
        "authType",
        "the modern spelling of auth_type (see the 409 line above)",
        SIGN_IN,
    ),
    Deviation(
        "GET setup.icloud.com/setup/ws/1/listDevices",
        "extra",
        "devices[*].deviceName",
        "the 2SA capture lists only SMS devices; a trusted iOS device also carries a name, "
        "which pyicloud and icloudpd print when offering it",
        SIGN_IN,
    ),
    Deviation(
        LOGIN,
        "extra",
        "*hsa*",
        'the non-2FA capture is of a pre-2FA ("sa") account, which Apple no longer has; '
        "pyicloud decides trust from hsaTrustedBrowser, so the sandbox always states the "
        "hsa keys",
        SIGN_IN,
        source="icloudpd:auth_non_2fa*",
    ),
    # --- accountLogin ---------------------------------------------------------------------
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
        "not in the 2023 icloudpd captures; the sandbox emulates no mail host, and an "
        "advertised host it does not serve would be a 502",
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
        "older capture (pyicloud const); the 2023 icloudpd captures carry ICDRSCapableDeviceList",
        SIGN_IN,
        source="pyicloud:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "type",
        "dsInfo.gilligan-*",
        'the constants write "true" (a string); the 2023 icloudpd captures a boolean',
        SIGN_IN,
        source="*:LOGIN_*",
    ),
    Deviation(
        LOGIN,
        "type",
        "configBag.accountCreateEnabled",
        'the constants write "true" (a string); the 2023 icloudpd captures a boolean',
        SIGN_IN,
        source="*:LOGIN_*",
    ),
    # --- photos -------------------------------------------------------------------------
    Deviation(
        "GET cvws.icloud-content.com/*",
        "status",
        "$",
        "icloudpd's test edits this cassette to make the download fail (400 {}); not Apple's "
        "behaviour for a valid URL",
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_no_delete*",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        "records[*].fields.*BAD*",
        "icloudpd's tests rename itemType / its value to BADitemType / BADvalue on purpose",
        PHOTOS,
        status="synthetic",
        source="icloudpd:listing_photos_missing_item_type*",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        "continuationMarker",
        "listings that also ask the shared database are played by the `rich` account, whose "
        "60 assets fit in one 200-record page; the sandbox, like Apple, sends a marker only "
        "when more remain (the other listings, played on 10 000 assets, get one)",
        PHOTOS,
        status="sample",
        source="icloudpd:listing_*",
    ),
    Deviation(
        f"{CK_PHOTOS}/shared/records/query",
        "missing",
        "records[*].fields.*",
        "shared-stream assets: Apple's carry import, contributor and metadata fields "
        "(importedBy, contributors, mediaMetaDataEnc, keywordsEnc, ...) the generator does "
        "not produce; no client of ours reads them. Apple's shared-database replies also "
        "ignore desiredKeys (the private ones honour them), the sandbox projects both",
        PHOTOS,
        status="open",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        "records[*]*",
        "icloudpy's library has three top-level albums, the scenario library two (Holidays, "
        "Family): the third captured album has no sandbox stand-in, so its listing is the "
        "empty page the sandbox answers any unknown parentId with",
        PHOTOS,
        status="sample",
        source="icloudpy:DATA[query]#2",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        "records[*]*",
        "icloudpy's mock answers this album-page query (CPLContainerRelationLiveByAssetDate) "
        "with CPLAlbum records, the sub-albums of its folder walk: a hand-made test value",
        PHOTOS,
        status="synthetic",
        source="icloudpy:DATA[query]#4",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/records/query",
        "missing",
        "records[*].fields.resOriginalAlt*",
        "the album page icloudpy captured holds a RAW+JPEG pair; the sandbox album the "
        "request maps to has none on that page",
        PHOTOS,
        status="sample",
        source="icloudpy:DATA*",
    ),
    Deviation(
        f"{CK_PHOTOS}/private/changes/zone",
        "missing",
        "zones[*].records[*].fields.isDeleted",
        "pyicloud's (sanitised) zone-changes fixture shows an asset with isDeleted 0, i.e. "
        "one deleted and restored; no generated asset has been restored, and the sandbox "
        "states isDeleted only while an asset is deleted",
        PHOTOS,
        status="sample",
        source="pyicloud:photos_zone_changes_response",
    ),
    # --- notes (pyicloud's fixtures are synthetic, by its own README) ------------------
    Deviation(
        f"{CK_NOTES}/*",
        "missing",
        "*.isEncrypted",
        "pyicloud's synthetic notes fixtures mark encrypted fields isEncrypted; no capture "
        "of Apple's shows it, and the sandbox sends ENCRYPTED_BYTES fields as CloudKit does",
        NOTES,
        status="synthetic",
    ),
    Deviation(
        f"{CK_NOTES}/changes/zone",
        "missing",
        "zones[*].records[SearchIndexes]*",
        "the synthetic changes fixture lists a SearchIndexes record; SearchIndexes is a "
        "query index (pyicloud's own models call it a pseudo type), not a zone record",
        NOTES,
        status="synthetic",
    ),
    Deviation(
        f"{CK_NOTES}/changes/zone",
        "missing",
        "zones[*].records[].*",
        "the fixture's first page holds a tombstone; the scenario notes' first page has "
        "none (the sandbox writes tombstones for purged notes, later in the log)",
        NOTES,
        status="sample",
    ),
    Deviation(
        f"{CK_NOTES}/records/query",
        "missing",
        "*",
        'the synthetic folders fixture ("parentless" index) types its folder records '
        "SearchIndexes and writes continuationMarker null; the sandbox answers the zone's "
        "Folder records (pyicloud takes their names as the id its notes' Folder reference "
        "names) and, like CloudKit's other query replies, sends a marker only when more remain",
        NOTES,
        status="synthetic",
        source="pyicloud:notes/notes_query_folders_response",
    ),
    # --- contacts (a reconstructed capture: its structure, invented values) ------------
    Deviation(
        "GET contactsws.icloud.com/co/startup",
        "missing",
        "headerPositions.*",
        "letter positions need a book sorted by name; the generated book is in index order, "
        "so the sandbox gives none (headerPositions is {})",
        CONTACTS,
    ),
    Deviation(
        "GET contactsws.icloud.com/co/startup",
        "missing",
        "contacts[*].phoneticCompanyName",
        "the startup page's first contacts of the scenario book include no company with a "
        "phonetic name; later ones do (/co/contacts)",
        CONTACTS,
        status="sample",
    ),
    # --- find my ------------------------------------------------------------------------
    Deviation(
        FMIP,
        "*",
        "content[*].location*",
        "the first initClient of a locate cycle answers location null; fixes come 10-30 s "
        "later (pyicloud's re-poll; the seed's two-poll behaviour). The constant is a reply "
        "after locating",
        FINDMY,
    ),
    Deviation(
        FMIP,
        "type",
        "serverContext.prsId",
        "a number, as in the 2018 initClient reply a public Go client quotes; the "
        "constant's string is a placeholder",
        FINDMY,
    ),
]


def explain(call: Call, difference: Difference) -> Deviation | None:
    return next((d for d in DEVIATIONS if d.covers(call, difference)), None)
