"""``GET /polls/{id}`` of a kept answer is served in front of the router
(``cloudtap.api.fastpath``): these check that it is, that it answers exactly what the
route answers, and that every request the kept answer does not cover reaches the route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from cloudtap.api import auth
from cloudtap.api.kept import KeptAnswers
from cloudtap.api.resources import polls
from cloudtap.app import create_app
from cloudtap.config import Settings
from cloudtap.ops.metrics import REGISTRY
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import transaction
from tests.api.conftest import Tenant
from tests.api.test_kept_poll_answers import (  # headers and the poll it builds
    IDENTITY,
    RICLOUD,
    settled_poll,
)
from tests.jobs.fake_connector import FakeConnector

ROUTE = "/polls/{poll_id}"
# Headers that differ between any two answers whoever makes them.
PER_REQUEST = {"x-request-id", "date", "server"}


@pytest.fixture
def forever(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeptAnswers]:
    answers = KeptAnswers(seconds=10**9)
    monkeypatch.setattr(polls, "answers", answers)
    yield answers


@pytest.fixture
def poll(client: TestClient, tenant: Tenant, worker: FakeConnector) -> dict[str, Any]:
    return settled_poll(client, tenant)


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The route templates whose handler ran, in order."""
    ran: list[str] = []
    handle: Callable[[APIRoute, Scope, Receive, Send], Any] = APIRoute.handle

    async def counting(self: APIRoute, scope: Scope, receive: Receive, send: Send) -> None:
        ran.append(self.path)
        await handle(self, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", counting)
    return ran


def _get(
    client: TestClient,
    tenant: Tenant,
    path: str,
    headers: dict[str, str] | None = None,
) -> Any:
    return client.get(path, headers={**tenant.headers, **(headers or IDENTITY)})


def _same_headers(left: Any, right: Any) -> dict[str, str]:
    mine = {k: v for k, v in left.headers.items() if k not in PER_REQUEST}
    theirs = {k: v for k, v in right.headers.items() if k not in PER_REQUEST}
    assert mine == theirs
    return mine


def test_a_kept_answer_skips_the_router_and_answers_as_the_route(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    forever: KeptAnswers,
    routed: list[str],
) -> None:
    path = f"/polls/{poll['id']}"
    assert _get(client, tenant, path).status_code == 200  # builds and keeps it
    assert routed == [ROUTE]
    plain = _get(client, tenant, path, IDENTITY)
    packed = _get(client, tenant, path, RICLOUD)
    assert routed == [ROUTE]  # both answered in front of the router
    # The route itself (a query string goes to it; it ignores one) answers the same.
    for fast, headers in ((plain, IDENTITY), (packed, RICLOUD)):
        slow = _get(client, tenant, path + "?via=route", headers)
        assert slow.status_code == fast.status_code == 200
        assert slow.content == fast.content
        kept = _same_headers(fast, slow)
        assert kept["content-type"] == "application/json"
        assert kept["vary"] == "Accept-Encoding" and kept["etag"]
        assert fast.headers["x-request-id"]
    assert routed == [ROUTE] * 3
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    # 304 for an ETag held; the client's request id is echoed as by the route.
    held = {**IDENTITY, "If-None-Match": plain.headers["etag"], "X-Request-Id": "req-17"}
    again = _get(client, tenant, path, held)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["x-request-id"] == "req-17"
    assert again.headers["etag"] == plain.headers["etag"]
    # ricloud-py's "Ricloud-Await: 0" is no wait: the kept answer, in front.
    zero = _get(client, tenant, path, {**RICLOUD, "Ricloud-Await": "0"})
    assert zero.status_code == 200 and zero.content == packed.content
    assert routed == [ROUTE] * 3


def test_fast_answers_are_counted_and_logged_under_the_route(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    forever: KeptAnswers,
    routed: list[str],
) -> None:
    labels = {"method": "GET", "route": ROUTE, "status": "200"}

    def counted() -> float:
        return REGISTRY.get_sample_value("cloudtap_http_requests_total", labels) or 0.0

    path = f"/polls/{poll['id']}"
    assert _get(client, tenant, path).status_code == 200
    before = counted()
    assert _get(client, tenant, path).status_code == 200
    assert routed == [ROUTE]
    assert counted() == before + 1


@pytest.mark.parametrize(
    ("method", "suffix", "headers", "status"),
    [
        ("HEAD", "", {}, 405),  # the GET route takes HEAD, or the method is refused
        ("POST", "", {}, 405),
        ("GET", "?x=1", {}, 200),
        ("GET", "", {"Ricloud-Await": "5"}, 200),  # waits on nothing: settled
        ("GET", "", {"Ricloud-Await": "soon"}, 400),
        ("GET", "/tasks", {}, 404),  # no such route: the router's 404
    ],
)
def test_requests_the_kept_answer_does_not_cover_reach_the_router(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    forever: KeptAnswers,
    routed: list[str],
    method: str,
    suffix: str,
    headers: dict[str, str],
    status: int,
) -> None:
    path = f"/polls/{poll['id']}"
    first = _get(client, tenant, path)
    assert first.status_code == 200
    routed.clear()
    answer = client.request(
        method, path + suffix, headers={**tenant.headers, **IDENTITY, **headers}
    )
    assert answer.status_code == status
    # Not answered in front: the poll route's handler ran (the 405 is its own), or the
    # router found no route at all.
    assert routed == ([] if suffix == "/tasks" else [ROUTE])
    if status == 200 and method == "GET":
        assert answer.content == first.content


def test_tokens_not_remembered_go_to_the_route_and_get_its_401(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    forever: KeptAnswers,
    routed: list[str],
) -> None:
    path = f"/polls/{poll['id']}"
    assert _get(client, tenant, path).status_code == 200
    routed.clear()
    refusals = {
        None: ("authentication-required", "Send 'Authorization: Token <key token>'."),
        "Basic abc": ("invalid-token", "The Authorization header must be 'Token <key token>'."),
        "Token nope": ("invalid-token", "The key token is invalid or inactive."),
    }
    for header, (error, message) in refusals.items():
        sent = {**IDENTITY, **({"Authorization": header} if header else {})}
        answer = client.get(path, headers=sent)
        assert answer.status_code == 401
        assert answer.json() == {"error": error, "message": message, "params": {}}
    assert routed == [ROUTE] * 3
    # A key forgotten (any key change) is looked up again by the route, then remembered.
    auth.forget_keys()
    assert _get(client, tenant, path).status_code == 200
    assert _get(client, tenant, path).status_code == 200
    assert routed == [ROUTE] * 4


def test_other_organisation_and_environment_go_to_the_route_and_get_404(
    client: TestClient,
    tenant: Tenant,
    other_tenant: Tenant,
    poll: dict[str, Any],
    settings: Settings,
    forever: KeptAnswers,
    routed: list[str],
) -> None:
    with transaction(settings.database_url) as db:
        live = Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)
    path = f"/polls/{poll['id']}"
    assert _get(client, tenant, path, RICLOUD).status_code == 200
    for stranger in (other_tenant, live):
        for _ in range(2):  # the second time its key is remembered: still not kept for it
            answer = _get(client, stranger, path, RICLOUD)
            assert answer.status_code == 404 and answer.json()["error"] == "not-found"
    assert routed == [ROUTE] * 5


def test_the_rate_limit_counts_fast_answers(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    tenant: Tenant,
    worker: FakeConnector,
    forever: KeptAnswers,
    routed: list[str],
) -> None:
    with TestClient(create_app(settings)) as client:
        made = settled_poll(client, tenant)  # before the limit: its app has none
    monkeypatch.setenv("CLOUDTAP_RATE_LIMIT_PER_SECOND", "1")
    monkeypatch.setenv("CLOUDTAP_RATE_LIMIT_BURST", "3")
    with TestClient(create_app(settings)) as client:
        path = f"/polls/{made['id']}"
        routed.clear()
        assert [_get(client, tenant, path).status_code for _ in range(3)] == [200] * 3
        assert routed == [ROUTE]  # two of the three in front of the router
        refused = _get(client, tenant, path)
        assert refused.status_code == 429 and refused.json()["error"] == "rate-limited"
        assert routed == [ROUTE]
