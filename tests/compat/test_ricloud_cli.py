"""The real ``ricloud`` CLI (3.2.0, its own venv) against a live ``cloudtap serve``.

- 2FA: ``ricloud icloud session create`` answers its code prompt on stdin; afterwards
  the database file, the whole data dir and the server's captured output are searched
  for the password, the code and the Apple tokens the server holds: none is there.
- Polls: ``ricloud icloud poll create --data-types <all seven>`` then ``poll download
  --cascade true`` fetches the JSON results, then the photo, contact-image and note
  attachment files its cascade finds (the first file of each item's ``files``, every
  note's ``attachments[].file_id``, up to its default limit of 5 per data type). No
  cascade task fails, and every downloaded file is byte-exact with what the sandbox
  serves.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.jobs.vault import open_state, session_context
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.models import Session
from tests.api.sandbox_bytes import contact_image_bytes, note_attachment_bytes, photo_bytes
from tests.cli.serve_process import ServedAPI, served_api
from tests.support.sandbox import live_sandbox
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

DOMAIN = "sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
CODE = "123456"
ALL_DATA_TYPES = (
    "icpl.photos,mme_contacts.contacts,mme_calendar.events,mme_notes.notes,"
    "callkit.calls,cloudkit_safari.history,fmip.devices"
)


@pytest.fixture(scope="module")
def ricloud() -> str:
    venv = client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])
    return venv_bin(venv, "ricloud")


def _run(
    ricloud: str, api: ServedAPI, cwd: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
    env.update(
        {
            "RICLOUD_URL": api.url,
            "RICLOUD_TOKEN": api.token,
            "RICLOUD_AWAIT_FOR": "30",
            "HOME": str(cwd),
        }
    )
    run = subprocess.run(
        [ricloud, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def _get(api: ServedAPI, path: str) -> Any:
    response = httpx.get(
        f"{api.url}{path}", headers={"Authorization": f"Token {api.token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def _apple_secrets(data_dir: Path, session_id: str) -> list[str]:
    """The Apple tokens and cookies the server sealed for this session, unsealed here."""
    settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(data_dir)})
    try:
        with transaction(settings.database_url) as db:
            row = db.scalars(select(Session).where(Session.id == session_id)).one()
            state = open_state(
                settings, session_context(row.id), row.state_key_id, row.state_sealed
            )
    finally:
        dispose_all()
    assert isinstance(state, dict) and state["kind"] == "session"
    state = state["session"]
    assert state["session_token"] and state["trust_token"]
    found = [state["session_token"], state["trust_token"], state["scnt"], state["session_id"]]
    found += [c["value"] for c in state["cookies"] if len(str(c["value"])) >= 16]
    return [str(s) for s in found if s]


def test_two_factor_login_with_the_cli_leaves_no_secret_in_clear(
    ricloud: str, tmp_path: Path
) -> None:
    apple_id = f"2fa-device@{DOMAIN}"
    data_dir = tmp_path / "data"
    with served_api(data_dir) as api:
        run = _run(
            ricloud,
            api,
            tmp_path,
            "icloud",
            "session",
            "create",
            apple_id,
            "--icloud-password",
            PASSWORD,
            stdin=f"{CODE}\n",
        )
        assert "Please enter the received code" in run.stdout
        sessions = _get(api, "/sessions")["data"]
        states = sorted((s["state"], s["error"] or "") for s in sessions)
        assert states == [("active", ""), ("failed", "code-required")]
        [active] = [s for s in sessions if s["state"] == "active"]
        assert active["source"]["identifier"] == apple_id
        assert active["source"]["state"] == "active"
        log_path = api.log_path
    secrets = _apple_secrets(data_dir, active["id"])
    needles = {PASSWORD: "password", CODE: "code", api.token: "API token"}
    needles |= {s: "Apple token/cookie" for s in secrets}
    places = [p for p in data_dir.rglob("*") if p.is_file()]
    assert data_dir / "cloudtap.db" in places
    for path in places:
        content = path.read_bytes()
        for needle, what in needles.items():
            assert not _leaks(needle, content), f"{what} in clear in {path.name}"
    server_output = log_path.read_bytes()
    assert server_output  # the server did log something: the scan looked at real output
    for needle, what in needles.items():
        if what == "API token":
            continue  # `serve` shows the first key's token once, by design
        assert not _leaks(needle, server_output), f"{what} in the server's output"


def _leaks(needle: str, content: bytes) -> bool:
    """Whether ``needle`` appears in ``content``. The 6-digit code is short enough to turn
    up by chance inside ids and digests (a hex UUID holds ``123456`` about once in 10^7
    windows), so it only counts where it stands alone, as a leaked code would."""
    if len(needle) >= 16:
        return needle.encode() in content
    pattern = rb"(?<![0-9A-Za-z])" + re.escape(needle.encode()) + rb"(?![0-9A-Za-z])"
    return re.search(pattern, content) is not None


@pytest.fixture(scope="module")
def reference_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A second sandbox with the same (default) seed: it serves the same bytes."""
    with live_sandbox(tmp_path_factory.mktemp("reference-sandbox")) as running:
        yield running


def test_poll_create_and_download_with_the_cli_byte_exact(
    ricloud: str, tmp_path: Path, reference_sandbox: RunningSandbox
) -> None:
    apple_id = f"rich@{DOMAIN}"
    with served_api(tmp_path / "data") as api:
        _run(
            ricloud,
            api,
            tmp_path,
            "icloud",
            "session",
            "create",
            apple_id,
            "--icloud-password",
            PASSWORD,
        )
        [session] = _get(api, "/sessions?state=active")["data"]
        _run(
            ricloud,
            api,
            tmp_path,
            "icloud",
            "poll",
            "create",
            session["id"],
            "--data-types",
            ALL_DATA_TYPES,
        )
        [poll] = _get(api, f"/polls?session={session['id']}")["data"]
        assert poll["state"] == "completed" and poll["errors"]["data"] == []
        _run(ricloud, api, tmp_path, "icloud", "poll", "download", poll["id"], "--cascade", "true")
        polls = _get(api, f"/polls?session={session['id']}&limit=100")["data"]

        out = tmp_path / "output" / poll["id"]
        results = {r["identifier"]: r for r in poll["results"]["data"]}
        assert sorted(results) == sorted(ALL_DATA_TYPES.split(","))
        for data_type, result in results.items():
            assert result["type"] == "json"
            document = json.loads((out / data_type).read_bytes())
            assert all(item["data_type"] for item in document["data"])
        photos = json.loads((out / "icpl.photos").read_bytes())["data"]
        contacts = json.loads((out / "mme_contacts.contacts").read_bytes())["data"]
        with_image = [c for c in contacts if c.get("image")][:5]
        assert with_image and all(c["files"] == [c["image"]] for c in with_image)
        assert not any("files" in c for c in contacts if not c.get("image"))
        notes = json.loads((out / "mme_notes.notes").read_bytes())["data"]
        attachments = {a["file_id"]: a for n in notes for a in n["attachments"]}
        cascaded = dict(list(attachments.items())[:5])  # ricloud's order and default limit
        assert {a["extension"] for a in cascaded.values()} == {"jpg", "png", "pdf"}
        first_files = {item["files"][0]["id"]: item["files"][0] for item in photos[:5]}
        images = {c["image"]["id"] for c in with_image}
        assert all(p["errors"]["data"] == [] and p["tasks_failed"] == [] for p in polls)
        file_results = {
            r["identifier"]: r for p in polls for r in p["results"]["data"] if r["type"] != "json"
        }
        assert sorted(file_results) == sorted([*first_files, *images, *cascaded])
        for file_id, result in file_results.items():
            if file_id in images:
                expected = contact_image_bytes(reference_sandbox, apple_id, file_id)
                assert result["type"] == "jpg"
            elif file_id in cascaded:
                expected = note_attachment_bytes(reference_sandbox, apple_id, file_id)
                assert result["type"] == cascaded[file_id]["extension"]
                assert cascaded[file_id]["size"] == len(expected)
            else:
                expected = photo_bytes(reference_sandbox, apple_id, file_id)
                assert result["type"] == first_files[file_id]["extension"]
                assert first_files[file_id]["size"] == len(expected)
            assert (out / quote(file_id, safe="")).read_bytes() == expected
            assert result["size"] == len(expected)
            assert result["checksum"] == hashlib.md5(expected).hexdigest()


def test_leak_detector_finds_a_leaked_code_but_not_digits_inside_ids() -> None:
    assert _leaks("123456", b'{"code": "123456"}')
    assert _leaks("123456", b"code=123456\n")
    assert not _leaks("123456", b"e1234567-89ab-4cde-8f01-23456789abcd")
    assert _leaks("sandbox-password", b"xsandbox-passwordx")
