"""``cloudtap pull`` with no terminal (a NAS, a container, cron), issue 22: a login that
needs a 2FA code notifies (a webhook receiver on 127.0.0.1 and a command hook) and waits;
``cloudtap pull code <apple id> <code>`` from another process finishes it, and the pull
completes. No notification carries the password or the code."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cloudtap.sandbox.proxy import Exchange
from cloudtap.sandbox.services.content import notes as notes_gen
from tests.api.helpers import wait_for
from tests.pull.sandbox_world import CODE, PASSWORD, REPO, TWO_FA, PullSandbox, pull_command
from tests.support.webhook_receiver import WebhookReceiver

# The hook appends the event and message it was given: proof it ran, and what it saw.
HOOK = Path(__file__).with_name("notify_hook.py")
TRUST_60S = "trust-60s@sandbox.cloudtap.dev"


@dataclass
class NoTerminal:
    """``cloudtap pull`` runs with standard input closed (no terminal to type a code
    into), telling a webhook receiver on 127.0.0.1 what happens."""

    sandbox: PullSandbox
    receiver: WebhookReceiver
    root: Path
    log: Path
    env: dict[str, str]
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _command(self, apple_id: str, *args: str) -> list[str]:
        return pull_command(
            apple_id,
            *("--to", str(self.root), "--password-env", "CT_TEST_PASSWORD"),
            *("--notify-url", self.receiver.url, *args),
        )

    def start(self, apple_id: str, *args: str) -> subprocess.Popen[bytes]:
        """A pull left running, its output in ``log``; stopped when the test ends."""
        with self.log.open("a") as log:
            pull = subprocess.Popen(
                self._command(apple_id, *args),
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.running.append(pull)
        return pull

    def run(self, apple_id: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """A pull to its end (four minutes at most)."""
        return subprocess.run(
            self._command(apple_id, *args),
            cwd=REPO,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=240,
        )

    def give(self, apple_id: str, code: str) -> None:
        """``cloudtap pull code`` from another process."""
        given = subprocess.run(
            pull_command("code", apple_id, code),
            cwd=REPO,
            env=self.env,
            capture_output=True,
            timeout=60,
        )
        assert given.returncode == 0, given.stderr

    def notified(self) -> list[dict[str, str]]:
        return [json.loads(r.body) for r in list(self.receiver.received)]

    def events(self) -> list[str]:
        return [t["event"] for t in self.notified()]

    def runs(self) -> list[str]:
        """The watch's finished runs, as it reports them."""
        text = self.log.read_text() if self.log.exists() else ""
        return [line for line in text.splitlines() if line.startswith("pulled into ")]

    def stop(self) -> None:
        for pull in self.running:
            if pull.poll() is None:
                pull.terminate()
                try:
                    pull.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    pull.kill()
                    pull.wait()


@pytest.fixture
def no_terminal(pull_sandbox: PullSandbox, tmp_path: Path) -> Iterator[NoTerminal]:
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    with WebhookReceiver() as receiver:
        pulls = NoTerminal(pull_sandbox, receiver, tmp_path / "copy", tmp_path / "pull.log", env)
        try:
            yield pulls
        finally:
            pulls.stop()


def _texts_sent(sandbox: PullSandbox) -> int:
    return sum(
        1
        for c in sandbox.running.exchanges()
        if c.method == "PUT" and c.path == "/appleauth/auth/verify/phone"
    )


def test_a_code_from_another_process_finishes_the_login(
    no_terminal: NoTerminal, tmp_path: Path
) -> None:
    hook_log = tmp_path / "hook.log"
    hook = f"{sys.executable} {HOOK} {hook_log}"
    pull = no_terminal.start(
        TWO_FA,
        *("--data-types", "mme_notes.notes", "--notify-command", hook, "--code-wait", "120"),
    )
    [told] = wait_for(no_terminal.notified, timeout=120)
    assert (told["event"], told["apple_id"]) == ("login-needed", TWO_FA)
    assert f"cloudtap pull code {TWO_FA}" in told["message"]
    assert pull.poll() is None  # still waiting for the code

    # First 'sms': Apple texts a code to the account's trusted phone instead.
    texts = _texts_sent(no_terminal.sandbox)
    no_terminal.give(TWO_FA, "sms")
    wait_for(lambda: len(no_terminal.notified()) == 2, timeout=120)
    assert _texts_sent(no_terminal.sandbox) == texts + 1
    no_terminal.give(TWO_FA, CODE)
    assert pull.wait(timeout=240) == 0, no_terminal.log.read_text()

    manifest = json.loads((no_terminal.root / "manifest.json").read_text())
    spec = no_terminal.sandbox.account(TWO_FA).content
    live = [n for n in (notes_gen.note(spec, i) for i in range(spec.notes)) if not n.deleted]
    assert manifest["data_types"]["mme_notes.notes"]["count"] == len(live) > 0
    assert hook_log.read_text().startswith("login-needed ")
    everything_told = hook_log.read_text() + json.dumps(no_terminal.notified())
    assert PASSWORD not in everything_told and CODE not in everything_told


def test_watch_meets_a_revoked_trust_notifies_and_goes_on_incrementally(
    no_terminal: NoTerminal,
) -> None:
    """Apple ends the session, its sign-in and the trust before their time (the owner
    removed the browser): the watch asks for a code again and goes on from the feed."""
    world = no_terminal.sandbox.world
    watch = no_terminal.start(TWO_FA, "--data-types", "mme_notes.notes", "--watch", "2s")
    wait_for(lambda: len(no_terminal.notified()) == 1, timeout=120)
    no_terminal.give(TWO_FA, CODE)
    wait_for(lambda: len(no_terminal.runs()) >= 2, timeout=120)  # runs on schedule
    manifest = json.loads((no_terminal.root / "manifest.json").read_text())
    first_count = manifest["data_types"]["mme_notes.notes"]["count"]
    world.expire_sessions_of(TWO_FA)
    world.sign_ins.end_sign_ins(TWO_FA)
    world.sign_ins.revoke_trust(TWO_FA)
    runs_before = len(no_terminal.runs())
    wait_for(lambda: len(no_terminal.notified()) == 2, timeout=120)
    assert watch.poll() is None  # the watch waits for the code, it did not stop
    since_relogin = len(no_terminal.sandbox.running.exchanges())
    no_terminal.give(TWO_FA, CODE)
    wait_for(lambda: len(no_terminal.runs()) >= runs_before + 2, timeout=120)
    no_terminal.stop()

    assert no_terminal.events() == ["login-needed", "login-needed"]
    # After the new code: notes came from the change feed only, and nothing was fetched
    # again (each run after the first reports 0 files).
    notes_calls = [
        c.path
        for c in no_terminal.sandbox.running.exchanges()[since_relogin:]
        if "com.apple.notes" in c.path
    ]
    assert notes_calls and all(p.endswith("/changes/zone") for p in notes_calls), notes_calls
    assert all(": 0 files fetched" in line for line in no_terminal.runs()[1:])
    manifest = json.loads((no_terminal.root / "manifest.json").read_text())
    assert manifest["data_types"]["mme_notes.notes"]["count"] == first_count


def test_a_container_gives_the_code_in_the_environment_and_hears_of_the_trusts_end(
    no_terminal: NoTerminal,
) -> None:
    """``trust-60s@``'s trust ends a minute after the login: well within the 7 days
    ahead, so the first run ends with a ``trust-expiring`` notification, once."""
    done = no_terminal.run(TRUST_60S, "--data-types", "mme_notes.notes", CLOUDTAP_PULL_CODE=CODE)
    assert done.returncode == 0, done.stderr
    [told] = no_terminal.notified()
    assert (told["event"], told["apple_id"]) == ("trust-expiring", TRUST_60S)
    assert "a new verification code will be needed" in told["message"]
    assert PASSWORD not in told["message"] and CODE not in told["message"]


# Which data type an Apple request served, by the service path it asked.
_TYPE_BY_PATH = (
    ("/co/", "mme_contacts.contacts"),
    ("/ca/", "mme_calendar.events"),
    ("/fmipservice/", "fmip.devices"),
    ("com.apple.photos.cloud", "icpl.photos"),
    ("com.apple.notes", "mme_notes.notes"),
    ("com.apple.reminders", "cloudkit_reminders.reminders"),
    ("com.apple.callhistory", "callkit.calls"),
    ("com.apple.SafariShared", "cloudkit_safari.history"),
)


def _data_type_of(call: Exchange) -> str | None:
    if call.host.startswith(("drivews.", "docws.")) or "-drivews." in call.host:
        return "icloud_drive.files"
    return next((kind for part, kind in _TYPE_BY_PATH if part in call.path), None)


def _requests_per_type(calls: list[Exchange]) -> dict[str, Counter[str]]:
    """data type → how many of each request path it made (its last path part)."""
    counted: dict[str, Counter[str]] = {}
    for call in calls:
        kind = _data_type_of(call)
        if kind is not None:
            counted.setdefault(kind, Counter())[call.path.rsplit("/", 1)[-1] or call.path] += 1
    return counted


def _no_full_listing(kind: str, asked: Counter[str]) -> bool:
    """What a resumed listing may ask: a change feed (CloudKit ``changes/zone``, contacts'
    ``changeset``), the sync check call history makes first (one ``records/query``, as on
    a full listing), Find My's one request (its listing is one request by nature) and
    Drive's walk, level by level (Apple's web Drive has no change feed; the walk is
    compared with the kept etags, docs/sessions.md)."""
    if kind == "fmip.devices":
        return sum(asked.values()) <= 1
    if kind == "icloud_drive.files":
        return set(asked) <= {"retrieveItemDetailsInFolders"}
    if kind == "callkit.calls":
        asked = asked - Counter({"query": 1})
    return set(asked) <= {"zone", "changeset"}


def test_watch_20s_on_trust_60s_notifies_the_trusts_end_and_resumes_every_type(
    no_terminal: NoTerminal,
) -> None:
    """The issue's run, literally: ``pull --watch 20s`` on ``trust-60s@`` with no terminal.
    The sandbox's trust clock runs fast (the minute lasts 19.8 s), so the trust ends within
    the first interval: the next run finds it ended and a ``login-needed`` reaches the
    local webhook receiver; ``cloudtap pull code`` from another process finishes the
    login; that run asks Apple only for changes (requests counted per data type at the
    sandbox) and fetches nothing again. The only slow test here (~45 s)."""
    no_terminal.sandbox.world.trust_time_scale = 0.33
    watch = no_terminal.start(TRUST_60S, "--watch", "20s")
    wait_for(lambda: no_terminal.events() == ["login-needed"], timeout=120)
    no_terminal.give(TRUST_60S, CODE)
    wait_for(lambda: len(no_terminal.runs()) == 1, timeout=120)
    first = json.loads((no_terminal.root / "manifest.json").read_text())["data_types"]
    # The trust ends during the 20 s wait; the next run needs a new code and says so.
    wait_for(lambda: no_terminal.events().count("login-needed") == 2, timeout=120)
    assert watch.poll() is None  # the watch waits for the code, it did not stop
    since_relogin = len(no_terminal.sandbox.running.exchanges())
    no_terminal.give(TRUST_60S, CODE)
    wait_for(lambda: len(no_terminal.runs()) == 2, timeout=120)
    no_terminal.stop()

    told = no_terminal.events()
    assert told[:3] == ["login-needed", "trust-expiring", "login-needed"], told
    assert all(": 0 files fetched" in line for line in no_terminal.runs()[1:])
    resumed = _requests_per_type(no_terminal.sandbox.running.exchanges()[since_relogin:])
    full = {
        kind: dict(asked) for kind, asked in resumed.items() if not _no_full_listing(kind, asked)
    }
    assert full == {}, full
    # Every data type with a feed was asked for its changes, and nothing was lost.
    assert {"mme_notes.notes", "mme_contacts.contacts", "icpl.photos"} <= resumed.keys()
    last = json.loads((no_terminal.root / "manifest.json").read_text())["data_types"]
    assert {k: v["count"] for k, v in last.items()} == {k: v["count"] for k, v in first.items()}
    assert first["mme_contacts.contacts"]["count"] > 0 and first["icpl.photos"]["count"] > 0
