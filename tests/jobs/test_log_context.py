"""A job's JSON log lines name the job and the poll (task, session) it works on."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.jobs.log_context import with_log_context
from cloudtap.ops import logs
from cloudtap.store.db import transaction
from tests.jobs.job_database import file_task, job_settings, processing_poll

log = logging.getLogger("cloudtap.test-job")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield stream
    log.removeHandler(handler)


def _logged(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _job(marker: str) -> None:
    log.info("working on %s", marker)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("cloudtap.poll", "poll_id"),
        ("cloudtap.file_batch", "poll_id"),
        ("cloudtap.login", "session_id"),
    ],
)
def test_a_jobs_lines_name_it_and_its_id(lines: io.StringIO, name: str, field: str) -> None:
    with_log_context(name, _job)("id-1")
    log.info("after the job")
    during, after = _logged(lines)
    assert (during["job"], during[field], during["message"]) == (name, "id-1", "working on id-1")
    assert "job" not in after and field not in after  # nothing leaks past the run


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with job_settings("sqlite", tmp_path) as settings:
        yield settings


def test_a_tasks_lines_name_its_poll_too(lines: io.StringIO, settings: Settings) -> None:
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {"files": ["f"]})
        task = file_task(poll, "f")
        db.add(task)
        db.flush()
        poll_id, task_id = poll.id, task.id
    with_log_context("cloudtap.task", _job)(task_id)
    [line] = _logged(lines)
    assert (line["job"], line["task_id"], line["poll_id"]) == ("cloudtap.task", task_id, poll_id)


def test_a_registered_job_runs_through_the_context(settings: Settings) -> None:
    from cloudtap.jobs.queue import task

    wrapped = task(settings, "poll").func
    assert wrapped.__wrapped__.__name__ == "run_poll"
