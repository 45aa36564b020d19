"""Python calls and thread CPU per request of the list reads, in process (issue 23).

A loaded 2-core machine makes the ``api-mix`` wall-clock figures swing by 2x between runs;
this counts what does not: the server's Python function calls per request (cProfile
around the ASGI app only, the client left out) and SQL statements, with each request's
thread hop run inline so everything happens in this thread (thread CPU: the least of 5 x
30 requests). Polls run on the tests' fake connector; one is set back to ``processing``.

    PYTHONPATH=. .venv/bin/python bench/api_calls_in_process.py [--profile events]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.runner.bench_serve import create_app_with_bare_endpoint
from cloudtap.api import routing
from cloudtap.config import get_settings, set_settings
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.store.accounts import create_organisation, issue_key
from cloudtap.store.db import engine_for, transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Event, Poll, Result, Task
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FakeConnector

HEADERS = {
    "Ricloud-Await": "0",
    "User-Agent": "ricloud-py/3.2.0",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
}


class InlineExecutor(Executor):
    """Runs a request's handler in the calling thread, so cProfile sees all of it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting request, as a pool would
            future.set_exception(exc)
        return future


# Copied to give the organisation a past; ids (and references to copied rows) get a suffix.
_HISTORY_TABLES = (Poll, Task, Result, Event)
_COPIED_REFERENCES = {"id", "poll_id", "task_id", "parent_id"}


def _copy_history(db: Any, copies: int) -> None:
    """Every poll, task, result and event copied ``copies`` times, older than the originals:
    an organisation with a past, whose requests' cost must not grow with it."""
    for n in range(copies):
        for model in _HISTORY_TABLES:
            table: Any = model.__table__
            names = [c.name for c in table.columns if c.name != "pk"]
            values = [f"{c} || '-h{n}'" if c in _COPIED_REFERENCES else c for c in names]
            db.execute(
                text(
                    f"INSERT INTO {table.name} ({', '.join(names)}) "
                    f"SELECT {', '.join(values)} FROM {table.name} WHERE id NOT LIKE '%-h%'"
                )
            )


def _prepare(client: TestClient, tenant: Tenant, history: int) -> dict[str, str]:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    payload = {"data_types": ["icpl.photos"], "info_types": ["account"]}
    polls = [create_poll(client, tenant, session["id"], payload)["id"] for _ in range(22)]
    with transaction(get_settings().database_url) as db:
        _copy_history(db, history)
        db.execute(
            text("UPDATE polls SET state = 'processing', date_completed = NULL WHERE id = :id"),
            {"id": polls[-1]},
        )
    return {
        "bare authenticated endpoint": "/bench/bare",
        "GET /results?poll=": f"/results?poll={polls[0]}",
        "GET /events": "/events",
        "GET /polls?limit=20": "/polls?limit=20",
        "GET /polls/{id} (processing)": f"/polls/{polls[-1]}",
        "GET /organisation": "/organisation",
    }


async def _measure(app: Any, tenant: Tenant, paths: dict[str, str], profile: str | None) -> None:
    profiler: list[cProfile.Profile] = []

    async def profiled(scope: Any, receive: Any, send: Any) -> None:
        for p in profiler:
            p.enable()
        try:
            await app(scope, receive, send)
        finally:
            for p in profiler:
                p.disable()

    statements: list[str] = []
    engine = engine_for(get_settings().database_url)
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    headers = {**tenant.headers, **HEADERS}
    transport = httpx.ASGITransport(app=profiled)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        print("| request kind | Python calls | SQL statements | thread CPU, ms |")
        print("|---|---|---|---|")
        for kind, path in paths.items():
            best = float("inf")
            for _ in range(5):
                start = time.thread_time()
                for _ in range(30):
                    answer = await client.get(path, headers=headers)
                    assert answer.status_code == 200, answer.text
                best = min(best, (time.thread_time() - start) / 30)
            statements.clear()
            profiler.append(cProfile.Profile())
            for _ in range(20):
                await client.get(path, headers=headers)
            stats = pstats.Stats(profiler.pop())
            calls, count = stats.total_calls / 20, len(statements) / 20  # type: ignore[attr-defined]
            print(f"| `{kind}` | {calls:,.0f} | {count:.0f} | {best * 1000:.2f} |")
            if profile and profile in kind:
                stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(50)


async def _measure_create(app: Any, tenant: Tenant, paths: dict[str, str]) -> None:
    """``POST /polls`` (``fmip.devices``, ``Ricloud-Await: 0``) with the job consumer
    stopped: the API's own CPU per poll (process CPU: FastAPI parses its body on a thread
    of its own), apart from the poll's job, which the ``api-mix`` bench counts too."""
    headers = {**tenant.headers, **HEADERS}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        answer = await client.get(paths["GET /polls/{id} (processing)"], headers=headers)
        body = {"session": answer.json()["session"], "payload": {"data_types": ["fmip.devices"]}}
        best = float("inf")
        for _ in range(4):  # 60 polls: under the key's 100 open ones
            start = time.process_time()
            for _ in range(15):
                made = await client.post("/polls", json=body, headers=headers)
                assert made.status_code == 201, made.text
            best = min(best, (time.process_time() - start) / 15)
    print(f"| `POST /polls` (its job not run; process CPU) | - | - | {best * 1000:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", help="print the profile of the kind naming this")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="copies of every poll, task, result and event, as if made before (default 0)",
    )
    args = parser.parse_args()
    os.environ["CLOUDTAP_DATA_DIR"] = tempfile.mkdtemp(prefix="cloudtap-calls-")
    os.environ["CLOUDTAP_RATE_LIMIT_PER_SECOND"] = "0"
    set_settings(None)
    settings = get_settings()
    upgrade(settings.database_url)
    with transaction(settings.database_url) as db:
        organisation = create_organisation(db, "Bench")
        tenant = Tenant(organisation.id, issue_key(db, organisation.id, "sandbox").token)
    set_connector_factory(lambda _environment: FakeConnector())
    consumer: Any = start_embedded_consumer(settings, workers=2)
    try:
        with TestClient(create_app_with_bare_endpoint(settings)) as client:
            paths = _prepare(client, tenant, args.history)
            routing._pool = InlineExecutor()  # type: ignore[assignment]
            asyncio.run(_measure(client.app, tenant, paths, args.profile))
            # No job runs now: what POST /polls costs the API alone, every thread of it.
            stop_consumer(consumer)
            consumer = None
            asyncio.run(_measure_create(client.app, tenant, paths))
    finally:
        if consumer is not None:
            stop_consumer(consumer)


if __name__ == "__main__":
    main()
