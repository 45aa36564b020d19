"""``cloudtap pull`` with no terminal (a NAS, a container, cron), issue 22: a login that
needs a 2FA code notifies (a webhook receiver on 127.0.0.1 and a command hook) and waits;
``cloudtap pull code <apple id> <code>`` from another process finishes it, and the pull
completes. No notification carries the password or the code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cloudtap.sandbox.services.content import notes as notes_gen
from tests.api.helpers import wait_for
from tests.pull.sandbox_world import CODE, PASSWORD, REPO, TWO_FA, PullSandbox, pull_command
from tests.support.webhook_receiver import WebhookReceiver

# The hook appends the event and message it was given: proof it ran, and what it saw.
HOOK = Path(__file__).with_name("notify_hook.py")


def _give(env: dict[str, str], code: str) -> None:
    """``cloudtap pull code`` from another process."""
    given = subprocess.run(
        pull_command("code", TWO_FA, code), cwd=REPO, env=env, capture_output=True, timeout=60
    )
    assert given.returncode == 0, given.stderr


def _texts_sent(sandbox: PullSandbox) -> int:
    return sum(
        1
        for c in sandbox.running.exchanges()
        if c.method == "PUT" and c.path == "/appleauth/auth/verify/phone"
    )


def _notified(receiver: WebhookReceiver) -> list[dict[str, str]]:
    return [json.loads(r.body) for r in list(receiver.received)]


def test_a_code_from_another_process_finishes_the_login(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root, hook_log = tmp_path / "copy", tmp_path / "hook.log"
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    hook = f"{sys.executable} {HOOK} {hook_log}"
    with WebhookReceiver() as receiver, (tmp_path / "pull.log").open("w") as log:
        pull = subprocess.Popen(
            pull_command(
                TWO_FA,
                "--to",
                str(root),
                "--data-types",
                "mme_notes.notes",
                "--password-env",
                "CT_TEST_PASSWORD",
                "--notify-url",
                receiver.url,
                "--notify-command",
                hook,
                "--code-wait",
                "120",
            ),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,  # no terminal to type a code into
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            [told] = wait_for(lambda: _notified(receiver), timeout=120)
            assert (told["event"], told["apple_id"]) == ("login-needed", TWO_FA)
            assert f"cloudtap pull code {TWO_FA}" in told["message"]
            assert pull.poll() is None  # still waiting for the code

            # First 'sms': Apple texts a code to the account's trusted phone instead.
            texts = _texts_sent(pull_sandbox)
            _give(env, "sms")
            wait_for(lambda: len(_notified(receiver)) == 2, timeout=120)
            assert _texts_sent(pull_sandbox) == texts + 1
            _give(env, CODE)
            assert pull.wait(timeout=240) == 0, (tmp_path / "pull.log").read_text()
        finally:
            if pull.poll() is None:
                pull.kill()
                pull.wait()
    manifest = json.loads((root / "manifest.json").read_text())
    spec = pull_sandbox.account(TWO_FA).content
    live = [n for n in (notes_gen.note(spec, i) for i in range(spec.notes)) if not n.deleted]
    assert manifest["data_types"]["mme_notes.notes"]["count"] == len(live) > 0
    assert hook_log.read_text().startswith("login-needed ")
    everything_told = hook_log.read_text() + json.dumps(_notified(receiver))
    assert PASSWORD not in everything_told and CODE not in everything_told


def _runs(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.startswith("pulled into ")]


def test_watch_meets_an_ended_trust_notifies_and_goes_on_incrementally(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root, log_path = tmp_path / "copy", tmp_path / "watch.log"
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    world = pull_sandbox.world

    def give_code() -> None:
        given = subprocess.run(
            pull_command("code", TWO_FA, CODE), cwd=REPO, env=env, capture_output=True, timeout=60
        )
        assert given.returncode == 0, given.stderr

    with WebhookReceiver() as receiver, log_path.open("w") as log:
        watch = subprocess.Popen(
            pull_command(
                TWO_FA,
                "--to",
                str(root),
                "--data-types",
                "mme_notes.notes",
                "--password-env",
                "CT_TEST_PASSWORD",
                "--notify-url",
                receiver.url,
                "--watch",
                "2s",
            ),
            cwd=REPO,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: len(_notified(receiver)) == 1, timeout=120)
            give_code()
            wait_for(lambda: len(_runs(log_path)) >= 2, timeout=120)  # runs on schedule
            first_count = json.loads((root / "manifest.json").read_text())["data_types"]
            # Apple ends the session, its sign-in and the trust: only a new code helps.
            world.expire_sessions_of(TWO_FA)
            world.sign_ins.end_sign_ins(TWO_FA)
            world.sign_ins.revoke_trust(TWO_FA)
            runs_before = len(_runs(log_path))
            wait_for(lambda: len(_notified(receiver)) == 2, timeout=120)
            assert watch.poll() is None  # the watch waits for the code, it did not stop
            since_relogin = len(pull_sandbox.running.exchanges())
            give_code()
            wait_for(lambda: len(_runs(log_path)) >= runs_before + 2, timeout=120)
        finally:
            watch.terminate()
            watch.wait(timeout=60)
    told = _notified(receiver)
    assert [t["event"] for t in told] == ["login-needed", "login-needed"]
    # After the new code: notes came from the change feed only, and nothing was fetched
    # again (each run after the first reports 0 files).
    notes_calls = [
        c.path
        for c in pull_sandbox.running.exchanges()[since_relogin:]
        if "com.apple.notes" in c.path
    ]
    assert notes_calls and all(p.endswith("/changes/zone") for p in notes_calls), notes_calls
    assert all(": 0 files fetched" in line for line in _runs(log_path)[1:])
    manifest = json.loads((root / "manifest.json").read_text())
    assert (
        manifest["data_types"]["mme_notes.notes"]["count"]
        == (first_count["mme_notes.notes"]["count"])
    )


def test_a_container_gives_the_code_in_the_environment_and_hears_of_the_trusts_end(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    """``trust-60s@``'s trust ends a minute after the login: well within the 7 days
    ahead, so the first run ends with a ``trust-expiring`` notification, once."""
    root, apple_id = tmp_path / "copy", "trust-60s@sandbox.cloudtap.dev"
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD, "CLOUDTAP_PULL_CODE": CODE}
    with WebhookReceiver() as receiver:
        done = subprocess.run(
            pull_command(
                apple_id,
                "--to",
                str(root),
                "--data-types",
                "mme_notes.notes",
                "--password-env",
                "CT_TEST_PASSWORD",
                "--notify-url",
                receiver.url,
            ),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr
        [told] = _notified(receiver)
    assert (told["event"], told["apple_id"]) == ("trust-expiring", apple_id)
    assert "a new verification code will be needed" in told["message"]
    assert PASSWORD not in told["message"] and CODE not in told["message"]


def test_watch_on_trust_60s_lives_its_minute_on_the_fast_clock(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    """``pull --watch`` on ``trust-60s@`` with no terminal, the sandbox's trust clock ten
    times fast (the minute lasts six seconds): told a login is needed, the trust's end
    ahead, a login needed again once the trust ended; the code from another process each
    time; and after the second login the watch goes on from the change feed."""
    apple_id = "trust-60s@sandbox.cloudtap.dev"
    pull_sandbox.world.trust_time_scale = 0.1
    root, log_path = tmp_path / "copy", tmp_path / "watch.log"
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}

    def give_code() -> None:
        given = subprocess.run(
            pull_command("code", apple_id, CODE), cwd=REPO, env=env, capture_output=True
        )
        assert given.returncode == 0, given.stderr

    def events() -> list[str]:
        return [t["event"] for t in _notified(receiver)]

    with WebhookReceiver() as receiver, log_path.open("w") as log:
        watch = subprocess.Popen(
            pull_command(
                apple_id,
                *("--to", str(root), "--data-types", "mme_notes.notes"),
                *("--password-env", "CT_TEST_PASSWORD", "--notify-url", receiver.url),
                *("--watch", "2s"),
            ),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: events() == ["login-needed"], timeout=120)
            give_code()
            wait_for(lambda: events().count("login-needed") == 2, timeout=120)
            assert watch.poll() is None
            since_relogin = len(pull_sandbox.running.exchanges())
            runs_before = len(_runs(log_path))
            give_code()
            wait_for(lambda: len(_runs(log_path)) > runs_before, timeout=120)
        finally:
            watch.terminate()
            watch.wait(timeout=60)
    told = events()
    assert told[:3] == ["login-needed", "trust-expiring", "login-needed"], told
    notes_calls = [
        c.path
        for c in pull_sandbox.running.exchanges()[since_relogin:]
        if "com.apple.notes" in c.path
    ]
    assert notes_calls and all(p.endswith("/changes/zone") for p in notes_calls), notes_calls
    assert all(": 0 files fetched" in line for line in _runs(log_path)[1:])
