"""Where the deployment's one sandbox is, so every process talks to the same fake Apple.

Sessions made by a sandbox key live in the sandbox's memory: a login handled by one
worker and a poll handled by another must reach the *same* sandbox. So exactly one
process runs it, and the others find it:

1. ``CLOUDTAP_SANDBOX_PROXY_URL`` (+ ``CLOUDTAP_SANDBOX_CA_FILE``, default: the data
   dir's sandbox CA) names a sandbox run elsewhere, e.g. by ``cloudtap sandbox serve``.
   Nobody starts one of their own then.
2. Otherwise ``cloudtap serve`` starts it and publishes its address in
   ``<data dir>/sandbox/endpoint.json``; workers sharing the data dir read it at each
   job, so they may start before ``serve`` and follow it across restarts. A file left
   by a ``serve`` that was killed is ignored once nothing answers at its address.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from cloudtap.config import SANDBOX_CA_CERT_FILE, SANDBOX_CA_DIRECTORY, Settings
from cloudtap.icloud.connector import TransportOptions

log = logging.getLogger(__name__)

ENDPOINT_FILE = Path("sandbox") / "endpoint.json"


def endpoint_path(settings: Settings) -> Path:
    return settings.data_dir / ENDPOINT_FILE


def publish(settings: Settings, proxy_url: str, ca_file: Path) -> None:
    """Tell co-located processes where this process's sandbox listens."""
    path = endpoint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"proxy_url": proxy_url, "ca_file": str(ca_file), "pid": os.getpid()}
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(body))
    temporary.replace(path)  # atomic: a reader sees the old file or the new one


def withdraw(settings: Settings, proxy_url: str) -> None:
    """Remove the published address if it is still ours."""
    path = endpoint_path(settings)
    published = _read(path)
    if published is not None and published.proxy_url == proxy_url:
        path.unlink(missing_ok=True)


def _default_ca_file(settings: Settings) -> str:
    return str(settings.data_dir / SANDBOX_CA_DIRECTORY / SANDBOX_CA_CERT_FILE)


def _read(path: Path) -> TransportOptions | None:
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("ignoring unreadable sandbox endpoint file %s", path)
        return None
    if not isinstance(body, dict) or not isinstance(body.get("proxy_url"), str):
        return None
    ca_file = body.get("ca_file")
    return TransportOptions(
        proxy_url=body["proxy_url"], ca_file=ca_file if isinstance(ca_file, str) else None
    )


def _answers(proxy_url: str) -> bool:
    """A published sandbox whose process died (killed ``serve``) leaves its file behind."""
    parts = urlsplit(proxy_url)
    if parts.hostname is None or parts.port is None:
        return False
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def discover(settings: Settings) -> TransportOptions | None:
    """The configured sandbox, else the live one published in the data dir, else None."""
    if settings.sandbox_proxy_url:
        ca_file = settings.sandbox_ca_file
        return TransportOptions(
            proxy_url=settings.sandbox_proxy_url,
            ca_file=str(ca_file) if ca_file is not None else _default_ca_file(settings),
        )
    published = _read(endpoint_path(settings))
    if published is None or published.proxy_url is None:
        return None
    if not _answers(published.proxy_url):
        log.warning("the sandbox published at %s is not answering", published.proxy_url)
        return None
    return published
