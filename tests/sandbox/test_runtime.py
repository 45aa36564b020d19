"""start_sandbox: world + hosts + proxy in a background thread, CA in the data dir."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import httpx
import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.runtime import sandbox_accounts, start_sandbox


def settings_for(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path / "data"), **env})


def test_start_serve_and_close(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sandbox = start_sandbox(settings)
    try:
        assert sandbox.ca_file == settings.data_dir / "sandbox" / "ca" / "ca.pem"
        assert sandbox.proxy_url == f"http://127.0.0.1:{sandbox.port}"
        assert sandbox.world.account("no2fa@sandbox.cloudtap.dev") is not None
        context = ssl.create_default_context(cafile=str(sandbox.ca_file))
        with httpx.Client(proxy=sandbox.proxy_url, verify=context) as client:
            response = client.post("https://setup.icloud.com/setup/ws/1/validate", content=b"null")
            nobody = client.get("https://nowhere.example.com/")
        assert response.status_code == 421
        assert nobody.status_code == 502  # a host the sandbox does not emulate
        env = sandbox.client_env()
        assert env["HTTPS_PROXY"] == sandbox.proxy_url
        assert env["REQUESTS_CA_BUNDLE"] == str(sandbox.ca_file)
    finally:
        sandbox.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", sandbox.port), 1):
        pass
    sandbox.close()  # idempotent


def test_ca_survives_restarts(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with start_sandbox(settings) as first:
        ca = first.ca_file.read_bytes()
    with start_sandbox(settings) as second:
        assert second.ca_file.read_bytes() == ca


def test_fixed_port(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with start_sandbox(settings_for(tmp_path), port=port) as sandbox:
        assert sandbox.port == port
        with pytest.raises(OSError):
            start_sandbox(settings_for(tmp_path), port=port)


def test_accounts_follow_the_seed(tmp_path: Path) -> None:
    one = {a.apple_id: a.dsid for a in sandbox_accounts(settings_for(tmp_path))}
    same = {a.apple_id: a.dsid for a in sandbox_accounts(settings_for(tmp_path))}
    other = sandbox_accounts(settings_for(tmp_path, CLOUDTAP_SANDBOX_SEED="2"))
    assert one == same
    assert {a.apple_id for a in other} == set(one)
    assert {a.dsid for a in other}.isdisjoint(one.values())


def test_replay_accounts_join_when_captures_are_set(tmp_path: Path, captures_dir: Path) -> None:
    plain = sandbox_accounts(settings_for(tmp_path))
    with_replays = sandbox_accounts(
        settings_for(tmp_path, CLOUDTAP_SANDBOX_CAPTURES=str(captures_dir))
    )
    replays = [a for a in with_replays if a.scenario.startswith("replay:")]
    assert replays
    assert len(with_replays) == len(plain) + len(replays)
