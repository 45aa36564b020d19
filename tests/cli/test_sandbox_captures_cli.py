"""``cloudtap sandbox serve --captures DIR``: each capture file becomes an account that
cloudtap's client logs into and lists, as it would Apple."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cloudtap.cli.sandbox import sandbox_app
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, TransportOptions
from cloudtap.sandbox.photos.replay import REPLAY_PASSWORD, replay_asset_count

REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO / "tests" / "fixtures" / "captures"
ACCOUNT = "replay-capture-rich@sandbox.cloudtap.dev"


async def _listed(transport: TransportOptions) -> int:
    connector = ICloudConnector(transport)
    outcome = await connector.login(Credentials(ACCOUNT, REPLAY_PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state, outcome.error
    stream = connector.fetch_items(outcome.session_state, "icpl.photos", Filters())
    return len([item async for item in stream])


def test_serve_with_captures_makes_each_capture_an_account(tmp_path: Path) -> None:
    env = {**os.environ, "CLOUDTAP_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    code = "from cloudtap.cli.sandbox import sandbox_app; sandbox_app()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--captures", str(CAPTURES)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        proxy = process.stdout.readline().split(": ", 1)[1].strip()
        ca_file = process.stdout.readline().split(": ", 1)[1].strip()
        transport = TransportOptions(proxy_url=proxy, ca_file=ca_file)
        count = asyncio.run(_listed(transport))
        assert count == replay_asset_count(CAPTURES / "capture_rich.yml") == 63
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_with_a_missing_captures_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(sandbox_app, ["serve", "--captures", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "is not a folder" in " ".join(result.output.replace("│", " ").split())
