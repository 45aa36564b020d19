"""Replay accounts: a VCR capture of a real photo listing becomes a sandbox library.

Each ``listing_*.yml`` cassette (icloudpd's test format) yields one no-2FA account
whose Photos zones hold exactly the captured CPLMaster/CPLAsset records (and CPLAlbum
records, if any), in captured order. Their ``downloadURL``s are rewritten to the
sandbox content host, which serves deterministic bytes of the captured ``size``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cloudtap.sandbox.accounts.model import ReplayLibrary, SandboxAccount
from cloudtap.sandbox.cloudkit import envelope
from cloudtap.sandbox.cloudkit.container import Database, Record, Zone
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.photos.indexes import IndexSet, ListSet
from cloudtap.sandbox.photos.library import CONTAINER_NAME, AlbumSpec
from cloudtap.sandbox.photos.resources import PREFIXES, MediaFormat
from cloudtap.sandbox.photos.urls import ContentRef, download_url

REPLAY_DOMAIN = "sandbox.cloudtap.dev"
REPLAY_PASSWORD = "sandbox-password"
_CK_PATH = "/database/1/com.apple.photos.cloud/"
_FORMATS: dict[str, MediaFormat] = {
    "public.jpeg": "jpeg",
    "public.png": "png",
    "public.heic": "heic",
    "com.apple.quicktime-movie": "mov",
}


class _CassetteLoader(yaml.CSafeLoader):
    """Safe YAML plus the ``!!python/unicode`` tags old VCR cassettes carry."""


_CassetteLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/",
    lambda loader, suffix, node: (
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ),
)


@dataclass
class CapturedZone:
    database: Database
    name: str
    masters: dict[str, Record] = field(default_factory=dict)
    assets: list[Record] = field(default_factory=list)  # captured order = rank order
    albums: list[Record] = field(default_factory=list)
    # The capture's records carried zoneID.zoneType (2023 cassettes and cloudtap's
    # captures do; the 2018 cassettes do not): the replay says it as they did.
    with_zone_type: bool = False
    # Listed by zones/list: served even with no record captured (a bounded capture).
    listed: bool = False


def _body_text(part: Any) -> str | None:
    body = part.get("body") if isinstance(part, dict) else None
    if isinstance(body, dict):
        body = body.get("string")
    if isinstance(body, bytes):
        try:
            body = body.decode()
        except UnicodeDecodeError:
            return None
    return body if isinstance(body, str) else None


@lru_cache(maxsize=16)
def load_capture(path: Path) -> tuple[CapturedZone, ...]:
    """The cassette's photo zones with their records, deduplicated by record name."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_CassetteLoader)
    zones: dict[tuple[str, str], CapturedZone] = {}
    # Only cloudtap's captures are read for zones/list: icloudpd's cassettes list zones
    # their listings never opened.
    reads_zone_lists = path.name.startswith("capture_")
    seen_assets: set[tuple[str, str]] = set()
    for interaction in (data or {}).get("interactions", []):
        request = interaction.get("request", {})
        uri = str(request.get("uri", ""))
        if _CK_PATH in uri and uri.split("?")[0].endswith("/zones/list"):
            if reads_zone_lists:
                _listed_zones(uri, interaction, zones)
            continue
        if _CK_PATH not in uri or "/records/query" not in uri or "/batch" in uri:
            continue
        database: Database = "shared" if "/production/shared/" in uri else "private"
        try:
            query = json.loads(_body_text(request) or "{}")
            reply = json.loads(_body_text(interaction.get("response", {})) or "{}")
        except ValueError:
            continue
        zone_name = (query.get("zoneID") or {}).get("zoneName") or "PrimarySync"
        zone = zones.setdefault((database, zone_name), CapturedZone(database, zone_name))
        for rec in reply.get("records", []):
            if "zoneType" in (rec.get("zoneID") or {}):
                zone.with_zone_type = True
            kind = rec.get("recordType")
            name = rec.get("recordName")
            if kind == "CPLMaster":
                zone.masters.setdefault(name, rec)
            elif kind == "CPLAsset" and (zone_name, name) not in seen_assets:
                seen_assets.add((zone_name, name))
                zone.assets.append(rec)
            elif kind == "CPLAlbum" and all(a["recordName"] != name for a in zone.albums):
                zone.albums.append(rec)
    for zone in zones.values():  # keep only assets whose master was captured too
        zone.assets = [a for a in zone.assets if _master_name(a) in zone.masters]
    return tuple(z for z in zones.values() if z.assets or z.albums or z.listed)


def _listed_zones(uri: str, interaction: Any, zones: dict[tuple[str, str], CapturedZone]) -> None:
    """The zones a capture's zones/list named, served even if none of their records was
    captured (a bounded capture's other database)."""
    database: Database = "shared" if "/production/shared/" in uri else "private"
    try:
        reply = json.loads(_body_text(interaction.get("response", {})) or "{}")
    except ValueError:
        return
    if not isinstance(reply, dict):
        return
    for listed in reply.get("zones") or []:
        zone_id = listed.get("zoneID") if isinstance(listed, dict) else None
        if not isinstance(zone_id, dict) or not isinstance(zone_id.get("zoneName"), str):
            continue
        name = zone_id["zoneName"]
        zone = zones.setdefault((database, name), CapturedZone(database, name))
        zone.listed = True
        zone.with_zone_type = zone.with_zone_type or "zoneType" in zone_id


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _master_name(asset: Record) -> str | None:
    ref = asset.get("fields", {}).get("masterRef", {}).get("value", {})
    return ref.get("recordName") if isinstance(ref, dict) else None


def replay_asset_count(path: Path) -> int:
    return sum(len(z.assets) for z in load_capture(Path(path)))


def _number(text: str, digits: int) -> int:
    digest = hashlib.sha256(f"cloudtap-replay:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (9 * 10 ** (digits - 1)) + 10 ** (digits - 1)


# icloudpd's listing cassettes, and the redacted captures ``cloudtap capture`` writes.
REPLAY_PATTERNS = ("listing_*.yml", "capture_*.yml")


def replay_accounts(captures_dir: Path) -> list[SandboxAccount]:
    """One no-2FA account per ``listing_*.yml`` or ``capture_*.yml`` in ``captures_dir``
    (sorted by name)."""
    accounts = []
    found = {p for pattern in REPLAY_PATTERNS for p in Path(captures_dir).glob(pattern)}
    for path in sorted(found):
        stem = path.stem.replace("_", "-").lower()
        accounts.append(
            SandboxAccount(
                apple_id=f"replay-{stem}@{REPLAY_DOMAIN}",
                password=REPLAY_PASSWORD,
                scenario=f"replay:{path.name}",
                dsid=str(_number(path.name, 11)),
                first_name="Replay",
                last_name=stem,
                photos=ReplayLibrary(cassette=path.resolve()),
            )
        )
    return accounts


def _flag(rec: Record, name: str) -> bool:
    value = rec.get("fields", {}).get(name, {}).get("value")
    return bool(value)


class ReplaySource:
    """One captured zone, served as a library (index = captured position)."""

    source_code = "r"

    def __init__(self, account: SandboxAccount, owner: str, captured: CapturedZone) -> None:
        self.zone = Zone(captured.name, owner)
        self.shared = captured.database == "shared"
        self._with_zone_type = captured.with_zone_type
        self._dsid = account.dsid
        self._china = account.china
        self._masters: list[Record] = []
        self._assets: list[Record] = []
        for index, asset in enumerate(captured.assets):
            master = captured.masters[_master_name(asset) or ""]
            self._masters.append(self._rewrite(master, index))
            self._assets.append(self._rewrite(asset, index))
        self._names = {r["recordName"]: k for k, r in enumerate(self._masters)}
        self._names.update({r["recordName"]: k for k, r in enumerate(self._assets)})
        self._albums = [self._album_spec(a) for a in captured.albums]
        self._subsets = self._make_subsets()

    def _rewrite(self, rec: Record, index: int) -> Record:
        out = copy.deepcopy(rec)
        with_type = self._with_zone_type
        out["zoneID"] = envelope.zone_id(self.zone, with_type=with_type)
        for key, value in out.get("fields", {}).items():
            token = value.get("value") if isinstance(value, dict) else None
            if key.endswith("Res") and isinstance(token, dict) and "downloadURL" in token:
                prefix = key[:-3]
                code = PREFIXES.index(prefix) if prefix in PREFIXES else 0
                ref = ContentRef(self._dsid, self.shared, "r", index, code)
                token["downloadURL"] = download_url(
                    ref, self.zone.name, CONTAINER_NAME, self._china, 61
                )
        if out.get("recordType") == "CPLAsset":
            ref_value = out["fields"]["masterRef"]["value"]
            ref_value["zoneID"] = envelope.zone_id(self.zone, with_type=with_type)
        return out

    def _album_spec(self, rec: Record) -> AlbumSpec:
        fields = rec.get("fields", {})
        name_enc = fields.get("albumNameEnc", {}).get("value")
        name = base64.b64decode(name_enc).decode(errors="replace") if name_enc else None
        return AlbumSpec(
            record_name=rec["recordName"],
            name=name,
            album_type=int(fields.get("albumType", {}).get("value", 0)),
            position=int(fields.get("position", {}).get("value", 0)),
            parent_id=fields.get("parentId", {}).get("value"),
            members=ListSet(()),  # a capture holds album names, not their contents
            created_ms=int(rec.get("created", {}).get("timestamp", 0)),
            modified_ms=_int_or_none(fields.get("recordModificationDate", {}).get("value")),
        )

    def _make_subsets(self) -> dict[str, IndexSet]:
        visible, hidden, favorite, live, video, deleted = [], [], [], [], [], []
        for k, (master, asset) in enumerate(zip(self._masters, self._assets, strict=True)):
            if _flag(asset, "isDeleted"):  # captured in Recently Deleted: it stays there
                deleted.append(k)
                continue
            if _flag(asset, "isHidden"):
                hidden.append(k)
                continue
            visible.append(k)
            if _flag(asset, "isFavorite"):
                favorite.append(k)
            if "resOriginalVidComplRes" in master.get("fields", {}):
                live.append(k)
            item_type = master.get("fields", {}).get("itemType", {}).get("value")
            if item_type == "com.apple.quicktime-movie":
                video.append(k)
        return {
            "visible": ListSet(visible),
            "hidden": ListSet(hidden),
            "favorite": ListSet(favorite),
            "live": ListSet(live),
            "video": ListSet(video),
            "deleted": ListSet(deleted),
        }

    def size(self) -> int:
        return len(self._assets)

    def subset(self, name: str) -> IndexSet:
        return self._subsets.get(name) or ListSet(())

    def master_record(self, index: int, deleted: bool = False) -> Record:
        rec = self._masters[index]
        if not deleted or "isDeleted" in rec["fields"]:
            return rec
        return {**rec, "fields": {**rec["fields"], "isDeleted": envelope.int_field(1)}}

    def asset_record(self, index: int, deleted: bool = False) -> Record:
        rec = self._assets[index]
        if not deleted:
            return rec
        out = {**rec, "fields": {**rec["fields"], "isDeleted": envelope.int_field(1)}}
        out["recordChangeTag"] = envelope.change_tag(rec["recordName"], "deleted")
        return out

    def index_of_name(self, name: str) -> int | None:
        return self._names.get(name)

    def albums(self) -> list[AlbumSpec]:
        return self._albums

    def expunged_count(self) -> int:
        return 0

    def expunged_names(self, k: int) -> tuple[str, str]:
        raise IndexError(k)

    def expunged_records(self, k: int) -> tuple[Record, Record]:
        raise IndexError(k)

    def resource(self, index: int, prefix: str) -> dict[str, Any] | None:
        for rec in (self._assets[index], self._masters[index]):
            fields = rec.get("fields", {})
            token = fields.get(f"{prefix}Res", {}).get("value")
            if isinstance(token, dict):
                out = dict(token)
                out["fileType"] = fields.get(f"{prefix}FileType", {}).get("value")
                return out
        return None


@lru_cache(maxsize=64)
def _sources_for(account: SandboxAccount, owner: str) -> dict[tuple[Database, str], ReplaySource]:
    assert isinstance(account.photos, ReplayLibrary)
    captured = load_capture(Path(account.photos.cassette))
    return {(z.database, z.name): ReplaySource(account, owner, z) for z in captured}


def replay_sources(account: SandboxAccount, owner: str) -> dict[tuple[Database, str], Any]:
    out: dict[tuple[Database, str], Any] = dict(_sources_for(account, owner))
    if not any(db == "private" and name == "PrimarySync" for db, name in out):
        from cloudtap.sandbox.photos.library import GeneratedSource

        out[("private", "PrimarySync")] = GeneratedSource(
            account.dsid, Zone("PrimarySync", owner), 0, 0, False, account.china
        )
    return out


def replay_blob(
    cassette: Path, shared: bool, index: int, prefix: str
) -> tuple[media.Pieces, str] | None:
    """Deterministic bytes of the captured size for one replayed resource."""
    for zone in load_capture(Path(cassette)):
        if (zone.database == "shared") != shared or not 0 <= index < len(zone.assets):
            continue
        asset = zone.assets[index]
        master = zone.masters[_master_name(asset) or ""]
        for rec in (asset, master):
            fields = rec.get("fields", {})
            token = fields.get(f"{prefix}Res", {}).get("value")
            if not isinstance(token, dict) or not isinstance(token.get("size"), int):
                continue
            fmt = _FORMATS.get(str(fields.get(f"{prefix}FileType", {}).get("value")))
            checksum = str(token.get("fileChecksum", ""))
            key = hashlib.blake2b(f"{cassette.name}:{checksum}:{prefix}".encode()).digest()
            size = int(token["size"])
            label = f"{cassette.name} #{index} {prefix}"
            if fmt is None:
                return media.raw_bytes(key, size), checksum
            return media.render_or_filler(fmt, 320, 240, size, key, label), checksum
    return None
