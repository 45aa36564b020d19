"""Where the key sealing a pull folder's Apple session lives: outside the folder.

The embedded server keeps Apple's session and trust state sealed in the folder's
``cloudtap.db``; the key that opens it is kept per user on this machine, in
``$CLOUDTAP_PULL_KEY_DIR`` or ``$XDG_DATA_HOME/cloudtap/pull-keys`` (default
``~/.local/share/cloudtap/pull-keys``), one 0600 file per folder in a 0700 directory.
A synced, backed-up or restored folder therefore carries no way to open its session:
elsewhere the pull signs in again.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cloudtap.config import MASTER_KEY_FILE
from cloudtap.pull.paths import PRIVATE_DIR, PRIVATE_FILE, write_new

KEY_ID_FILE = "key-id"  # which of the user's keys is this folder's (not a secret)
DATABASE = "cloudtap.db"


def key_home(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("CLOUDTAP_PULL_KEY_DIR"):
        return Path(env["CLOUDTAP_PULL_KEY_DIR"]).expanduser()
    data_home = env.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(data_home) / "cloudtap" / "pull-keys"


def _key_id(server_dir: Path) -> str:
    path = server_dir / KEY_ID_FILE
    if path.is_file() and not path.is_symlink():
        found = path.read_text().strip()
        if found.isalnum():
            return found
    made = secrets.token_hex(16)
    write_new(path, made.encode(), PRIVATE_FILE)
    return made


def folder_key(server_dir: Path, say: Callable[[str], None]) -> Path:
    """This folder's key file (created by the server on first use). A key left in the
    folder by an earlier version is moved out once; a database whose key is nowhere is
    set aside (its sealed session cannot be opened), so the pull signs in afresh."""
    server_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    home = key_home()
    home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if home.stat().st_uid == os.getuid():  # a directory the user named may not be theirs
        os.chmod(home, PRIVATE_DIR)
    key = home / f"{_key_id(server_dir)}.key"
    legacy = server_dir / MASTER_KEY_FILE
    if legacy.is_file() and not legacy.is_symlink():
        # The folder's own key is the one that sealed its database: it wins.
        write_new(key, legacy.read_bytes(), PRIVATE_FILE)
        legacy.unlink()
        say(f"moved the key that seals this folder's Apple session out of it, to {key}")
    elif not key.exists() and (server_dir / DATABASE).exists():
        aside = server_dir / f"{DATABASE}.no-key"
        os.replace(server_dir / DATABASE, aside)
        for suffix in ("-wal", "-shm"):
            (server_dir / f"{DATABASE}{suffix}").unlink(missing_ok=True)
        say(f"this folder's key is not on this machine: signing in again ({aside} kept)")
    return key
