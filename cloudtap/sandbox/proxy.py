"""An HTTPS CONNECT proxy on loopback that *is* the sandbox's Apple.

Clients run with ``HTTPS_PROXY=http://127.0.0.1:<port>`` and trust the sandbox CA. For a
``CONNECT host:443`` the proxy answers 200, terminates TLS with a leaf certificate for
that host, and serves the sandbox ASGI app over HTTP/1.1 (h11) inside the tunnel, with
keep-alive and streamed response bodies. Plain-HTTP requests with an absolute URI
(``GET http://host/path``) are served the same way without TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import h11
from starlette.types import ASGIApp, Message

from cloudtap.sandbox.ca import CertificateAuthority

log = logging.getLogger(__name__)

_READ_SIZE = 64 * 1024
_MAX_REQUEST_BODY = 64 * 1024 * 1024  # generous: uploads are not emulated
_HANDSHAKE_TIMEOUT = 15.0
_IDLE_TIMEOUT = 300.0  # an idle keep-alive tunnel is closed after this long
_EXCHANGE_LOG_SIZE = 10_000


@dataclass(frozen=True)
class Exchange:
    """One served request, kept so tests can check which paths a client really took."""

    method: str
    host: str
    path: str
    status: int
    # Wall-clock seconds, so tests can line requests up with other processes' logs.
    started: float = 0.0
    finished: float = 0.0


class ProxyServer:
    """Accepts proxy connections on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self, app: ASGIApp, ca: CertificateAuthority, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = app
        self.ca = ca
        self.host = host
        self._requested_port = port
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        # Recent requests, oldest first (bounded; no bodies, headers or query strings).
        self.exchanges: deque[Exchange] = deque(maxlen=_EXCHANGE_LOG_SIZE)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("proxy not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connection, self.host, self._requested_port, limit=_READ_SIZE
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await _Connection(self, reader, writer).run()
        except ConnectionError:
            writer.transport.abort()  # a reset, as the client (or a fault knob) asked
        except (asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass  # the client went away, idled out or refused our certificate
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("sandbox proxy connection failed")
        finally:
            self._connections.discard(task)
            writer.close()
            # Closing may be interrupted by shutdown; the connection is gone either way.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()


class _Connection:
    """One client connection: a CONNECT tunnel or plain absolute-URI requests."""

    def __init__(
        self, proxy: ProxyServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.proxy = proxy
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self.client = (str(peer[0]), int(peer[1]))

    async def run(self) -> None:
        conn = h11.Connection(h11.SERVER)
        event = await self._next_event(conn)
        if not isinstance(event, h11.Request):
            return
        if event.method == b"CONNECT":
            host, port = _split_authority(event.target.decode("latin-1"), 443)
            try:
                context = self.proxy.ca.server_context(host)
            except ValueError:
                await self._send(conn, h11.Response(status_code=400, headers=[]))
                return
            await self._send(conn, h11.Response(status_code=200, headers=[]))
            await self.writer.start_tls(context, ssl_handshake_timeout=_HANDSHAKE_TIMEOUT)
            await self._serve(h11.Connection(h11.SERVER), None, "https", (host, port))
        else:
            await self._serve(conn, event, "http", None)

    async def _serve(
        self,
        conn: h11.Connection,
        first: h11.Request | None,
        scheme: str,
        tunnel: tuple[str, int] | None,
    ) -> None:
        """HTTP/1.1 request loop with keep-alive."""
        pending = first
        while True:
            request = pending or await self._next_event(conn)
            pending = None
            if not isinstance(request, h11.Request):
                return
            body = await self._read_body(conn)
            if body is None:
                await self._send_simple(conn, 413, b"request body too large\n")
                return
            await self._dispatch(conn, request, body, scheme, tunnel)
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _read_body(self, conn: h11.Connection) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        if conn.they_are_waiting_for_100_continue:
            # curl asks before sending larger bodies; say yes instead of making it wait.
            await self._send(conn, h11.InformationalResponse(status_code=100, headers=[]))
        while True:
            event = await self._next_event(conn)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > _MAX_REQUEST_BODY:
                    return None
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                raise ConnectionError("connection closed mid-request")

    async def _dispatch(
        self,
        conn: h11.Connection,
        request: h11.Request,
        body: bytes,
        scheme: str,
        tunnel: tuple[str, int] | None,
    ) -> None:
        target = request.target.decode("latin-1")
        headers = [(bytes(k).lower(), bytes(v)) for k, v in request.headers]
        if tunnel is not None:
            server = tunnel
        else:
            # A plain proxy request names its origin in the URI: http://host[:port]/path.
            parts = urlsplit(target)
            server = _split_authority(parts.netloc or _host_header(headers) or "", 80)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
        if _host_header(headers) is None:
            headers.append((b"host", server[0].encode("latin-1")))
        path, _, query = target.partition("?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.http_version.decode("latin-1"),
            "method": request.method.decode("latin-1").upper(),
            "scheme": scheme,
            "path": unquote(path),
            "raw_path": path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": headers,
            "client": self.client,
            "server": server,
        }
        responder = _Responder(self, conn, request.method)
        started = time.time()
        try:
            await self.proxy.app(scope, responder.receive(body), responder.send)
        except ConnectionError:
            raise  # the client left, or a fault knob drops the connection on purpose
        except Exception:
            log.exception("sandbox app failed on %s %s", scope["method"], path)
            if not responder.started:
                await self._send_simple(conn, 500, b"sandbox internal error\n")
            return
        finally:
            host = _host_header(headers) or server[0]
            self.proxy.exchanges.append(
                Exchange(
                    scope["method"],
                    host.split(":")[0],
                    path,
                    responder.status,
                    started=started,
                    finished=time.time(),
                )
            )
        if not responder.started:
            await self._send_simple(conn, 500, b"sandbox app sent no response\n")
        elif not responder.finished:
            raise ConnectionError("app ended mid-response")

    async def _next_event(self, conn: h11.Connection) -> Any:
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    await self._send_simple(conn, 400, b"malformed HTTP request\n")
                return None
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(self.reader.read(_READ_SIZE), _IDLE_TIMEOUT)
                conn.receive_data(data)
                continue
            if event is h11.PAUSED:
                return None
            return event

    async def _send(self, conn: h11.Connection, event: Any) -> None:
        data = conn.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def _write(self, pieces: list[Any]) -> None:
        pieces = [p for p in pieces if len(p)]
        if pieces:
            self.writer.writelines(pieces)
            await self.writer.drain()

    async def _send_simple(self, conn: h11.Connection, status: int, body: bytes) -> None:
        headers = [("content-type", "text/plain"), ("content-length", str(len(body)))]
        try:
            await self._send(conn, h11.Response(status_code=status, headers=headers))
            await self._send(conn, h11.Data(data=body))
            await self._send(conn, h11.EndOfMessage())
        except h11.LocalProtocolError:
            pass


class _Responder:
    """The ASGI ``receive``/``send`` pair for one request on an h11 connection."""

    def __init__(self, connection: _Connection, conn: h11.Connection, method: bytes) -> None:
        self.connection = connection
        self.conn = conn
        self.head_only = method == b"HEAD"
        self.started = False
        self.finished = False
        self.status = 500
        self._headers: list[tuple[bytes, bytes]] = []
        self._done = asyncio.Event()

    def receive(self, body: bytes) -> Any:
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self._done.wait()
            return {"type": "http.disconnect"}

        return receive

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = int(message["status"])
            self._headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            return
        if kind != "http.response.body" or self.finished:
            return
        # Head, body and end go out in one write where they can: one TLS record, one
        # drain per chunk, and the body passed through (no copy, no join).
        out: list[Any] = []
        if not self.started:
            self.started = True
            out += self._frame(h11.Response(status_code=self.status, headers=self._headers))
        chunk = message.get("body", b"")
        if chunk and not self.head_only:
            out += self._frame(h11.Data(data=chunk))
        if not message.get("more_body", False):
            out += self._frame(h11.EndOfMessage())
            self.finished = True
            self._done.set()
        await self.connection._write(out)

    def _frame(self, event: Any) -> list[Any]:
        return self.conn.send_with_data_passthrough(event) or []


def _host_header(headers: list[tuple[bytes, bytes]]) -> str | None:
    for key, value in headers:
        if key == b"host":
            return value.decode("latin-1")
    return None


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    host, sep, port = authority.rpartition(":")
    if not sep or not port.isdigit():
        return authority.strip("[]").lower(), default_port
    return host.strip("[]").lower(), int(port)
