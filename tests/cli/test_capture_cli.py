"""``cloudtap capture`` as a user runs it: a process of its own, against a running
sandbox (its proxy and CA in the environment, as ``cloudtap sandbox serve`` prints)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cloudtap.cli.main import app
from cloudtap.sandbox.runtime import RunningSandbox
from tests.support.sandbox import live_sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path_factory.mktemp("apple")) as running:
        yield running


def _run(
    args: list[str], sandbox: RunningSandbox, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDTAP_")}
    env.update(
        CLOUDTAP_DATA_DIR=str(tmp_path / "data"),
        CLOUDTAP_SANDBOX_PROXY_URL=sandbox.proxy_url,
        CLOUDTAP_SANDBOX_CA_FILE=str(sandbox.ca_file),
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "cloudtap.cli.main", "capture", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_capture_writes_a_redacted_file_and_says_what_it_redacted(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = tmp_path / "captures" / "capture_cli.yml"
    done = _run(
        ["rich@sandbox.cloudtap.dev", "--to", str(out), "--max-items", "5"], sandbox, tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "icpl.photos: 5 items" in done.stdout
    assert "cookie:" in done.stdout and "file name:" in done.stdout
    text = out.read_text(encoding="utf-8")
    assert "rich@sandbox.cloudtap.dev" not in text and "sandbox-password" not in text
    uris = [i["request"]["uri"] for i in yaml.safe_load(text)["interactions"]]
    assert any("/records/query" in uri for uri in uris)
    assert uris[-1].split("?")[0].endswith("/logout")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--to", "{tmp}/mine.yml"], "capture_<name>.yml"),
        (["--to", "{tmp}/capture_x.yml", "--data-types", "icpl.nope"], "unknown: icpl.nope"),
        (["--to", "{tmp}/capture_x.yml", "--max-items", "0"], "--max-items"),
    ],
    ids=["file-name", "data-type", "bound"],
)
def test_bad_arguments_are_a_clear_error_and_nothing_is_written(
    tmp_path: Path, args: list[str], said: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = CliRunner().invoke(app, ["capture", "rich@sandbox.cloudtap.dev", *args])
    assert done.exit_code == 2
    assert said in " ".join(done.output.replace("│", " ").split())
    assert not list(tmp_path.glob("*.yml"))


def test_a_refused_login_writes_nothing(sandbox: RunningSandbox, tmp_path: Path) -> None:
    out = tmp_path / "capture_locked.yml"
    done = _run(["locked@sandbox.cloudtap.dev", "--to", str(out)], sandbox, tmp_path)
    assert done.returncode == 1
    assert "login failed: account-locked" in done.stderr
    assert not out.exists()


def test_a_data_type_apple_refuses_is_said_failed_and_its_reply_kept(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = tmp_path / "capture_off.yml"
    done = _run(["photos-off@sandbox.cloudtap.dev", "--to", str(out)], sandbox, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "icpl.photos: failed (icpl-disabled)" in done.stdout
    statuses = [
        i["response"]["status"]["code"] for i in yaml.safe_load(out.read_text())["interactions"]
    ]
    assert len(statuses) >= 4  # sign-in, account, the refused photos call, logout
