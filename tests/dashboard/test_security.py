"""Plain-HTTP checks of the dashboard's sign-in: cookie flags, CSRF, wrong keys, and that
the cookie follows the key (revoked or rotated elsewhere: signed out)."""

from __future__ import annotations

import httpx

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import create_key, csrf_of, signed_in_client

COOKIE = "cloudtap_dashboard"


def _set_cookie_header(response: httpx.Response) -> str:
    headers = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    assert len(headers) == 1, headers
    return headers[0]


def test_cookie_is_httponly_strict_and_holds_no_token(served: ServedAPI) -> None:
    client = httpx.Client(base_url=served.url, timeout=30)
    form = client.get("/dashboard/sign-in")
    answer = client.post(
        "/dashboard/sign-in", data={"csrf": csrf_of(form.text), "token": served.token}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    header = _set_cookie_header(answer)
    flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= flags
    assert "samesite=strict" in header.lower() and "path=/dashboard" in header.lower()
    value = client.cookies[COOKIE]
    # A signed random session id and nothing else (tests/dashboard/test_session_end.py).
    assert served.token not in value and served.token.split("_")[-1] not in value
    assert value.count(".") == 2  # id . timestamp . signature
    page = client.get("/dashboard")
    assert page.status_code == 200 and "Sign out" in page.text
    # The sign-in page keeps a signed-in session rather than replacing its cookie.
    again = client.get("/dashboard/sign-in")
    assert again.status_code == 303 and again.headers["location"] == "/dashboard"
    assert "set-cookie" not in again.headers and client.cookies[COOKIE] == value
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_wrong_or_missing_key_is_refused(served: ServedAPI) -> None:
    client = httpx.Client(base_url=served.url, timeout=30)
    for token in ("ct_sandbox_not-a-real-token", "", served.token + "x"):
        form = client.get("/dashboard/sign-in")
        answer = client.post(
            "/dashboard/sign-in", data={"csrf": csrf_of(form.text), "token": token}
        )
        assert answer.status_code == 401
        assert "unknown or no longer active" in answer.text
        assert client.get("/dashboard").status_code == 303  # still not signed in


def test_pages_need_sign_in(served: ServedAPI) -> None:
    client = httpx.Client(base_url=served.url, timeout=30)
    for path in ("/dashboard", "/dashboard/sessions", "/dashboard/keys", "/dashboard/polls/x"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/sign-in"
    forged = "eyJjIjoieCIsImUiOjk5OTk5OTk5OTksImsiOiJ4In0.AAAA"
    answer = client.get("/dashboard", cookies={COOKIE: forged})
    assert answer.status_code == 303


def test_sign_in_form_needs_its_csrf_token(served: ServedAPI) -> None:
    client = httpx.Client(base_url=served.url, timeout=30)
    client.get("/dashboard/sign-in")
    for data in ({"token": served.token}, {"token": served.token, "csrf": "forged"}):
        answer = client.post("/dashboard/sign-in", data=data)
        assert answer.status_code == 403 and "Form refused" in answer.text
        assert client.get("/dashboard").status_code == 303


def test_form_posts_without_or_with_a_wrong_csrf_token_change_nothing(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    api = httpx.Client(
        base_url=served.url, headers={"Authorization": f"Token {served.token}"}, timeout=30
    )
    keys_before = api.get("/keys", params={"limit": 1000}).json()["total_count"]
    users_before = api.get("/users", params={"limit": 1000}).json()["total_count"]
    for data in (
        {"environment": "sandbox"},
        {"environment": "sandbox", "csrf": "wrong"},
        {"environment": "sandbox", "csrf": csrf[:-1]},
    ):
        assert client.post("/dashboard/keys", data=data).status_code == 403
    for data in ({"identifier": "csrf-victim"}, {"identifier": "csrf-victim", "csrf": ""}):
        assert client.post("/dashboard/users", data=data).status_code == 403
    # Another browser session's token is no good either.
    _, other_csrf = signed_in_client(served.url, served.token)
    refused = client.post("/dashboard/keys", data={"environment": "sandbox", "csrf": other_csrf})
    assert refused.status_code == 403
    assert api.get("/keys", params={"limit": 1000}).json()["total_count"] == keys_before
    assert api.get("/users", params={"limit": 1000}).json()["total_count"] == users_before
    # The right token works (the control).
    made = client.post("/dashboard/users", data={"identifier": "csrf-control", "csrf": csrf})
    assert made.status_code == 200
    assert api.get("/users", params={"limit": 1000}).json()["total_count"] == users_before + 1


def test_sign_out_ends_the_session(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    old_cookie = client.cookies[COOKIE]
    assert client.post("/dashboard/sign-out", data={"csrf": "nope"}).status_code == 403
    out = client.post("/dashboard/sign-out", data={"csrf": csrf})
    assert out.url.path == "/dashboard/sign-in"
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert COOKIE not in client.cookies or client.cookies[COOKIE] != old_cookie
    # The session ended on the server: a kept copy of the cookie is signed out too.
    kept = httpx.get(f"{served.url}/dashboard", cookies={COOKIE: old_cookie})
    assert kept.status_code == 303 and kept.headers["location"] == "/dashboard/sign-in"


def test_revoked_or_rotated_key_signs_its_dashboard_sessions_out(served: ServedAPI) -> None:
    token = create_key(served.data_dir, "Security Org")
    client, csrf = signed_in_client(served.url, token)
    api = httpx.Client(base_url=served.url, headers={"Authorization": f"Token {token}"})
    key_id = api.get("/key").json()["id"]
    # Rotating the signed-in key from the dashboard keeps this session going.
    rotated = client.post(f"/dashboard/keys/{key_id}/rotate", data={"csrf": csrf})
    assert rotated.status_code == 200
    new_token = rotated.text.split('id="new-token">')[1].split("<")[0]
    assert new_token.startswith("ct_sandbox_") and new_token != token
    assert client.get("/dashboard/keys").status_code == 200
    assert (
        httpx.get(f"{served.url}/key", headers={"Authorization": f"Token {token}"}).status_code
        == 401
    )
    # Another browser signed in with the same key, then the key rotated elsewhere: out.
    second, _ = signed_in_client(served.url, new_token)
    rotate_again = httpx.post(
        f"{served.url}/keys/{key_id}/rotate", headers={"Authorization": f"Token {new_token}"}
    )
    assert rotate_again.status_code == 200
    assert second.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    # A key revoked (by another key of its organisation): its sessions end too.
    third, _ = signed_in_client(served.url, rotate_again.json()["token"])
    assert third.get("/dashboard").status_code == 200
    other_key = create_key(served.data_dir, "Security Org")
    revoked = httpx.post(
        f"{served.url}/keys/{key_id}",
        json={"state": "deactivated"},
        headers={"Authorization": f"Token {other_key}"},
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "deactivated"
    assert third.get("/dashboard", follow_redirects=False).status_code == 303
