"""``--server URL --token T``: the same pull against a running ``cloudtap serve``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.serve_process import served_api
from tests.pull.sandbox_world import PASSWORD, SLOW, PullSandbox, run_pull

CONTACTS = ("--password-env", "CT_TEST_PASSWORD", "--data-types", "mme_contacts.contacts")


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
        # The token from a file, not the command line; or on it, with a warning.
        token_file = tmp_path / "token"
        token_file.write_text(api.token + "\n")
        without_env = {k: v for k, v in env.items() if k != "CLOUDTAP_TOKEN"}
        by_file, by_argument = (
            run_pull(without_env, SLOW, "--to", str(root), "--server", api.url, *how, *CONTACTS)
            for how in (("--token-file", str(token_file)), ("--token", api.token))
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stderr
    assert by_file.returncode == 0 and "warning" not in by_file.stderr, by_file.stderr
    assert by_argument.returncode == 0, by_argument.stderr
    assert "--token is visible to other users" in by_argument.stderr
    manifest = json.loads((root / "manifest.json").read_text())
    assert not (root / ".cloudtap-pull" / "server").exists()  # no embedded server ran
    photos = manifest["data_types"]["icpl.photos"]["count"]
    originals = [
        f
        for f in manifest["files"].values()
        if f["kind"] == "original" and f["data_type"] == "icpl.photos"  # not shared albums'
    ]
    assert photos > 0 and len(originals) == photos
    assert manifest["data_types"]["mme_contacts.contacts"]["count"] == 5
