"""Start the whole sandbox (world + host apps + TLS proxy) in a background thread.

``start_sandbox(settings)`` is what ``cloudtap serve``, ``cloudtap sandbox serve``, the
tests and the benchmarks call. The proxy gets its own event loop in a daemon thread, so
callers may be sync or async; ``close()`` stops it and joins the thread.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from starlette.types import ASGIApp

from cloudtap.config import SANDBOX_CA_DIRECTORY, Settings, get_settings
from cloudtap.crypto.sealing import Sealer
from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.accounts.scenarios import scenario_accounts
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.ca import CertificateAuthority
from cloudtap.sandbox.memory import WorldMemory, remember
from cloudtap.sandbox.proxy import Exchange, ProxyServer
from cloudtap.sandbox.world import SandboxWorld

log = logging.getLogger(__name__)
_START_TIMEOUT = 30.0
# Apple's extended-login web sessions outlive long downloads; 100k-asset runs take hours.
WEB_SESSION_TTL = 12 * 3600.0


def ca_directory(settings: Settings) -> Path:
    return settings.data_dir / SANDBOX_CA_DIRECTORY


def sandbox_accounts(settings: Settings) -> list[SandboxAccount]:
    """Scenario accounts, plus one replay account per capture when a folder is set."""
    accounts = scenario_accounts(settings.sandbox_seed)
    if settings.sandbox_captures_dir is not None:
        replay = _optional("cloudtap.sandbox.photos.replay")
        if replay is None:
            log.warning("CLOUDTAP_SANDBOX_CAPTURES is set but replay support is not installed")
        else:
            accounts += replay.replay_accounts(settings.sandbox_captures_dir)
    return accounts


def build_world(settings: Settings) -> SandboxWorld:
    world = SandboxWorld.with_accounts(sandbox_accounts(settings), seed=settings.sandbox_seed)
    world.web_session_ttl = WEB_SESSION_TTL
    world.consents.approval_delay = settings.sandbox_consent_delay
    return world


def memory_path(settings: Settings) -> Path:
    return settings.data_dir / "sandbox" / "memory.sealed"


def remembered_world(settings: Settings) -> SandboxWorld:
    """The deployment's world: built from the seed, then from what it remembered of its
    sessions and edits before the last restart (and remembering every later change)."""
    memory = WorldMemory(memory_path(settings), Sealer(settings.master_key))
    return remember(build_world(settings), memory)


def build_app(world: SandboxWorld) -> ASGIApp:
    app: ASGIApp = SandboxApp(world)
    faults = _optional("cloudtap.sandbox.faults")
    if faults is not None:
        app = faults.wrap_faults(app, world)
    return app


@dataclass
class RunningSandbox:
    proxy_url: str
    ca_file: Path
    world: SandboxWorld
    port: int
    _proxy: ProxyServer = field(repr=False)
    _loop: asyncio.AbstractEventLoop = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._proxy.close(), self._loop)
        try:
            future.result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def exchanges(self) -> list[Exchange]:
        """Requests served so far (method, host, path, status), oldest first."""
        return list(self._proxy.exchanges)

    def client_env(self) -> dict[str, str]:
        """Environment that points a requests/httpx-based client at the sandbox."""
        ca = str(self.ca_file)
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "REQUESTS_CA_BUNDLE": ca,
            "SSL_CERT_FILE": ca,
            "NO_PROXY": "",
            "no_proxy": "",
        }

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_sandbox(
    settings: Settings | None = None,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    world: SandboxWorld | None = None,
) -> RunningSandbox:
    """Build the world (unless given: then it is the caller's, kept in memory only) and
    serve it through the proxy on ``host:port``."""
    settings = settings or get_settings()
    world = world or remembered_world(settings)
    ca = CertificateAuthority(ca_directory(settings))
    proxy = ProxyServer(build_app(world), ca, host=host, port=port)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(proxy.start())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="cloudtap-sandbox-proxy", daemon=True)
    thread.start()
    if not ready.wait(_START_TIMEOUT):
        raise RuntimeError("sandbox proxy did not start")
    if failure:
        raise failure[0]
    return RunningSandbox(
        proxy_url=proxy.url,
        ca_file=ca.cert_file,
        world=world,
        port=proxy.port,
        _proxy=proxy,
        _loop=loop,
        _thread=thread,
    )


def _optional(module: str) -> Any:
    """Import a module another part of the sandbox may not have written yet."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
