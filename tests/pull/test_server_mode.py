"""``--server URL --token T``: the same pull against a running ``cloudtap serve``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.serve_process import served_api
from tests.pull.sandbox_world import PASSWORD, SLOW, PullSandbox, run_pull


def test_pull_through_a_running_server(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    sandbox_env = {
        "CLOUDTAP_SANDBOX_PROXY_URL": pull_sandbox.running.proxy_url,
        "CLOUDTAP_SANDBOX_CA_FILE": str(pull_sandbox.running.ca_file),
    }
    root = tmp_path / "copy"
    with served_api(tmp_path / "server", extra_env=sandbox_env) as api:
        env = {
            **pull_sandbox.env(tmp_path),
            "CT_TEST_PASSWORD": PASSWORD,
            "CLOUDTAP_TOKEN": api.token,  # the token travels in the environment
        }
        done = run_pull(
            env,
            SLOW,
            "--to",
            str(root),
            "--server",
            api.url,
            "--password-env",
            "CT_TEST_PASSWORD",
            "--data-types",
            "mme_contacts.contacts,icpl.photos",
        )
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((root / "manifest.json").read_text())
    assert not (root / ".cloudtap-pull" / "server").exists()  # no embedded server ran
    photos = manifest["data_types"]["icpl.photos"]["count"]
    originals = [f for f in manifest["files"].values() if f["kind"] == "original"]
    assert photos > 0 and len(originals) == photos
    assert manifest["data_types"]["mme_contacts.contacts"]["count"] == 5
