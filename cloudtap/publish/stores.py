"""Choosing the result store for a job, and reaching a stored result again by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from cloudtap.config import Settings
from cloudtap.publish.local import LocalResultStore
from cloudtap.publish.store import ResultStore


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


def open_for_read(settings: Settings, storage: str, location: str) -> Iterator[bytes]:
    return store_named(settings, storage).read(location)
