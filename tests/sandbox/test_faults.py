"""Each fault knob, seen from the client's side."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
import uvicorn

from cloudtap.sandbox.accounts.model import (
    ContentSpec,
    FaultSpec,
    GeneratedLibrary,
    SandboxAccount,
)
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.faults import (
    EXPIRES_PARAM,
    ConnectionResetFault,
    faults_from_env,
    wrap_faults,
)
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

CONTACTS = "https://p61-contacts.icloud.com"


def _account(faults: FaultSpec, apple_id: str = "faulty@sandbox.test") -> SandboxAccount:
    return SandboxAccount(
        apple_id=apple_id,
        password="pw",
        scenario="faults",
        dsid=str(abs(hash(apple_id)) % 10**9),
        first_name="Fay",
        last_name="Ult",
        content=ContentSpec(seed=5, contacts=12),
        faults=faults,
    )


@asynccontextmanager
async def _client(*accounts: SandboxAccount) -> AsyncIterator[list[httpx.AsyncClient]]:
    world = SandboxWorld.with_accounts(accounts)
    app = wrap_faults(SandboxApp(world), world)
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=CONTACTS,
            cookies={WEB_SESSION_COOKIE: world.issue_web_session(a).token},
        )
        for a in accounts
    ]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


async def _photo_url(client: httpx.AsyncClient) -> str:
    contacts = (await client.get("/co/contacts", params={"limit": 0})).json()["contacts"]
    return str(next(c["photo"]["url"] for c in contacts if "photo" in c))


async def test_latency_delays_every_answer() -> None:
    async with _client(_account(FaultSpec(latency_ms=250))) as (client,):
        started = time.perf_counter()
        reply = await client.get("/co/mecard")
        elapsed = time.perf_counter() - started
    assert reply.status_code == 200 and elapsed >= 0.25


async def test_bandwidth_trickles_a_download() -> None:
    async with _client(_account(FaultSpec(bandwidth_bps=8_000))) as (client,):
        url = await _photo_url(client)
        chunks = []
        started = time.perf_counter()
        async with client.stream("GET", url) as reply:
            async for chunk in reply.aiter_raw():
                chunks.append(chunk)
        elapsed = time.perf_counter() - started
    size = sum(map(len, chunks))
    assert size > 500 and elapsed >= size / 8_000 * 0.8  # ~rate/20 bytes every 50 ms


async def test_link_is_shared_by_concurrent_downloads() -> None:
    async with _client(_account(FaultSpec(link_bps=16_000))) as (client,):
        url = await _photo_url(client)

        async def download() -> int:
            async with client.stream("GET", url) as reply:
                return sum([len(chunk) async for chunk in reply.aiter_raw()])

        started = time.perf_counter()
        sizes = await asyncio.gather(download(), download())
        elapsed = time.perf_counter() - started
    # Together, not each, at the link's rate (one alone would take half as long).
    assert sizes[0] > 500 and elapsed >= sum(sizes) / 16_000 * 0.8


async def test_throttling_answers_503_like_apple_after_n_requests() -> None:
    limited = _account(FaultSpec(throttle_per_minute=3))
    other = _account(FaultSpec(), apple_id="calm@sandbox.test")
    async with _client(limited, other) as (client, calm):
        codes = [(await client.get("/co/mecard")).status_code for _ in range(3)]
        refused = await client.get("/co/mecard")
        unaffected = await calm.get("/co/mecard")
    assert codes == [200, 200, 200]
    assert refused.status_code == 503
    assert refused.text == "Service Temporary Unavailable"
    assert refused.headers["content-type"].startswith("text/html")  # as Apple's capture
    # The knob's own addition (Apple's captured 503 has none; docs/apple-evidence.md).
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert unaffected.status_code == 200


async def test_malformed_json_every_nth_answer() -> None:
    async with _client(_account(FaultSpec(malformed_json_every=2))) as (client,):
        first = await client.get("/co/mecard")
        second = await client.get("/co/mecard")
        third = await client.get("/co/mecard")
    assert first.json()["contacts"] and third.json()["contacts"]
    assert second.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        second.json()


async def test_download_urls_expire_with_410() -> None:
    async with _client(_account(FaultSpec(download_url_ttl=0.5))) as (client,):
        url = await _photo_url(client)
        assert EXPIRES_PARAM in url
        fresh = await client.get(url)
        await asyncio.sleep(0.6)
        stale = await client.get(url)
        client.cookies.clear()  # the URL alone names the account, as a download URL does
        anonymous = await client.get(url)
    assert fresh.status_code == 200 and fresh.headers["content-type"] == "image/jpeg"
    assert stale.status_code == 410 and anonymous.status_code == 410


async def test_reset_mid_download_in_process() -> None:
    async with _client(_account(FaultSpec(reset_after_bytes=300))) as (client,):
        url = await _photo_url(client)
        listing = await client.get("/co/contacts")  # JSON answers are never cut
        with pytest.raises(ConnectionResetFault):
            await client.get(url)
    assert listing.status_code == 200


@contextmanager
def _live_server(world: SandboxWorld) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(wrap_faults(SandboxApp(world), world), log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


def test_reset_mid_download_over_a_real_connection() -> None:
    """A client downloading through a real server sees the body end early."""
    account = _account(FaultSpec(reset_after_bytes=300))
    world = SandboxWorld.with_accounts([account])
    token = world.issue_web_session(account).token
    with (
        _live_server(world) as port,
        httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Host": "p61-contacts.icloud.com"},
            cookies={WEB_SESSION_COOKIE: token},
        ) as client,
    ):
        contacts = client.get("/co/contacts").json()["contacts"]
        path = next(c["photo"]["url"] for c in contacts if "photo" in c).split(".com", 1)[1]
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(path)


def test_knobs_from_the_environment_apply_to_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDTAP_SANDBOX_THROTTLE_PER_MINUTE", "2")
    monkeypatch.setenv("CLOUDTAP_SANDBOX_LATENCY_MS", "1.5")
    assert faults_from_env() == FaultSpec(throttle_per_minute=2, latency_ms=1.5)

    async def run() -> list[int]:
        async with _client(_account(FaultSpec())) as (client,):
            return [(await client.get("/co/mecard")).status_code for _ in range(3)]

    assert asyncio.run(run()) == [200, 200, 503]


def test_bad_knob_values_are_refused() -> None:
    with pytest.raises(ValueError, match="CLOUDTAP_SANDBOX_LATENCY_MS"):
        faults_from_env({"CLOUDTAP_SANDBOX_LATENCY_MS": "slow"})
    with pytest.raises(ValueError):
        faults_from_env({"CLOUDTAP_SANDBOX_THROTTLE_PER_MINUTE": "-1"})


def test_photo_downloads_resume_through_resets_and_their_urls_expire() -> None:
    """Photos: stamped downloadURLs, and a resuming client finishes despite resets."""
    from tests.sandbox.photos.support import PHOTOS, list_query

    account = SandboxAccount(
        apple_id="photo-faults@sandbox.test",
        password="pw",
        scenario="faults",
        dsid="41000000001",
        first_name="Pho",
        last_name="To",
        photos=GeneratedLibrary(count=4, seed=9),
        faults=FaultSpec(reset_after_bytes=64_000, download_url_ttl=30),
    )
    world = SandboxWorld.with_accounts([account])
    token = world.issue_web_session(account).token
    with _live_server(world) as port:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, cookies={WEB_SESSION_COOKIE: token}) as ck:
            body = list_query("CPLAssetAndMasterByAddedDate", 0, "ASCENDING", 2)
            page = ck.post(
                f"{PHOTOS}/private/records/query",
                json=body,
                headers={"Host": "p61-ckdatabasews.icloud.com"},
            ).json()
        res = page["records"][0]["fields"]["resOriginalRes"]["value"]
        url = httpx.URL(str(res["downloadURL"]).replace("${f}", "IMG.JPG"))
        assert EXPIRES_PARAM in str(url) and int(res["size"]) > 64_000
        received = bytearray()
        resets = 0
        with httpx.Client(base_url=base, headers={"Host": url.host}) as content:
            path = url.raw_path.decode()
            while len(received) < int(res["size"]):
                headers = {"Range": f"bytes={len(received)}-"} if received else {}
                try:
                    with content.stream("GET", path, headers=headers) as reply:
                        assert reply.status_code in (200, 206)
                        for chunk in reply.iter_raw():
                            received += chunk
                except httpx.RemoteProtocolError:
                    resets += 1
            # The same URL once its stamp is in the past (as after ``download_url_ttl``).
            stale = re.sub(rf"{EXPIRES_PARAM}=[0-9.]+", f"{EXPIRES_PARAM}=1000", path)
            expired = content.get(stale)
    assert resets >= 1 and len(received) == int(res["size"])
    assert expired.status_code == 410
