"""``cloudtap sandbox accounts`` and ``cloudtap sandbox serve``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cloudtap.cli.sandbox import sandbox_app

REPO = Path(__file__).resolve().parents[2]


def test_accounts_json_lists_credentials_and_counts() -> None:
    result = CliRunner().invoke(sandbox_app, ["accounts", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    by_id = {row["apple_id"]: row for row in rows}
    assert set(rows[0]) == {"apple_id", "password", "code", "scenario", "photo_count"}
    assert by_id["no2fa@sandbox.cloudtap.dev"]["code"] is None
    assert by_id["2fa-device@sandbox.cloudtap.dev"]["code"] == "123456"
    assert by_id["photos-100k@sandbox.cloudtap.dev"]["photo_count"] == 100_000


def test_accounts_table() -> None:
    result = CliRunner().invoke(sandbox_app, ["accounts"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["APPLE", "ID", "PASSWORD", "CODE", "SCENARIO", "PHOTOS"]
    assert any(line.startswith("2fa-sms@sandbox.cloudtap.dev") for line in lines)


def test_serve_prints_address_and_ca_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "CLOUDTAP_DATA_DIR": str(tmp_path / "data")}
    code = "from cloudtap.cli.sandbox import sandbox_app; sandbox_app(['serve'])"
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        proxy_line = process.stdout.readline()
        ca_line = process.stdout.readline()
        assert proxy_line.startswith("sandbox proxy: http://127.0.0.1:")
        proxy = proxy_line.split(": ", 1)[1].strip()
        ca_file = ca_line.split(": ", 1)[1].strip()
        assert Path(ca_file).is_file()
        with httpx.Client(proxy=proxy, verify=ca_file) as client:
            reply = client.post("https://setup.icloud.com/setup/ws/1/validate", content=b"null")
        assert reply.status_code == 421
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_accept_terms_reaches_the_running_sandbox(tmp_path: Path) -> None:
    from tests.support.sandbox import live_sandbox

    with live_sandbox(tmp_path / "data") as running:
        account = "terms-503@sandbox.cloudtap.dev"
        assert not running.world.sign_ins.terms_accepted(account)
        args = ["accept-terms", account, "--proxy", running.proxy_url]
        result = CliRunner().invoke(sandbox_app, args)
        assert result.exit_code == 0, result.output
        assert running.world.sign_ins.terms_accepted(account)
        unknown = CliRunner().invoke(
            sandbox_app, ["accept-terms", "nobody@x.y", "--proxy", running.proxy_url]
        )
        assert unknown.exit_code == 1 and "no sandbox account" in unknown.output


def test_accept_terms_without_a_sandbox_says_how_to_name_one(tmp_path: Path) -> None:
    from cloudtap.config import Settings, set_settings

    set_settings(Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path)}))
    result = CliRunner().invoke(sandbox_app, ["accept-terms", "terms-503@sandbox.cloudtap.dev"])
    assert result.exit_code == 2
    assert "CLOUDTAP_SANDBOX_PROXY_URL" in result.output
