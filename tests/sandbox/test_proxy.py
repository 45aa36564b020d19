"""The CONNECT proxy: TLS termination per host, keep-alive, streaming, plain HTTP, bad input."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from cloudtap.sandbox.ca import CertificateAuthority
from cloudtap.sandbox.proxy import ProxyServer


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reports what it was asked; ``/stream`` answers in chunks; ``/boom`` fails."""
    if scope["type"] != "http":
        return
    message = await receive()
    if scope["path"] == "/boom":
        raise RuntimeError("boom")
    if scope["path"] == "/reset":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ConnectionResetError("dropped on purpose")
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"chunk%d;" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    body = json.dumps(
        {
            "scheme": scope["scheme"],
            "host": headers.get("host"),
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "client_port": scope["client"][1],
            "body_length": len(message["body"]),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[ProxyServer]:
    server = ProxyServer(echo_app, CertificateAuthority(tmp_path / "ca"))
    await server.start()
    yield server
    await server.close()


def trusting(proxy: ProxyServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(proxy.ca.cert_file))


async def test_https_through_connect_with_keep_alive(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client:
        first = await client.get("https://setup.icloud.com/setup/ws/1/validate?x=1")
        second = await client.post("https://setup.icloud.com/a%20b", content=b"12345")
    assert first.json()["scheme"] == "https"
    assert first.json()["host"] == "setup.icloud.com"
    assert first.json()["query"] == "x=1"
    assert second.json()["path"] == "/a b"
    assert second.json()["body_length"] == 5
    # Both requests travelled over one tunnel (same client port at the app).
    assert first.json()["client_port"] == second.json()["client_port"]
    assert [e.path for e in proxy.exchanges] == ["/setup/ws/1/validate", "/a%20b"]


async def test_each_host_gets_its_own_certificate(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client:
        for host in ("idmsa.apple.com", "p42-ckdatabasews.icloud.com"):
            assert (await client.get(f"https://{host}/")).json()["host"] == host


async def test_streamed_response(proxy: ProxyServer) -> None:
    url = "https://cvws.icloud-content.com/stream"
    async with (
        httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client,
        client.stream("GET", url) as response,
    ):
        chunks = [chunk async for chunk in response.aiter_bytes()]
    assert b"".join(chunks) == b"chunk0;chunk1;chunk2;"
    assert response.headers.get("transfer-encoding") == "chunked"


async def test_head_has_no_body(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client:
        response = await client.head("https://setup.icloud.com/")
    assert response.status_code == 200 and response.content == b""


async def test_expect_100_continue_is_answered(proxy: ProxyServer) -> None:
    request = (
        b"POST http://setup.icloud.com/upload HTTP/1.1\r\nHost: setup.icloud.com\r\n"
        b"Content-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    writer.write(request)
    await writer.drain()
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim.startswith(b"HTTP/1.1 100")
    writer.write(b"abc")
    await writer.drain()
    final = await asyncio.wait_for(reader.read(4096), 5)
    writer.close()
    assert final.startswith(b"HTTP/1.1 200")
    assert b'"body_length": 3' in final


async def test_plain_http_absolute_uri(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url) as client:
        response = await client.get("http://www.icloud.com/plain?q=2")
    assert response.json()["scheme"] == "http"
    assert response.json()["host"] == "www.icloud.com"
    assert response.json()["path"] == "/plain"


async def test_app_failure_is_a_500_and_the_proxy_survives(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client:
        assert (await client.get("https://setup.icloud.com/boom")).status_code == 500
        assert (await client.get("https://setup.icloud.com/ok")).status_code == 200


async def test_app_dropping_the_connection_resets_it(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client:
        with pytest.raises(httpx.TransportError):
            await client.get("https://cvws.icloud-content.com/reset")
        assert (await client.get("https://cvws.icloud-content.com/ok")).status_code == 200


async def raw_exchange(proxy: ProxyServer, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    writer.write(data)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(4096), 5)
    writer.close()
    return reply


async def test_malformed_request_is_a_400(proxy: ProxyServer) -> None:
    reply = await raw_exchange(proxy, b"THIS IS NOT HTTP\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400")


async def test_connect_to_a_bad_host_name_is_a_400(proxy: ProxyServer) -> None:
    reply = await raw_exchange(proxy, b"CONNECT ../../etc:443 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400")


async def test_untrusting_client_fails_cleanly(proxy: ProxyServer) -> None:
    async with httpx.AsyncClient(proxy=proxy.url) as client:  # system CAs only
        with pytest.raises(httpx.ConnectError):
            await client.get("https://idmsa.apple.com/")
    async with httpx.AsyncClient(proxy=proxy.url, verify=trusting(proxy)) as client:
        assert (await client.get("https://idmsa.apple.com/")).status_code == 200
