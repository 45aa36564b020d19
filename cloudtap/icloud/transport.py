"""The one place that builds HTTP clients for talking to Apple (or the sandbox).

Live and sandbox differ only here: the sandbox is reached through its TLS-terminating
CONNECT proxy and trusts its CA; live uses the system trust store and no proxy. Every
request carries the headers Apple's web front end sends.
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence

import httpx

from cloudtap.icloud.connector import TransportOptions
from cloudtap.icloud.recorder import record_response

HOME_ORIGIN = "https://www.icloud.com"
# The query string Apple's web client adds to setup and service calls.
CLIENT_BUILD_NUMBER = "2534Project66"
CLIENT_MASTERING_NUMBER = "2534B22"
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.3.1 Safari/605.1.15"
)
BASE_HEADERS = {
    "Origin": HOME_ORIGIN,
    "Referer": f"{HOME_ORIGIN}/",
    "User-Agent": USER_AGENT,
    "Accept": "*/*",
}

RequestHook = Callable[[httpx.Request], Awaitable[None]]
# Told of every answered exchange: (host, status code, seconds to the response head).
# How an operator's metrics see Apple without this library knowing about them.
ExchangeObserver = Callable[[str, int, float], None]
_observers: list[ExchangeObserver] = []
_STARTED = "cloudtap_started"


def add_exchange_observer(observer: ExchangeObserver) -> None:
    if observer not in _observers:
        _observers.append(observer)


async def _stamp(request: httpx.Request) -> None:
    request.extensions[_STARTED] = time.monotonic()


async def _observe(response: httpx.Response) -> None:
    started = response.request.extensions.get(_STARTED)
    if started is None:
        return
    for observer in _observers:
        observer(response.request.url.host, response.status_code, time.monotonic() - started)


# The HTTP stack's own debug/info logs print Set-Cookie headers, session tokens and
# pre-signed download URLs. Apple secrets must never reach a log, so keep them quiet
# (an operator can still lower these levels on purpose while debugging).
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def ssl_context(options: TransportOptions) -> ssl.SSLContext:
    """System trust store, plus the sandbox CA when one is given.

    One context per trust configuration, shared by every client: loading the trust store
    costs tens of milliseconds of CPU, and a context is safe to share across connections
    and threads. The CA file's identity and mtime are part of the key, so a regenerated
    sandbox CA is picked up.
    """
    if not options.ca_file:
        return _context(None, None)
    stat = os.stat(options.ca_file)
    return _context(options.ca_file, (stat.st_ino, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=16)
def _context(ca_file: str | None, version: tuple[int, int, int] | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def build_http_client(
    options: TransportOptions,
    *,
    cookies: httpx.Cookies | None = None,
    request_hooks: Sequence[RequestHook] = (),
    max_connections: int = 8,
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(options.timeout_seconds, connect=min(options.timeout_seconds, 15.0))
    return httpx.AsyncClient(
        proxy=options.proxy_url,
        verify=ssl_context(options),
        timeout=timeout,
        headers=BASE_HEADERS,
        cookies=cookies,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=8),
        # Apple's redirects are never part of the JSON protocol; follow none silently.
        follow_redirects=False,
        event_hooks={"request": [_stamp, *request_hooks], "response": [_observe, record_response]},
    )
