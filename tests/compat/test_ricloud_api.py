"""ricloud-py 3.2.0, unmodified, in its own venv, against a live ``cloudtap serve``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.serve_process import served_api
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

# Every call the issue lists; any exception fails the script (non-zero exit).
SCRIPT = r"""
import json
import ricloud
from ricloud.exceptions import RequestError

seen = {}

organisation = ricloud.Organisation.retrieve()
seen["organisation"] = {"id": organisation.id, "resource": organisation.resource,
                        "storage_configs_type": type(organisation.storage_configs).__name__}

key = ricloud.Key.current()
# ricloud 3.2.0 wraps the response as attrs={"attrs": <Key>}: .id is not reachable directly.
try:
    key.id
    seen["key_quirk"] = False
except AttributeError:
    seen["key_quirk"] = True
seen["key_inner"] = {"id": key.attrs["attrs"].id, "resource": key.attrs["attrs"].resource}

first = ricloud.User.create(identifier="compat-user")
again = ricloud.User.create(identifier="compat-user")
seen["user_ids"] = [first.id, again.id]

for index in range(3):
    ricloud.User.create(identifier="pager-%d" % index)
page_one = ricloud.User.list(limit=2)
page_two = ricloud.User.list(limit=2, after_id=page_one[-1].id)
seen["pages"] = {
    "one": [u.id for u in page_one], "two": [u.id for u in page_two],
    "one_has_more": page_one.has_more, "total": page_one.total_count,
}

webhook = ricloud.WebhookConfig.create(url="http://127.0.0.1:9/webhooks")
seen["webhook"] = {"resource": webhook.resource, "has_secret": bool(webhook.secret)}
storage = ricloud.StorageConfig.create(url="s3://compat-bucket/prefix",
                                       credentials={"access_key_id": "a", "secret_access_key": "b"})
seen["storage"] = {"resource": storage.resource, "type": storage.type}

session = ricloud.Session.create(
    source={"user": first.id, "type": "icloud.account", "identifier": "nobody@example.com"},
    payload={"password": "not-a-real-password"},
)
sessions = ricloud.Session.list()
seen["sessions"] = {"count": len(sessions), "first_resource": sessions[0].resource}
polls = ricloud.Poll.list(session=session.id)
seen["polls"] = {"count": len(polls), "has_more": polls.has_more}

try:
    ricloud.User.retrieve("00000000-0000-0000-0000-000000000000")
    seen["error"] = None
except RequestError as exc:
    seen["error"] = {"status": exc.status, "error": exc.error, "message": exc.message}

session.delete()
seen["deleted_session"] = {"id": session.id, "state": session.state}
webhook.delete()
seen["deleted_webhook"] = {"deleted": webhook.attrs.get("deleted")}
print("RESULT " + json.dumps(seen))
"""


@pytest.fixture(scope="module")
def ricloud_python() -> str:
    venv = client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])
    return venv_bin(venv, "python")


def test_ricloud_client_drives_cloudtap_serve(ricloud_python: str, tmp_path: Path) -> None:
    # The webhook below points at loopback, which only the operator's allow-list admits.
    allow = {"CLOUDTAP_OUTBOUND_ALLOW_HOSTS": "127.0.0.1"}
    with served_api(tmp_path / "data", extra_env=allow) as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
        env.update({"RICLOUD_URL": api.url, "RICLOUD_TOKEN": api.token, "HOME": str(tmp_path)})
        run = subprocess.run(
            [ricloud_python, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    seen = json.loads(line.removeprefix("RESULT "))

    assert seen["organisation"]["resource"] == "organisation"
    assert seen["organisation"]["storage_configs_type"] == "List"
    assert seen["key_quirk"] is True
    assert seen["key_inner"]["resource"] == "key"
    first_id, second_id = seen["user_ids"]
    assert first_id == second_id
    pages = seen["pages"]
    assert len(pages["one"]) == 2 and pages["one_has_more"] is True
    assert pages["total"] == 4
    assert not set(pages["one"]) & set(pages["two"])
    assert len(pages["two"]) == 2
    assert seen["webhook"] == {"resource": "webhook_config", "has_secret": True}
    assert seen["storage"] == {"resource": "storage_config", "type": "s3"}
    assert seen["sessions"]["count"] == 1 and seen["sessions"]["first_resource"] == "session"
    assert seen["polls"] == {"count": 0, "has_more": False}
    assert seen["error"]["status"] == 404 and seen["error"]["error"] == "not-found"
    assert seen["deleted_session"]["state"] in ("expired", "failed")
    assert seen["deleted_webhook"]["deleted"] is True
