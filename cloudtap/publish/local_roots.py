"""Where ``local://`` storage configs may point: inside the roots the operator allows.

A tenant's ``local://`` URL names a directory on *our* machine, and the server writes
there with its own rights. So the path must lie inside an allowed root: the server's own
results folder, plus any listed in ``CLOUDTAP_LOCAL_STORAGE_ROOTS``. Paths are compared
after resolving symlinks and ``..``, and checked again each time they are used, since a
directory on the way may have been swapped for a symlink since the config was saved.
"""

from __future__ import annotations

import os
from pathlib import Path

from cloudtap.config import Settings


class LocalPathRefused(ValueError):
    """The path is outside every allowed root; the message is safe to show the tenant."""


def _default_results_folder(settings: Settings) -> Path:
    url = settings.storage_url
    raw = url.split("://", 1)[-1] if "://" in url else url
    if url.startswith(("file://", "local://")) or "://" not in url:
        return Path(raw)
    return settings.data_dir / "results"


def allowed_roots(settings: Settings) -> list[Path]:
    """Every allowed root, symlinks resolved."""
    roots = [_default_results_folder(settings), *settings.local_storage_roots]
    return [Path(os.path.realpath(root)) for root in roots]


def path_of_url(url: str) -> str:
    return url.split("://", 1)[-1]


def checked_local_path(settings: Settings, url: str) -> Path:
    """The resolved directory a ``local://`` URL names, if inside an allowed root.

    Nothing is created or probed here beyond resolving the path's existing parts.
    """
    raw = path_of_url(url)
    if not raw.startswith("/") or "\x00" in raw:
        raise LocalPathRefused("a local:// URL must name an absolute path")
    resolved = Path(os.path.realpath(raw))
    for root in allowed_roots(settings):
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    raise LocalPathRefused(
        "local storage must be inside the server's results folder or a root the operator "
        "allows (CLOUDTAP_LOCAL_STORAGE_ROOTS)"
    )
