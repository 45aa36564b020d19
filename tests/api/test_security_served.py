"""The security boundaries against a real ``cloudtap serve`` process, over HTTP.

A sandbox token cannot rotate or deactivate the organisation's live key, and a
``local://`` storage config naming the server's own home (outside its results folder)
is refused without anything being created, whatever user the server runs as.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cli.serve_process import created_key, served_api

SANDBOX_APPLE_ID = "no2fa@sandbox.cloudtap.dev"


def _live_token(data_dir: Path) -> str:
    token = created_key(data_dir, "--env", "live")
    assert token.startswith("ct_live_"), token
    return token


def test_a_sandbox_token_cannot_take_over_the_live_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with served_api(data_dir) as api:
        assert api.token.startswith("ct_sandbox_")
        live_token = _live_token(data_dir)
        sandbox = {"Authorization": f"Token {api.token}"}
        live = {"Authorization": f"Token {live_token}"}
        with httpx.Client(base_url=api.url, timeout=30) as http:
            live_key = http.get("/key", headers=live).json()
            assert live_key["environment"] == "live"
            rotated = http.post(f"/keys/{live_key['id']}/rotate", headers=sandbox)
            assert rotated.status_code == 404 and "ct_live_" not in rotated.text
            off = http.post(
                f"/keys/{live_key['id']}", json={"state": "deactivated"}, headers=sandbox
            )
            assert off.status_code == 404
            listed = http.get("/keys", headers=sandbox).json()["data"]
            assert live_key["id"] not in {key["id"] for key in listed}
            assert http.get("/key", headers=live).json()["state"] == "active"


def test_a_local_path_in_the_servers_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "server-home"
    home.mkdir()
    target = home / "written-by-cloudtap"
    with served_api(tmp_path / "data", extra_env={"HOME": str(home)}) as api:
        headers = {"Authorization": f"Token {api.token}"}
        with httpx.Client(base_url=api.url, timeout=30) as http:
            saved = http.post(
                "/configs/storage", json={"url": f"local://{target}"}, headers=headers
            )
            assert saved.status_code == 400, saved.text
            assert "url" in saved.json()["params"]
            assert http.get("/configs/storage", headers=headers).json()["total_count"] == 0
    assert not target.exists()


def test_signed_links_ignore_the_callers_host_header(tmp_path: Path) -> None:
    # No CLOUDTAP_PUBLIC_URL: links name the address serve listens on, never a Host a
    # caller (or a link-poisoning intermediary) sends.
    with (
        served_api(tmp_path / "data") as api,
        httpx.Client(
            base_url=api.url, timeout=60, headers={"Authorization": f"Token {api.token}"}
        ) as http,
    ):
        user = http.post("/users", json={"identifier": "me"}).json()
        source = {"user": user["id"], "type": "icloud.account", "identifier": SANDBOX_APPLE_ID}
        session = http.post(
            "/sessions",
            json={"source": source, "payload": {"password": "sandbox-password"}},
            headers={"Ricloud-Await": "30"},
        ).json()
        assert session["state"] == "active", session
        poll = http.post(
            "/polls",
            json={"session": session["id"], "payload": {"info_types": ["icloud.account.info"]}},
            headers={"Ricloud-Await": "30"},
        ).json()
        assert poll["state"] == "completed", poll
        for host in ("evil.example.com", "127.0.0.1:1", "[::1]:9"):
            listed = http.get(
                "/results", params={"poll": poll["id"]}, headers={"Host": host}
            ).json()["data"]
            assert listed, listed
            for result in listed:
                url = result["signed_url"]["url"]
                assert url.startswith(f"{api.url}/results/"), (host, url)
        link = listed[0]["signed_url"]["url"]
        assert httpx.get(link, timeout=30).status_code == 200
