"""``cloudtap capture --session ID``: a capture with an API key's live session, made
through the API (``POST /sessions``) against the sandbox; the session stays active and
a poll on it still completes. A session that is not there or not active is refused."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from cloudtap.cli.main import app
from tests.api.conftest import settings  # noqa: F401
from tests.api.live_sandbox import LiveAPI, live_api  # noqa: F401

CONTACTS = "mme_contacts.contacts"


def test_a_capture_with_a_keys_session_leaves_the_session_active(
    live: LiveAPI, tmp_path: Path
) -> None:
    session = live.active_session("rich")
    out = tmp_path / "capture_session.yml"
    args = ["capture", "--session", session["id"], "--to", str(out)]
    done = CliRunner().invoke(app, [*args, "--data-types", CONTACTS, "--max-items", "20"])
    assert done.exit_code == 0, done.output
    assert f"{CONTACTS}: 20 items" in done.output
    uris = [i["request"]["uri"] for i in yaml.safe_load(out.read_text())["interactions"]]
    assert any("/co/startup" in u for u in uris)
    # No sign-in and no logout: the key's session is not the capture's to end.
    assert not [u for u in uris if "/signin/" in u or "/logout" in u or "/accountLogin" in u]
    assert "rich@sandbox.cloudtap.dev" not in out.read_text()
    again = live.client.get(f"/sessions/{session['id']}", headers=live.headers).json()
    assert again["state"] == "active"
    poll = live.poll(session["id"], {"data_types": [CONTACTS]})
    assert poll["state"] == "completed", poll


def test_an_unknown_session_is_a_clear_error_and_writes_nothing(
    live: LiveAPI, tmp_path: Path
) -> None:
    out = tmp_path / "capture_none.yml"
    done = CliRunner().invoke(app, ["capture", "--session", "nope", "--to", str(out)])
    assert done.exit_code == 1 and "no session 'nope'" in done.output
    assert not out.exists()


def test_an_apple_id_and_a_session_together_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "capture_both.yml"
    done = CliRunner().invoke(
        app, ["capture", "rich@sandbox.cloudtap.dev", "--session", "x", "--to", str(out)]
    )
    assert done.exit_code == 2 and not out.exists()
