"""ricloud-py 3.2.0's ``Subscription`` and ``Event`` resources against a live
``cloudtap serve`` with a sandbox session."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.serve_process import served_api
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

SCRIPT = r"""
import json
import time
import ricloud

seen = {}
user = ricloud.User.create(identifier="subscriber")
session = ricloud.Session.create(
    source={"user": user.id, "type": "icloud.account",
            "identifier": "no2fa@sandbox.cloudtap.dev"},
    payload={"password": "sandbox-password"},
)
for _ in range(60):
    session = ricloud.Session.retrieve(session.id)
    if session.state != "pending":
        break
    time.sleep(0.5)
seen["session"] = session.state

sub = ricloud.Subscription.create(session=session.id, poll_payload={"info_types": ["*"]},
                                  interval=1)
seen["created"] = {"resource": sub.resource, "state": sub.state, "interval": sub.interval}
polls = []
for _ in range(100):
    polls = ricloud.Poll.list(subscription=sub.id, limit=10)
    if len(polls) >= 2:
        break
    time.sleep(0.3)
seen["polls"] = {"count": len(polls), "subscription": sorted({p.subscription for p in polls})}
latest = ricloud.Poll.list(requestor="subscription", limit=1)
seen["latest"] = latest[0].subscription
seen["listed"] = [s.id for s in ricloud.Subscription.list()]
sub.delete()
seen["deleted"] = sub.attrs.get("state")
events = ricloud.Event.list(type="poll", action="created", limit=100)
seen["events"] = {"resource": events[0].resource, "count": len(events)}
print("RESULT " + json.dumps(seen))
"""


@pytest.fixture(scope="module")
def ricloud_python() -> str:
    venv = client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])
    return venv_bin(venv, "python")


def test_ricloud_drives_subscriptions(ricloud_python: str, tmp_path: Path) -> None:
    extra_env = {"CLOUDTAP_SUBSCRIPTION_MIN_INTERVAL": "1"}
    with served_api(tmp_path / "data", extra_env=extra_env) as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
        env.update({"RICLOUD_URL": api.url, "RICLOUD_TOKEN": api.token, "HOME": str(tmp_path)})
        run = subprocess.run(
            [ricloud_python, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=180
        )
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    seen = json.loads(line.removeprefix("RESULT "))
    assert seen["session"] == "active"
    sub_id = seen["listed"][0]
    assert seen["created"] == {"resource": "subscription", "state": "pending", "interval": 1}
    assert seen["polls"]["count"] >= 2 and seen["polls"]["subscription"] == [sub_id]
    assert seen["latest"] == sub_id
    assert seen["deleted"] == "deleted"
    assert seen["events"]["resource"] == "event" and seen["events"]["count"] >= 2
