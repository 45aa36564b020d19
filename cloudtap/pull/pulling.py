"""One pull from start to end: the API user, an active session, then the runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cloudtap.pull.client import ApiError, CloudtapClient
from cloudtap.pull.exporters import Item
from cloudtap.pull.login import LoginFailed, PasswordSources, Prompter, active_session
from cloudtap.pull.manifest import Manifest
from cloudtap.pull.progress import Progress
from cloudtap.pull.runner import PullOptions, Runner, RunSummary, SessionExpired

T = TypeVar("T")


def pull(
    client: CloudtapClient,
    apple_id: str,
    options: PullOptions,
    sources: PasswordSources,
    prompter: Prompter,
    progress: Progress,
) -> RunSummary:
    return _in_session(
        client, apple_id, options, sources, prompter, progress, lambda runner: runner.run()
    )


def list_albums(
    client: CloudtapClient,
    apple_id: str,
    options: PullOptions,
    sources: PasswordSources,
    prompter: Prompter,
    progress: Progress,
) -> list[Item]:
    """The account's albums (``icpl.albums`` items), as ``--list-albums`` prints them."""

    def listing(runner: Runner) -> list[Item]:
        albums = runner.list_albums()
        if albums is None:
            raise ValueError("the albums could not be listed")
        return albums

    return _in_session(client, apple_id, options, sources, prompter, progress, listing)


def _in_session(
    client: CloudtapClient,
    apple_id: str,
    options: PullOptions,
    sources: PasswordSources,
    prompter: Prompter,
    progress: Progress,
    work: Callable[[Runner], T],
) -> T:
    options.root.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(options.root)
    account = manifest.data.setdefault("account", {})
    if account.get("apple_id") not in (None, apple_id):
        raise ValueError(f"{options.root} holds the copy of {account['apple_id']}, not {apple_id}")
    user = client.user(apple_id)
    known = account.get("session")
    refused = manifest.refused  # reported by the first run (the save below drops them)
    for _ in range(2):
        session = active_session(client, user["id"], apple_id, known, sources, prompter)
        # Only ids are kept: the API holds Apple's session and trust state, sealed.
        account.update(apple_id=apple_id, user=user["id"], session=session["id"])
        manifest.save()
        try:
            runner = Runner(client, str(session["id"]), options, progress, refused=refused)
            refused = []
            return work(runner)
        except (SessionExpired, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.error != "session-expired":
                raise
            progress.message("the session has expired: logging in again")
            known = None
    raise LoginFailed("session-expired")
