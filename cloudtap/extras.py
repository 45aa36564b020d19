"""Optional parts of cloudtap and the pip extras that bring them.

``pip install cloudtap`` runs the embedded default (SQLite, local storage, the sandbox,
``pull``). The scale-out engines need clients of their own, installed as extras:
``[postgres]`` (psycopg), ``[redis]`` (redis) and ``[s3]`` (boto3). Asking for one that is
missing is a :class:`MissingExtra` whose message is one line naming the extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# module → (extra, what needs it)
EXTRAS = {
    "psycopg": ("postgres", "a PostgreSQL database (CLOUDTAP_DATABASE_URL=postgresql…)"),
    "redis": ("redis", "a Redis queue (CLOUDTAP_QUEUE_URL=redis://…)"),
    "boto3": ("s3", "S3 result storage (s3://…)"),
    "botocore": ("s3", "S3 result storage (s3://…)"),
    "botocore.config": ("s3", "S3 result storage (s3://…)"),
}


class MissingExtra(RuntimeError):
    """An optional dependency is not installed; the message says which extra brings it."""

    def __init__(self, module: str) -> None:
        extra, feature = EXTRAS[module]
        self.extra = extra
        super().__init__(
            f"{feature} needs cloudtap's [{extra}] extra: pip install 'cloudtap[{extra}]'"
        )


def require(module: str) -> ModuleType:
    """Import an optional dependency, or raise :class:`MissingExtra` naming its extra."""
    try:
        return importlib.import_module(module)
    except ImportError as missing:
        raise MissingExtra(module) from missing


def check_urls(database_url: str, queue_url: str) -> None:
    """Refuse at start-up, in one line, engines whose client is not installed."""
    if database_url.startswith("postgresql"):
        require("psycopg")
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        require("redis")
