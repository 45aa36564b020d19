"""What ``cloudtap serve`` loads before any request: no client library of an engine the
default configuration does not use (boto3 without S3, redis without Redis, psycopg
without PostgreSQL), no export format library, no sandbox module. Each costs memory in
every server process (bench/README.md, ``rss-100k``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("boto3", "redis", "psycopg", "icalendar", "vobject")
# The sandbox's server side (its CA, TLS proxy, world); the CLI may name its account type.
SANDBOX = ("cloudtap.sandbox.runtime", "cloudtap.sandbox.proxy", "cloudtap.sandbox.world")

SERVE_IMPORTS = (
    "import cloudtap.api.app, cloudtap.api.server, cloudtap.jobs.consumer;"
    "import cloudtap.jobs.queue, cloudtap.jobs.registry;"
    "from cloudtap.app import create_app;"
    "from cloudtap.cli.main import app"
)


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    modules = json.loads(out.splitlines()[-1])
    return [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(SANDBOX)]


@pytest.mark.parametrize("code", [SERVE_IMPORTS], ids=["serve"])
def test_serve_imports_no_unused_engine_client(code: str) -> None:
    assert _loaded_after(code) == []


def test_a_redis_queue_still_gets_the_redis_client() -> None:
    code = (
        "from cloudtap.jobs.queue import _build;"
        "h = _build('redis://127.0.0.1:1/0');"
        "import redis; assert h.storage.conn.__class__ is redis.Redis"
    )
    assert "redis" in _loaded_after(code)
