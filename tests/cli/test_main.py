"""The cloudtap command: keys, db upgrade, and serve on a fresh and a used data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cloudtap.cli.main import app
from cloudtap.config import get_settings
from cloudtap.crypto.tokens import hash_token
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.models import Key, Organisation
from tests.cli.serve_process import TOKEN_LINE, served_api

runner = CliRunner()


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    dispose_all()


def test_version_names_the_installed_package() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"cloudtap {version('cloudtap')}"


def test_db_upgrade() -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (get_settings().data_dir / "cloudtap.db").exists()


def test_keys_create_prints_only_the_token() -> None:
    result = runner.invoke(app, ["keys", "create", "--organisation", "Acme", "--env", "live"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("ct_live_") and "\n" not in token
    again = runner.invoke(app, ["keys", "create", "--organisation", "Acme"]).output.strip()
    assert again.startswith("ct_sandbox_")
    with transaction(get_settings().database_url) as db:
        orgs = list(db.scalars(select(Organisation)))
        assert [o.name for o in orgs] == ["Acme"]
        hashes = set(db.scalars(select(Key.token_hash)))
    assert {hash_token(token), hash_token(again)} <= hashes


def test_keys_create_rejects_unknown_environment() -> None:
    result = runner.invoke(app, ["keys", "create", "--env", "production"])
    assert result.exit_code != 0


def test_serve_prints_a_token_only_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with served_api(data_dir) as api:
        org = httpx.get(f"{api.url}/organisation", headers={"Authorization": f"Token {api.token}"})
        assert org.status_code == 200 and org.json()["resource"] == "organisation"
        assert httpx.get(f"{api.url}/openapi.json").json()["info"]["title"] == "cloudtap"
        first_screen = api.log_path.read_text().splitlines()
    # A newcomer's first screen: the API, the dashboard, then the token, and no internals.
    assert first_screen[-3:] == [
        f"cloudtap API on {api.url} (data dir {data_dir})",
        f"Dashboard: {api.url}/dashboard",
        f"New sandbox API key. Token (shown once): {api.token}",
    ]
    assert not [line for line in first_screen if "alembic" in line or "huey" in line]
    with served_api(data_dir, expect_token=False) as again:
        assert again.token == ""
        log = again.log_path.read_text()
        assert TOKEN_LINE.search(log) is None
        still = httpx.get(f"{again.url}/key", headers={"Authorization": f"Token {api.token}"})
        assert still.status_code == 200
