"""The few calls of cloudtap's HTTP API that a pull makes (ricloud v3 wire format)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cloudtap.pull.paths import open_new

JSON = dict[str, Any]
AWAIT_SECONDS = 25  # under the server's default cap of 30
CHUNK = 256 * 1024
POLL_TIMEOUT = 3600.0  # a big library's first listing takes a while


class ApiError(Exception):
    """The API answered with an error (ricloud's ``{"error", "message"}``)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error = status, error


@dataclass(frozen=True)
class Download:
    size: int
    md5: str


class CloudtapClient:
    """Synchronous: one pull is one sequence of calls; bytes are streamed to disk."""

    def __init__(self, base_url: str, token: str, local_results: bool = False) -> None:
        # The embedded server's result files are on this machine: read them in place.
        self._local_results = local_results
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Token {token}"},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: JSON | None = None, wait: bool = False) -> JSON:
        headers = {"Ricloud-Await": str(AWAIT_SECONDS)} if wait else {}
        response = self._http.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            try:
                err = response.json()
            except ValueError:
                err = {}
            raise ApiError(
                response.status_code, str(err.get("error", "error")), str(err.get("message", ""))
            )
        answer: JSON = response.json()
        return answer

    def user(self, identifier: str) -> JSON:
        """The API user for this pull (``POST /users`` returns an existing one)."""
        return self._call("POST", "/users", {"identifier": identifier})

    def login(
        self,
        user: str,
        apple_id: str,
        on_waiting: Callable[[JSON], None] | None = None,
        **payload: Any,
    ) -> JSON:
        """The session once settled; ``on_waiting`` hears, once, of a login that waits for
        the account holder (``error_info.waiting_for`` while ``pending``)."""
        body = {
            "source": {"user": user, "type": "icloud.account", "identifier": apple_id},
            "payload": {k: v for k, v in payload.items() if v is not None},
        }
        session = self._call("POST", "/sessions", body, wait=True)
        return self._settled(session, "/sessions", ("pending",), on_waiting)

    def session(self, session_id: str) -> JSON:
        return self._call("GET", f"/sessions/{session_id}")

    def poll(self, session_id: str, payload: JSON) -> JSON:
        poll = self._call("POST", "/polls", {"session": session_id, "payload": payload}, wait=True)
        return self._settled(poll, "/polls", ("pending", "processing"))

    def _settled(
        self,
        obj: JSON,
        collection: str,
        unsettled: tuple[str, ...],
        on_waiting: Callable[[JSON], None] | None = None,
    ) -> JSON:
        deadline = time.monotonic() + POLL_TIMEOUT
        while obj.get("state") in unsettled:
            if on_waiting is not None and (obj.get("error_info") or {}).get("waiting_for"):
                on_waiting(obj)
                on_waiting = None
            if time.monotonic() > deadline:
                raise ApiError(504, "timeout", f"{collection}/{obj['id']} did not settle")
            obj = self._call("GET", f"{collection}/{obj['id']}", wait=True)
        return obj

    def json_result(self, result: JSON) -> JSON:
        body: JSON = json.loads(b"".join(self._chunks(result)))
        return body

    def download(
        self, result: JSON, target: Path, on_bytes: Callable[[int], None] = lambda n: None
    ) -> Download:
        """Stream a file result to ``target`` (written beside it, then renamed), checked
        against the size and MD5 the API announced."""
        partial = target.with_name(f".{target.name}.part")
        md5, size = hashlib.md5(usedforsecurity=False), 0
        with os.fdopen(open_new(partial), "wb") as out:  # never through a planted symlink
            for chunk in self._chunks(result):
                out.write(chunk)
                md5.update(chunk)
                size += len(chunk)
                on_bytes(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        digest = md5.hexdigest()
        expected_size, expected_md5 = result.get("size"), result.get("checksum")
        if (expected_size is not None and size != expected_size) or (
            expected_md5 and digest != expected_md5
        ):
            partial.unlink(missing_ok=True)
            raise ApiError(502, "checksum-mismatch", f"{result.get('identifier')} arrived damaged")
        os.replace(partial, target)
        return Download(size, digest)

    def _chunks(self, result: JSON) -> Iterator[bytes]:
        """The result's bytes: read straight from its ``local://`` path for the embedded
        server (as ricloud-py does on the same machine), else streamed from its signed URL."""
        url = str(result.get("url") or "")
        local = None
        if self._local_results and url.startswith("local://"):
            local = Path(url.removeprefix("local://"))
        if local is not None and local.is_file():
            with open(local, "rb") as fh:
                yield from iter(lambda: fh.read(CHUNK), b"")
            return
        with self._http.stream("GET", _download_url(result), timeout=300.0) as response:
            response.raise_for_status()
            yield from response.iter_bytes(CHUNK)

    def ack(self, result_ids: list[str]) -> None:
        if result_ids:
            self._call("POST", "/results/ack", {"ids": result_ids})


def _download_url(result: JSON) -> str:
    signed = result.get("signed_url") or {}
    url = signed.get("url")
    if not url:
        raise ApiError(500, "no-download-url", f"result {result.get('id')} has no signed_url")
    return str(url)
