"""Where a pull folder's key lives, and the folders made before it lived there."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cloudtap.pull.keys import folder_key, key_home


def test_key_home_prefers_the_override_then_xdg_then_home() -> None:
    assert key_home({"CLOUDTAP_PULL_KEY_DIR": "/k", "XDG_DATA_HOME": "/x"}) == Path("/k")
    assert key_home({"XDG_DATA_HOME": "/x"}) == Path("/x/cloudtap/pull-keys")
    assert key_home({}) == Path("~/.local/share/cloudtap/pull-keys").expanduser()


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "keys"
    monkeypatch.setenv("CLOUDTAP_PULL_KEY_DIR", str(home))
    return home


def test_a_folder_keeps_its_key_outside_and_finds_it_again(keys: Path, tmp_path: Path) -> None:
    server = tmp_path / "copy/.cloudtap-pull/server"
    said: list[str] = []
    key = folder_key(server, said.append)
    assert key.parent == keys and not key.exists()  # the server makes it on first use
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert folder_key(server, said.append) == key and said == []


def test_a_key_left_inside_is_moved_out_once(keys: Path, tmp_path: Path) -> None:
    server = tmp_path / "server"
    server.mkdir()
    (server / "master.key").write_text("ab" * 32)
    said: list[str] = []
    key = folder_key(server, said.append)
    assert key.read_text() == "ab" * 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not (server / "master.key").exists() and len(said) == 1
    assert folder_key(server, said.append) == key and len(said) == 1


def test_a_database_without_its_key_is_set_aside(keys: Path, tmp_path: Path) -> None:
    server = tmp_path / "server"
    server.mkdir()
    (server / "cloudtap.db").write_bytes(b"sealed elsewhere")
    said: list[str] = []
    folder_key(server, said.append)
    assert not (server / "cloudtap.db").exists()
    assert (server / "cloudtap.db.no-key").read_bytes() == b"sealed elsewhere"
    assert "signing in again" in said[0]
