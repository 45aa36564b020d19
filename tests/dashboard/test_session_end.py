"""Dashboard sessions are recorded on the server: signing out, or deactivating the key,
ends them for good, whatever the browser kept (issue 25, item 5)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from cloudtap.dashboard.mount import mount_dashboard
from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import create_key, signed_in_client

COOKIE = "cloudtap_dashboard"
SIGN_IN = "/dashboard/sign-in"
PUBLIC = {("GET", SIGN_IN), ("POST", SIGN_IN)}


def dashboard_routes() -> list[tuple[str, str]]:
    """Every (method, path) the dashboard serves behind sign-in, read from the mounted
    app itself, so a page added later is covered without touching this test."""
    app = FastAPI()
    mount_dashboard(app)
    found: list[tuple[str, str]] = []
    for route in _api_routes(app.routes):
        path = re.sub(r"\{[^}]+\}", "some-id", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            if (method, route.path) not in PUBLIC:
                found.append((method, path))
    return found


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """The app's routes, including those of included routers (FastAPI may keep an included
    router as one entry that holds the original router)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
            continue
        inner = getattr(route, "original_router", route)
        yield from _api_routes(getattr(inner, "routes", []))


def _sent_to_sign_in(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and answer.headers.get("location") == SIGN_IN


def _ask(client: httpx.Client, method: str, path: str, csrf: str) -> httpx.Response:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    form = {"csrf": csrf, "identifier": "after-sign-out", "environment": "sandbox"}
    return client.request(method, path, data=form, follow_redirects=False)


def test_routes_are_read_from_the_app() -> None:
    routes = dashboard_routes()
    assert ("GET", "/dashboard/keys") in routes and ("POST", "/dashboard/keys") in routes
    assert ("POST", "/dashboard/sign-out") in routes
    assert len(routes) > 30


def test_a_signed_out_cookie_is_sent_to_sign_in_on_every_page_and_form(
    served: ServedAPI,
) -> None:
    token = create_key(served.data_dir, "Sign Out Org")
    client, csrf = signed_in_client(served.url, token)
    old_cookie = client.cookies[COOKIE]
    routes = dashboard_routes()
    # The control: signed in, no route sends this cookie to sign-in (a form with a
    # wrong CSRF token is refused, which proves the session itself was accepted).
    for method, path in routes:
        if (method, path) == ("POST", "/dashboard/sign-out"):
            continue
        answer = _ask(client, method, path, "wrong-csrf")
        assert not _sent_to_sign_in(answer), (method, path)

    assert client.post("/dashboard/sign-out", data={"csrf": csrf}).status_code == 200

    stolen = httpx.Client(base_url=served.url, cookies={COOKIE: old_cookie}, timeout=60)
    for method, path in routes:
        answer = _ask(stolen, method, path, csrf)
        assert _sent_to_sign_in(answer), (method, path, answer.status_code)
    api = httpx.Client(base_url=served.url, headers={"Authorization": f"Token {token}"})
    identifiers = [
        u["identifier"] for u in api.get("/users", params={"limit": 1000}).json()["data"]
    ]
    assert "after-sign-out" not in identifiers
    assert api.get("/keys", params={"limit": 1000}).json()["total_count"] == 1


def test_reactivating_a_key_does_not_revive_its_sessions(served: ServedAPI) -> None:
    token = create_key(served.data_dir, "Reactivation Org")
    other = create_key(served.data_dir, "Reactivation Org")
    client, _ = signed_in_client(served.url, token)
    key_id = httpx.get(f"{served.url}/key", headers={"Authorization": f"Token {token}"}).json()[
        "id"
    ]
    admin = httpx.Client(base_url=served.url, headers={"Authorization": f"Token {other}"})
    assert admin.post(f"/keys/{key_id}", json={"state": "deactivated"}).status_code == 200
    assert admin.post(f"/keys/{key_id}", json={"state": "active"}).json()["state"] == "active"
    # The key works again through the API, but the cookie signed in before stays dead.
    assert httpx.get(f"{served.url}/key", headers={"Authorization": f"Token {token}"}).is_success
    assert _sent_to_sign_in(client.get("/dashboard/keys", follow_redirects=False))
    # A fresh sign-in with the reactivated key is a new session, and it works.
    fresh, _ = signed_in_client(served.url, token)
    assert fresh.get("/dashboard/keys").status_code == 200


def test_the_cookie_carries_only_a_signed_random_session_id(served: ServedAPI) -> None:
    token = create_key(served.data_dir, "Cookie Org")
    client, _ = signed_in_client(served.url, token)
    value = client.cookies[COOKIE]
    key_id = httpx.get(f"{served.url}/key", headers={"Authorization": f"Token {token}"}).json()[
        "id"
    ]
    assert key_id not in value and token.split("_")[-1] not in value
    session_id, _, signature = value.partition(".")
    assert len(session_id) >= 32 and signature
    # Random bytes, not a payload naming the key (as the old stateless cookie did).
    raw = base64.urlsafe_b64decode(session_id + "=" * (-len(session_id) % 4))
    assert key_id.encode() not in raw and b'"k"' not in raw
    # A tampered signature is no session at all.
    forged = f"{session_id}.{'A' * len(signature)}"
    answer = httpx.get(f"{served.url}/dashboard", cookies={COOKIE: forged})
    assert _sent_to_sign_in(answer)
