"""The uvicorn setup ``cloudtap serve`` runs the API with.

uvicorn answers requests its HTTP parser refuses (headers over h11's 16 KiB, garbage)
itself, in plain text; ricloud-py crashes on a non-JSON error body, so those answers
are ricloud's JSON error too.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

# After refusing a request, how long the rest of it (e.g. a huge header) is read and
# dropped: closing with unread input makes the kernel reset the connection, and the
# client would never see the answer.
LINGER_SECONDS = 2.0


class JsonErrorH11Protocol(H11Protocol):
    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        buffered, _closed = self.conn.trailing_data
        # h11 gives up on a head that outgrows its buffer: the headers are too large.
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        if len(buffered) > limit:
            status, code = 431, "headers-too-large"
            message = "The request headers are too large."
        else:
            status, code, message = 400, "invalid-request", "The request is not valid HTTP."
        body = json.dumps({"error": code, "message": message, "params": {}}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def server_config(app: Any, *, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http=JsonErrorH11Protocol)
