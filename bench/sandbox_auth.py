"""How fast the sandbox signs clients in and serves requests through its TLS proxy.

Starts the real sandbox (proxy thread + CA) and, over loopback, times:
full no-2FA sign-ins (SRP init + complete + accountLogin), new tunnels (CONNECT + TLS
handshake + one request), and keep-alive requests on one tunnel (``/validate``).
Prints a table; run it alone (2 shared cores make numbers noisy).

    .venv/bin/python bench/sandbox_auth.py
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.config import Settings
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox
from tests.sandbox.apple.conftest import SETUP, Apple

SIGN_INS = 30
TUNNELS = 50
REQUESTS = 500


async def sign_ins(sandbox: RunningSandbox, context: ssl.SSLContext) -> list[float]:
    times = []
    for _ in range(SIGN_INS):
        async with httpx.AsyncClient(proxy=sandbox.proxy_url, verify=context) as http:
            apple = Apple(http=http, world=sandbox.world)
            started = time.perf_counter()
            assert (await apple.signin("no2fa@sandbox.cloudtap.dev")).status_code == 200
            assert (await apple.account_login()).status_code == 200
            times.append(time.perf_counter() - started)
    return times


def tunnels(sandbox: RunningSandbox, context: ssl.SSLContext) -> float:
    started = time.perf_counter()
    for _ in range(TUNNELS):
        with httpx.Client(proxy=sandbox.proxy_url, verify=context) as client:
            client.post(f"{SETUP}/validate", content=b"null")
    return time.perf_counter() - started


def keep_alive(sandbox: RunningSandbox, context: ssl.SSLContext) -> float:
    with httpx.Client(proxy=sandbox.proxy_url, verify=context) as client:
        client.post(f"{SETUP}/validate", content=b"null")
        started = time.perf_counter()
        for _ in range(REQUESTS):
            client.post(f"{SETUP}/validate", content=b"null")
        return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env({"CLOUDTAP_DATA_DIR": data_dir})
        with start_sandbox(settings) as sandbox:
            context = ssl.create_default_context(cafile=str(sandbox.ca_file))
            login_times = asyncio.run(sign_ins(sandbox, context))
            tunnel_seconds = tunnels(sandbox, context)
            request_seconds = keep_alive(sandbox, context)
    rest = sorted(login_times[1:])
    rows = [
        ("first sign-in (verifier cache miss)", f"{login_times[0] * 1000:.0f} ms"),
        ("sign-in, median of the rest", f"{rest[len(rest) // 2] * 1000:.0f} ms"),
        ("sign-in, worst of the rest", f"{rest[-1] * 1000:.0f} ms"),
        ("new tunnel + TLS + request", f"{tunnel_seconds / TUNNELS * 1000:.1f} ms"),
        ("keep-alive requests", f"{REQUESTS / request_seconds:.0f} req/s"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'measure':<{width}}  value")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
