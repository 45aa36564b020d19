"""Choosing the result store for a job, and reaching a stored result again.

Results go to the key's storage config, else the organisation's default, else the
server's own store (``CLOUDTAP_STORAGE_URL``). A result row remembers its store's name
and config id, so it can be read, signed and deleted later through the same store.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.crypto.sealing import Sealed, Sealer
from cloudtap.publish.local import LocalResultStore
from cloudtap.publish.local_roots import checked_local_path
from cloudtap.publish.outbound import OutboundURLGuard, guard_for
from cloudtap.publish.s3 import S3ResultStore
from cloudtap.publish.store import ResultStore
from cloudtap.store.db import transaction
from cloudtap.store.environments import config_of_key
from cloudtap.store.models import StorageConfig

log = logging.getLogger(__name__)

# Store types results can be published to; other config types fall back to the default.
PUBLISHABLE_TYPES = ("local", "s3")

_cache_lock = threading.Lock()
_s3_stores: dict[tuple[str, str], S3ResultStore] = {}


def default_store(settings: Settings) -> ResultStore:
    """The store named by ``CLOUDTAP_STORAGE_URL`` (``file:///dir`` by default)."""
    parts = urlsplit(settings.storage_url)
    if parts.scheme in ("file", "local", ""):
        raw = (
            settings.storage_url.split("://", 1)[-1]
            if "://" in settings.storage_url
            else parts.path
        )
        return LocalResultStore(Path(raw))
    raise ValueError(f"unsupported CLOUDTAP_STORAGE_URL scheme: {parts.scheme}")


def store_named(settings: Settings, name: str) -> ResultStore:
    store = default_store(settings)
    if store.name != name:
        raise ValueError(f"no result store named {name!r} is configured")
    return store


def s3_guard(settings: Settings) -> OutboundURLGuard:
    return guard_for(settings.outbound_allow_hosts, "S3 endpoint")


def credentials_context(config_id: str) -> str:
    return f"storage-config-credentials:{config_id}"


def open_credentials(settings: Settings, config: StorageConfig) -> dict[str, Any]:
    if not config.credentials_sealed or not config.credentials_key_id:
        return {}
    sealed = Sealed(config.credentials_key_id, config.credentials_sealed)
    opened = Sealer(settings.master_key).open_json(sealed, credentials_context(config.id))
    return dict(opened or {})


def store_for_config(settings: Settings, config: StorageConfig) -> ResultStore:
    if config.type == "local":
        # Checked again at each use: the path may lead elsewhere since it was saved.
        return LocalResultStore(checked_local_path(settings, config.url))
    if config.type == "s3":
        # Building a boto3 client is slow; reuse it while the sealed credentials match.
        # The allow-list is part of the key: the client's guard is built from it.
        blob = config.credentials_sealed or b""
        allow = ",".join(settings.outbound_allow_hosts)
        cache_key = (config.id, config.url + hashlib.sha256(blob).hexdigest() + allow)
        with _cache_lock:
            store = _s3_stores.get(cache_key)
        if store is None:
            store = S3ResultStore(
                config.url, open_credentials(settings, config), guard=s3_guard(settings)
            )
            with _cache_lock:
                _s3_stores[cache_key] = store
        return store
    raise ValueError(f"results cannot be published to {config.type}:// storage")


def results_config(db: DbSession, organisation_id: str, key_id: str | None) -> StorageConfig | None:
    """The storage config a key's results go to (its own, else the organisation's
    default, of the key's environment only); None when they go to the server's own
    store."""
    config = config_of_key(db, StorageConfig, organisation_id, key_id)
    return config if isinstance(config, StorageConfig) else None


def publishing_store(
    db: DbSession, settings: Settings, organisation_id: str, key_id: str | None
) -> tuple[ResultStore, str | None]:
    """The store a key's results go to, and its storage config id (None: the default)."""
    config = results_config(db, organisation_id, key_id)
    if config is not None and config.type in PUBLISHABLE_TYPES:
        return store_for_config(settings, config), config.id
    if config is not None:
        log.warning("storage config %s is %s://, using the default store", config.id, config.type)
    return default_store(settings), None


def load_config(settings: Settings, config_id: str) -> StorageConfig:
    with transaction(settings.database_url) as db:
        config = db.scalars(select(StorageConfig).where(StorageConfig.id == config_id)).first()
        if config is None:
            raise ValueError(f"storage config {config_id} no longer exists")
        db.expunge(config)
        return config


def store_for_result(settings: Settings, storage: str, config_id: str | None) -> ResultStore:
    if config_id is None:
        return store_named(settings, storage)
    store = store_for_config(settings, load_config(settings, config_id))
    if store.name != storage:
        raise ValueError(f"storage config {config_id} is no longer a {storage} store")
    return store


def open_for_read(
    settings: Settings, storage: str, location: str, config_id: str | None = None
) -> Iterator[bytes]:
    return store_for_result(settings, storage, config_id).read(location)


def presigned_url(
    settings: Settings, config_id: str, location: str, default_ttl: int
) -> tuple[str, int]:
    """A bucket-signed GET URL for an S3 result and its lifetime in seconds."""
    config = load_config(settings, config_id)
    store = store_for_config(settings, config)
    if not isinstance(store, S3ResultStore):
        raise ValueError("only S3 results have presigned URLs")
    ttl = config.signed_urls_expiry or default_ttl
    return store.presign(location, ttl), ttl
