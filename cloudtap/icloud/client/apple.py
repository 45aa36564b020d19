"""One conversation with Apple: an HTTP client bound to one :class:`AppleSession`.

It adds the headers and query strings each kind of Apple host expects and keeps the
session data every reply carries. Service calls (CloudKit, account, content) get one
transparent web-session refresh when Apple says the session ended (421/450).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

import httpx

from cloudtap.icloud import errors
from cloudtap.icloud.connector import TransportOptions
from cloudtap.icloud.endpoints import Endpoints, oauth_headers
from cloudtap.icloud.replies import SESSION_ENDED_STATUS, json_body
from cloudtap.icloud.retry import RETRYABLE_STATUS, RetryableStatus, with_retries
from cloudtap.icloud.session import AppleSession
from cloudtap.icloud.transport import (
    CLIENT_BUILD_NUMBER,
    CLIENT_MASTERING_NUMBER,
    RequestHook,
    build_http_client,
)

Refresher = Callable[["AppleClient"], Awaitable[None]]


class AppleClient:
    def __init__(
        self,
        transport: TransportOptions,
        session: AppleSession,
        *,
        request_hooks: Sequence[RequestHook] = (),
        refresher: Refresher | None = None,
    ) -> None:
        self.transport = transport
        self.session = session
        self.http = build_http_client(
            transport, cookies=session.cookies, request_hooks=request_hooks
        )
        # The client copies the jar; share its live jar so the session sees new cookies.
        self.session.cookies = self.http.cookies
        self.refresher = refresher

    def __repr__(self) -> str:
        return f"AppleClient({self.session!r})"

    async def __aenter__(self) -> AppleClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(china=self.session.china)

    def home_headers(self) -> dict[str, str]:
        """Origin and Referer of the iCloud web app (``.com.cn`` for China accounts)."""
        home = self.endpoints.home
        return {"Origin": home, "Referer": f"{home}/"}

    def query_params(self, *, with_dsid: bool = True) -> dict[str, str]:
        params = {
            "clientBuildNumber": CLIENT_BUILD_NUMBER,
            "clientMasteringNumber": CLIENT_MASTERING_NUMBER,
            "clientId": self.session.client_id,
        }
        if with_dsid and self.session.dsid:
            params["dsid"] = self.session.dsid
        return params

    async def idmsa(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        accept: str | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A call to the Apple ID sign-in service. Never retried: see ``retry``."""
        headers = oauth_headers(self.session.client_id, self.endpoints.home)
        headers.update(self.session.idmsa_headers())
        if accept:
            headers["Accept"] = accept
        response = await self.http.request(
            method, f"{self.endpoints.auth}{path}", json=json, headers=headers, params=params
        )
        self.session.absorb(response)
        return response

    async def setup(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: str | None = None,
        with_dsid: bool = True,
    ) -> httpx.Response:
        """A call to setup.icloud.com (accountLogin, validate, 2SV devices...)."""
        headers = self.home_headers()
        kwargs: dict[str, Any] = {"params": self.query_params(with_dsid=with_dsid)}
        kwargs["headers"] = headers
        if content is not None:
            kwargs["content"] = content
            headers["Content-Type"] = "text/plain"
        elif json is not None:
            kwargs["json"] = json
        response = await self.http.request(method, f"{self.endpoints.setup}{path}", **kwargs)
        self.session.absorb(response)
        return response

    async def service(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """A call to a service host from ``webservices``; idempotent reads are retried."""
        query = self.query_params()
        query.update(params or {})

        async def attempt() -> httpx.Response:
            response = await self.http.request(
                method, url, json=json, params=query, headers=self.home_headers()
            )
            if response.status_code in RETRYABLE_STATUS:
                raise RetryableStatus(response)
            return response

        async def send() -> httpx.Response:
            if not retry:
                return await attempt()
            try:
                return await with_retries(attempt)
            except RetryableStatus as exc:
                return exc.response

        response = unbound(await send())
        if response.status_code in SESSION_ENDED_STATUS and self.refresher is not None:
            await self.refresher(self)
            response = unbound(await send())
        if response.status_code in SESSION_ENDED_STATUS:
            if access_denied(response):
                raise errors.AccessDenied("Apple answered ACCESS_DENIED")
            raise errors.SessionExpired("Apple ended the web session")
        return response


def unbound(response: httpx.Response) -> httpx.Response:
    """The read reply without httpx's stream wrapper, which points back at the reply: that
    cycle kept each reply (a CloudKit page is ~380 KB) until a cyclic collection, which a
    listing's few cyclic objects seldom trigger; without it the reply goes with its last
    reference. The body is the same bytes object, not a copy."""
    response.stream = httpx.ByteStream(response.content)
    return response


def access_denied(response: httpx.Response) -> bool:
    """CloudKit's ``ACCESS_DENIED``: throttling or ADP (see ``errors.AccessDenied``)."""
    body = json_body(response)
    return isinstance(body, dict) and "ACCESS_DENIED" in (
        str(body.get("serverErrorCode")),
        str(body.get("errorCode")),
        str(body.get("reason", "")).upper().replace(" ", "_"),
    )
