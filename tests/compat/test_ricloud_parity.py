"""Issue 12's ricloud flows, each driven by the real ricloud 3.2.0 client or CLI (its own
venv) against a live ``cloudtap serve`` with the built-in sandbox."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.publish.stores import open_credentials
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.models import StorageConfig
from tests.cli.serve_process import ServedAPI, served_api
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

DOMAIN = "sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
CODE = "123456"


@pytest.fixture(scope="module")
def venv() -> Path:
    return client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    extra_env = {"CLOUDTAP_SUBSCRIPTION_MIN_INTERVAL": "3600"}
    with served_api(tmp_path_factory.mktemp("parity") / "data", extra_env=extra_env) as served:
        yield served


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[ServedAPI]:
    """A server of its own, for flows that change the organisation's configuration."""
    with served_api(tmp_path / "fresh-data") as served:
        yield served


def client_env(api: ServedAPI, home: Path, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
    env.update(
        {
            "RICLOUD_URL": api.url,
            "RICLOUD_TOKEN": token or api.token,
            "RICLOUD_AWAIT_FOR": "30",
            "HOME": str(home),
        }
    )
    return env


def run_cli(
    venv: Path, api: ServedAPI, home: Path, *args: str, stdin: str = "", check: bool = True
) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [venv_bin(venv, "ricloud"), *args],
        env=client_env(api, home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if check:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


def get(api: ServedAPI, path: str, token: str | None = None) -> Any:
    response = httpx.get(
        f"{api.url}{path}", headers={"Authorization": f"Token {token or api.token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_mistyped_code_is_asked_again_by_the_cli(
    venv: Path, api: ServedAPI, tmp_path: Path
) -> None:
    apple_id = f"2fa-sms@{DOMAIN}"
    run = run_cli(
        venv,
        api,
        tmp_path,
        *("icloud", "session", "create", apple_id, "--icloud-password", PASSWORD),
        stdin=f"000000\n{CODE}\n",
    )
    assert "Invalid code provided. Retrying..." in run.stdout
    assert "Session created" in run.stdout
    sessions = [
        s for s in get(api, "/sessions?limit=100")["data"] if s["source"]["identifier"] == apple_id
    ]
    outcomes = sorted(
        (s["state"], s["error"] or "", (s["error_info"] or {}).get("reason", "")) for s in sessions
    )
    # First attempt: a code is needed; the mistyped code: needed again, and why; then active.
    assert outcomes == [
        ("active", "", ""),
        ("failed", "code-required", ""),
        ("failed", "code-required", "code-invalid"),
    ]


def run_python(
    venv: Path,
    api: ServedAPI,
    home: Path,
    script: str,
    token: str | None = None,
    args: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Runs ``script`` with ricloud's own Python; it prints ``RESULT <json>`` last."""
    run = subprocess.run(
        [venv_bin(venv, "python"), "-c", script, *args],
        env=client_env(api, home, token),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


SUBSCRIPTION_POLL = r"""
import json
import ricloud

user = ricloud.User.create(identifier="sub-poller")
session = ricloud.Session.create(
    source={"user": user.id, "type": "icloud.account",
            "identifier": "no2fa@sandbox.cloudtap.dev"},
    payload={"password": "sandbox-password"},
)
sub = ricloud.Subscription.create(session=session.id, poll_payload={"info_types": ["*"]})
poll = ricloud.Poll.create(subscription=sub.id, payload={"data_types": ["fmip.devices"]})
print("RESULT " + json.dumps({"session": session.id, "subscription": sub.id,
                              "poll": {"id": poll.id, "session": poll.session,
                                       "subscription": poll.subscription}}))
"""


def test_a_poll_may_name_a_subscription_instead_of_a_session(
    venv: Path, api: ServedAPI, tmp_path: Path
) -> None:
    seen = run_python(venv, api, tmp_path, SUBSCRIPTION_POLL)
    assert seen["poll"]["session"] == seen["session"]
    assert seen["poll"]["subscription"] == seen["subscription"]
    run = run_cli(
        venv,
        api,
        tmp_path,
        *("rirelay", "sub", "poll", seen["subscription"], "--data-types", "fmip.devices"),
    )
    polls = get(api, f"/polls?subscription={seen['subscription']}&limit=10")["data"]
    # The subscription's own first run is there too; the CLI's poll asked for Find My.
    asked = [p for p in polls if p["payload"].get("data_types") == ["fmip.devices"]]
    by_cli = [p for p in asked if p["id"] != seen["poll"]["id"]]
    assert len(by_cli) == 1 and by_cli[0]["id"] in run.stdout
    assert by_cli[0]["session"] == seen["session"]
    assert by_cli[0]["state"] == "completed"
    assert [r["identifier"] for r in by_cli[0]["results"]["data"]] == ["fmip.devices"]


IAM_CSV = (
    "User name,Password,Access key ID,Secret access key,Console login link\n"
    "results-writer,Console-Pa55word!,AKIAEXAMPLE0000000001,wJalrEXAMPLEsecretKEY0000000001,"
    "https://123456789012.signin.aws.amazon.com/console\n"
)


def _stored_credentials(api: ServedAPI, config_id: str) -> dict[str, Any]:
    settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(api.data_dir)})
    try:
        with transaction(settings.database_url) as db:
            row = db.scalars(select(StorageConfig).where(StorageConfig.id == config_id)).one()
            return open_credentials(settings, row)
    finally:
        dispose_all()


def test_storage_credentials_as_aws_hands_them_out(
    venv: Path, fresh_api: ServedAPI, tmp_path: Path
) -> None:
    api = fresh_api
    csv_path = tmp_path / "results-writer_credentials.csv"
    csv_path.write_text(IAM_CSV)
    run = run_cli(
        venv,
        api,
        tmp_path,
        *("storage-config", "create", "--url", "s3://iam-bucket/prefix"),
        *("--credentials-path", str(csv_path)),
    )
    configs = [c for c in get(api, "/configs/storage?limit=100")["data"] if c["id"] in run.stdout]
    assert [c["url"] for c in configs] == ["s3://iam-bucket/prefix"]
    assert configs[0]["credentials"] == {}
    # The keys are kept (sealed); the console password and user/link are not kept at all.
    assert _stored_credentials(api, configs[0]["id"]) == {
        "access_key_id": "AKIAEXAMPLE0000000001",
        "secret_access_key": "wJalrEXAMPLEsecretKEY0000000001",
    }
    assert b"Console-Pa55word!" not in (api.data_dir / "cloudtap.db").read_bytes()


SIGNED_URLS = r"""
import json, sys, time
import ricloud
from ricloud.exceptions import RequestError
from ricloud.samples.utils import await_response

seen = {}
config = ricloud.StorageConfig.create(
    url="local://" + sys.argv[1], signed_urls_enabled=True, signed_urls_expiry=120
)
user = ricloud.User.create(identifier="signer")
session = ricloud.Session.create(
    source={"user": user.id, "type": "mocks.mock", "identifier": "signer@example.com"},
    payload={"password": "x"},
)
await_response(session)
poll = ricloud.Poll.create(session=session.id, payload={"info_types": ["*"]})
await_response(poll)
seen["before"] = time.time()
result = ricloud.Result.retrieve(poll.results[0]["id"])
seen["now"] = time.time()
seen["signed"] = result.signed_url
config.update(signed_urls_enabled=False)
seen["unsigned"] = ricloud.Result.retrieve(result.id).signed_url
answers = {}
for flag in (True, False):
    try:
        ricloud.Poll.create(
            session=session.id,
            payload={"info_types": ["*"], "publish_source_files": flag},
        )
        answers[str(flag)] = "created"
    except RequestError as exc:
        answers[str(flag)] = {"status": exc.status, "error": exc.error, "params": exc.params}
seen["publish_source_files"] = answers
print("RESULT " + json.dumps(seen))
"""


def test_signed_url_settings_and_publish_source_files_are_honoured(
    venv: Path, fresh_api: ServedAPI, tmp_path: Path
) -> None:
    folder = fresh_api.data_dir.resolve() / "results" / "signed"
    seen = run_python(venv, fresh_api, tmp_path, SIGNED_URLS, args=(str(folder),))
    expires = datetime.fromisoformat(seen["signed"]["date_expires"].replace("Z", "+00:00"))
    # 120 s asked; links are rounded up to the next whole minute. Signed between the two
    # clock readings (a run signing at hh:mm:59.9 read "now" in the next minute).
    assert expires.timestamp() - seen["before"] >= 120
    assert expires.timestamp() - seen["now"] <= 180
    assert seen["signed"]["url"].startswith(fresh_api.url)
    assert httpx.get(seen["signed"]["url"], timeout=30).status_code == 200
    assert seen["unsigned"] is None
    refused = seen["publish_source_files"]["True"]
    assert (refused["status"], refused["error"]) == (400, "invalid-parameter")
    assert "source files" in refused["params"]["payload.publish_source_files"]
    assert seen["publish_source_files"]["False"] == "created"


SCOPES = r"""
import json
import ricloud
from ricloud.exceptions import RequestError

key = ricloud.Key.create()
print("RESULT " + json.dumps({"key": key.id, "token": key.token}))
"""

SCOPED = r"""
import json, sys
import ricloud
from ricloud.exceptions import RequestError

seen = {}

def attempt(name, call):
    try:
        made = call()
        seen[name] = made.state
    except RequestError as exc:
        seen[name] = {"status": exc.status, "error": exc.error, "params": exc.params}

user = ricloud.User.create(identifier="scoped")
attempt("mock_session", lambda: ricloud.Session.create(
    source={"user": user.id, "type": "mocks.mock", "identifier": "m@example.com"},
    payload={"password": "x"}))
session = ricloud.Session.create(
    source={"user": user.id, "type": "icloud.account",
            "identifier": "no2fa@sandbox.cloudtap.dev"},
    payload={"password": "sandbox-password"})
seen["session"] = session.state
attempt("granted_poll", lambda: ricloud.Poll.create(
    session=session.id, payload={"data_types": ["fmip.devices"]}))
attempt("other_data_type", lambda: ricloud.Poll.create(
    session=session.id, payload={"data_types": ["icpl.photos"]}))
attempt("info_poll", lambda: ricloud.Poll.create(
    session=session.id, payload={"info_types": ["*"]}))
attempt("subscription", lambda: ricloud.Subscription.create(
    session=session.id, poll_payload={"data_types": ["mme_contacts.contacts"]}))
print("RESULT " + json.dumps(seen))
"""


def test_permission_scopes_are_enforced_per_endpoint(
    venv: Path, api: ServedAPI, tmp_path: Path
) -> None:
    made = run_python(venv, api, tmp_path, SCOPES)
    # The key may open iCloud accounts and list Find My devices, nothing else.
    granted: dict[str, list[str]] = {
        "source_type:icloud.account": [],
        "task_type:icloud.data": [],
        "data_type:fmip.devices": [],
    }
    grant = run_python(
        venv,
        api,
        tmp_path,
        "import json, ricloud\n"
        f"p = ricloud.Permissions.create(identifier={made['key']!r}, scopes={granted!r})\n"
        "print('RESULT ' + json.dumps({'id': p.id, 'scopes': p.scopes}))\n",
    )
    assert grant["scopes"] == granted
    seen = run_python(venv, api, tmp_path, SCOPED, token=made["token"])
    missing = {"status": 403, "error": "missing-scope"}
    assert seen["session"] == "active" and seen["granted_poll"] == "completed"
    for name, scope in [
        ("mock_session", "source_type:mocks.mock"),
        ("other_data_type", "data_type:icpl.photos"),
        ("info_poll", "task_type:icloud.info"),
        ("subscription", "data_type:mme_contacts.contacts"),
    ]:
        assert {k: seen[name][k] for k in missing} == missing, name
        assert seen[name]["params"] == {"scope": scope}, name
    # The server's own first key keeps full access.
    again = run_python(venv, api, tmp_path, SCOPED)
    assert again["mock_session"] == "active" and again["other_data_type"] == "completed"


UNCONFIGURED = r"""
import json, time
import ricloud
from ricloud.exceptions import RequestError

seen = {"before": ricloud.Organisation.retrieve().state}
config = ricloud.StorageConfig.create(
    url="s3://nowhere/results",
    credentials={"access_key_id": "a", "secret_access_key": "b",
                 "endpoint_url": "http://127.0.0.1:9"},
)
config.test()
for _ in range(60):
    config = ricloud.StorageConfig.retrieve(config.id)
    if config.state != "new":
        break
    time.sleep(0.5)
seen["config"] = config.state
seen["after"] = ricloud.Organisation.retrieve().state
user = ricloud.User.create(identifier="unconfigured")
session = ricloud.Session.create(
    source={"user": user.id, "type": "mocks.mock", "identifier": "u@example.com"},
    payload={"password": "x"})
try:
    ricloud.Poll.create(session=session.id, payload={"info_types": ["*"]})
    seen["poll"] = "created"
except RequestError as exc:
    seen["poll"] = {"status": exc.status, "error": exc.error}
print("RESULT " + json.dumps(seen))
"""


def test_an_organisation_whose_results_have_nowhere_to_go_is_unconfigured(
    venv: Path, tmp_path: Path
) -> None:
    # Loopback allowed as an S3 endpoint, so the config's test can fail without the network.
    extra_env = {"CLOUDTAP_OUTBOUND_ALLOW_HOSTS": "127.0.0.1"}
    with served_api(tmp_path / "data", extra_env=extra_env) as api:
        seen = run_python(venv, api, tmp_path, UNCONFIGURED)
    assert seen["before"] == "active"
    assert seen["config"] == "invalid"
    assert seen["after"] == "unconfigured"
    assert seen["poll"] == {"status": 403, "error": "unconfigured"}


TASK_AND_SOURCE = r"""
import json
import ricloud
from ricloud.exceptions import RequestError

seen = {}
def attempt(name, call):
    try:
        seen[name] = call().attrs.get("identifier", "ok")
    except RequestError as exc:
        seen[name] = {"status": exc.status, "error": exc.error, "message": exc.message,
                      "params": exc.params}

attempt("task", lambda: ricloud.Task.create(type="icloud.data", target="fmip.devices"))
user = ricloud.User.create(identifier="renamer")
source = ricloud.Source.create(user=user.id, type="icloud.account", identifier="old@example.com")
attempt("same", lambda: ricloud.Source.update_with_id(source.id, identifier="old@example.com"))
attempt("renamed", lambda: source.update(identifier="new@example.com"))
print("RESULT " + json.dumps(seen))
"""


def test_task_create_and_source_renaming_answer_with_their_reason(
    venv: Path, api: ServedAPI, tmp_path: Path
) -> None:
    seen = run_python(venv, api, tmp_path, TASK_AND_SOURCE)
    task = seen["task"]
    assert (task["status"], task["error"]) == (400, "not-creatable")
    assert "create a poll" in task["message"] and task["params"] == {"use": "POST /polls"}
    assert seen["same"] == "old@example.com"
    renamed = seen["renamed"]
    assert (renamed["status"], renamed["error"]) == (400, "invalid-parameter")
    assert "cannot change" in renamed["params"]["identifier"]
