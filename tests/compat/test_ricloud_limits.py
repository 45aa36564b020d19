"""Permission limits driven by the real ricloud 3.2.0 client (its own venv) against a live
``cloudtap serve`` with the built-in sandbox: a key limited to one iCloud source logs in
once, its second account's login is a ``limit-exceeded`` RequestError, and an invalid
limit is refused when the permissions object is created."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.serve_process import ServedAPI, served_api
from tests.compat.test_ricloud_parity import get, run_python
from tests.support.venvs import client_venv

pytestmark = pytest.mark.compat

LIMIT = {"level": "key", "type": "count", "value": 1}


@pytest.fixture(scope="module")
def venv() -> Path:
    return client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    with served_api(tmp_path_factory.mktemp("limits") / "data") as served:
        yield served


SETUP = r"""
import json
import ricloud
from ricloud.exceptions import RequestError

key = ricloud.Key.create()
limit = {"level": "key", "type": "count", "value": 1}
granted = ricloud.Permissions.create(
    identifier=key.id, scopes={"source_type:icloud.account": [limit]})
try:
    ricloud.Permissions.create(identifier="bad", scopes={
        "source_type:icloud.account": [{"level": "planet", "type": "count", "value": 1}]})
    refused = "created"
except RequestError as exc:
    refused = {"status": exc.status, "error": exc.error, "params": exc.params}
print("RESULT " + json.dumps({"key": key.id, "token": key.token, "scopes": granted.scopes,
                              "refused": refused}))
"""

LIMITED = r"""
import json
import ricloud
from ricloud.exceptions import RequestError

user = ricloud.User.create(identifier="limited")
first = ricloud.Session.create(
    source={"user": user.id, "type": "icloud.account",
            "identifier": "no2fa@sandbox.cloudtap.dev"},
    payload={"password": "sandbox-password"})
seen = {"first": first.state}
try:
    ricloud.Session.create(
        source={"user": user.id, "type": "icloud.account",
                "identifier": "2fa-sms@sandbox.cloudtap.dev"},
        payload={"password": "sandbox-password"})
    seen["second"] = "created"
except RequestError as exc:
    seen["second"] = {"status": exc.status, "error": exc.error, "message": exc.message,
                      "params": exc.params}
again = ricloud.Session.create(source=first.source.id, payload={"password": "sandbox-password"})
seen["again"] = again.state
print("RESULT " + json.dumps(seen))
"""


def test_a_source_limit_refuses_one_more_login_through_ricloud_py(
    venv: Path, api: ServedAPI, tmp_path: Path
) -> None:
    made = run_python(venv, api, tmp_path, SETUP)
    assert made["scopes"] == {"source_type:icloud.account": [LIMIT]}
    refused = made["refused"]
    assert (refused["status"], refused["error"]) == (400, "invalid-parameter")
    assert list(refused["params"]) == ["scopes.source_type:icloud.account.0.level"]

    seen = run_python(venv, api, tmp_path, LIMITED, token=made["token"])
    assert seen["first"] == "active"
    second = seen["second"]
    assert (second["status"], second["error"]) == (403, "limit-exceeded")
    assert second["params"] == {"scope": "source_type:icloud.account", "limit": LIMIT}
    assert "source_type:icloud.account" in second["message"]
    # Logging into the account it already has is no new source.
    assert seen["again"] == "active"
    sources = get(api, "/sources?limit=100", token=made["token"])["data"]
    assert [s["identifier"] for s in sources] == ["no2fa@sandbox.cloudtap.dev"]
    sessions = get(api, "/sessions?limit=100", token=made["token"])["data"]
    assert len(sessions) == 2
