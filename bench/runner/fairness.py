"""``fairness``: one organisation's one-task poll, alone and under another's backlog.

Organisation B (the bench's own key) asks for a one-task ``fmip.devices`` poll, timed
from ``POST /polls`` to ``completed``: first with nothing else queued, then while
organisation A (a second organisation of the same ``serve``) has 8 files polls of 148
files each queued and downloading. Every A poll must then complete with its 148 files.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from bench.runner import bare
from bench.runner.api import CloudtapAPI
from bench.runner.processes import SandboxProcess
from bench.runner.report import Runs, Scenario
from cloudtap.sandbox.accounts.scenarios import DOMAIN
from tests.cli.serve_process import ServedAPI, created_key

BACKLOG_POLLS = 8
FILES_PER_POLL = 148
# Enough of the newest assets for 148 files (originals and live-photo videos).
ASSETS_FOR_FILES = 140
SMALL_POLL = {"data_types": ["fmip.devices"]}


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def _files(sandbox: SandboxProcess, library: str) -> list[str]:
    _, truth = asyncio.run(
        bare.timed_download(
            sandbox.proxy_url, sandbox.ca_file, f"{library}@{DOMAIN}", ASSETS_FOR_FILES
        )
    )
    files = sorted(truth)[:FILES_PER_POLL]
    if len(files) < FILES_PER_POLL:
        raise RuntimeError(f"{library} has only {len(files)} files for the backlog")
    return files


def _done(backlog: CloudtapAPI, polls: list[str]) -> tuple[int, int]:
    """(file tasks finished, polls completed) of A's backlog."""
    finished = completed = 0
    for poll_id in polls:
        poll = backlog.http.get(f"/polls/{poll_id}").json()
        finished += len(poll["tasks_succeeded"]) + len(poll["tasks_failed"])
        completed += poll["state"] == "completed"
    return finished, completed


def _started(backlog: CloudtapAPI, polls: list[str]) -> bool:
    return _done(backlog, polls)[0] > 0


def _finished(backlog: CloudtapAPI, polls: list[str]) -> bool:
    return _done(backlog, polls) == (BACKLOG_POLLS * FILES_PER_POLL, len(polls))


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} within {timeout:.0f} s")


def fairness(
    name: str, runs: int, sandbox: SandboxProcess, served: ServedAPI, api: CloudtapAPI,
    small_session: str, library: str,
) -> Scenario:  # fmt: skip
    files = _files(sandbox, library)
    backlog = CloudtapAPI(
        replace(served, token=created_key(served.data_dir, "--organisation", "backlog"))
    )
    load_before = _load()
    try:
        backlog_session = backlog.login(f"{library}@{DOMAIN}")
        alone = [api.poll(small_session, SMALL_POLL)[0] for _ in range(runs)]
        under: list[float] = []
        left: list[float] = []
        for _ in range(runs):
            body = {"session": backlog_session, "payload": {"files": files}}
            posted = [backlog.http.post("/polls", json=body) for _ in range(BACKLOG_POLLS)]
            polls = [reply.json()["id"] for reply in posted]
            _wait(partial(_started, backlog, polls), 120, "A's backlog did not start")
            seconds, _ = api.poll(small_session, SMALL_POLL)
            finished, _ = _done(backlog, polls)
            under.append(seconds)
            left.append(BACKLOG_POLLS * FILES_PER_POLL - finished)
            _wait(partial(_finished, backlog, polls), 600, "A's backlog did not complete")
    finally:
        backlog.close()
    scenario = Scenario(
        name, "seconds", False, Runs(under), "the same poll alone", Runs(alone),
        target="≤ 2x the same poll alone", met=Runs(under).median <= 2 * Runs(alone).median,
        notes=[
            f"B's one-task fmip.devices poll, POST /polls to completed, alone and while "
            f"organisation A's {BACKLOG_POLLS} x {FILES_PER_POLL}-file polls were queued and "
            f"downloading; A's file tasks still unfinished when B completed: "
            f"{Runs(left).text()} of {BACKLOG_POLLS * FILES_PER_POLL}; every A poll then "
            f"completed with all its files; load average (1/5/15 min) {load_before} before, "
            f"{_load()} after",
            f"B under A's backlog takes {Runs(under).median / Runs(alone).median:.2f}x "
            f"its time alone",
        ],
    )  # fmt: skip
    return scenario
