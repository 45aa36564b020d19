"""The real ``ricloud`` CLI (3.2.0) downloads a changes-only poll whose result carries
a ``deleted`` list beside ``data`` (a note deleted on Apple's side since the previous
listing): the download and its cascade succeed, and the file holds both keys."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services import _ckzone
from cloudtap.sandbox.services.notes import NotesContainer
from tests.cli.serve_process import ServedAPI, served_api
from tests.support.sandbox import live_sandbox
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

APPLE_ID = "rich@sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
NOTES = "mme_notes.notes"


@pytest.fixture(scope="module")
def ricloud() -> str:
    venv = client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])
    return venv_bin(venv, "ricloud")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path / "sandbox") as running:
        yield running


def _ricloud(ricloud: str, api: ServedAPI, cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
    env.update(RICLOUD_URL=api.url, RICLOUD_TOKEN=api.token, RICLOUD_AWAIT_FOR="30", HOME=str(cwd))
    run = subprocess.run(
        [ricloud, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _api(api: ServedAPI, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method,
        f"{api.url}{path}",
        json=body,
        headers={"Authorization": f"Token {api.token}", "Ricloud-Await": "25"},
        timeout=60,
    )
    assert response.status_code < 300, response.text
    return response.json()


def _settled_poll(api: ServedAPI, session: str, payload: dict[str, Any]) -> dict[str, Any]:
    poll = _api(api, "POST", "/polls", {"session": session, "payload": payload})
    for _ in range(20):
        if poll["state"] not in ("pending", "processing"):
            break
        poll = _api(api, "GET", f"/polls/{poll['id']}")
    assert poll["state"] == "completed", poll
    return dict(poll)


def test_ricloud_downloads_a_result_with_deletions(
    ricloud: str, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    extra_env = {
        "CLOUDTAP_SANDBOX_PROXY_URL": sandbox.proxy_url,
        "CLOUDTAP_SANDBOX_CA_FILE": str(sandbox.ca_file),
    }
    with served_api(tmp_path / "data", extra_env=extra_env) as api:
        _ricloud(
            ricloud, api, tmp_path, "icloud", "session", "create", APPLE_ID,
            "--icloud-password", PASSWORD,
        )  # fmt: skip
        [session] = _api(api, "GET", "/sessions?state=active")["data"]
        first = _settled_poll(api, session["id"], {"data_types": [NOTES]})

        account = sandbox.world.account(APPLE_ID)
        assert account is not None
        log = NotesContainer().change_log(account)
        name = next(
            str(log.record_at(p)["recordName"])
            for p in range(log.total)
            if log.type_at(p) == "Note"
        )
        _ckzone.delete_record(sandbox.world, account.dsid, NotesContainer.name, name)

        # After the first listing: the API lists only the changes (its kept cursor).
        done = datetime.fromisoformat(first["date_completed"].replace("Z", "+00:00"))
        since = (done.replace(microsecond=0) + timedelta(seconds=1)).isoformat()
        second = _settled_poll(api, session["id"], {"data_types": [NOTES], "since": since})
        _ricloud(
            ricloud, api, tmp_path, "icloud", "poll", "download", second["id"],
            "--cascade", "true",
        )  # fmt: skip
    document = json.loads((tmp_path / "output" / second["id"] / NOTES).read_bytes())
    assert document == {"data": [], "deleted": [stable_id("note", name)]}
