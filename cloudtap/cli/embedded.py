"""The embedded default, in-process, for clients of the API such as ``cloudtap pull``:
migrations, the deployment's sandbox, job threads and the API on a free loopback port,
with a fresh key of the wanted environment (its token lives only in memory)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cloudtap.config import Settings, get_settings, set_settings

log = logging.getLogger(__name__)
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class EmbeddedAPI:
    url: str
    token: str
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def embedded_api(
    data_dir: Path, environment: Literal["sandbox", "live"], master_key_file: Path | None = None
) -> Iterator[EmbeddedAPI]:
    """Run the API on ``data_dir`` until the block ends. Jobs read the process-wide
    settings, so the data dir (and where the master key lives, when not in it) is set in
    the environment before anything reads them."""
    import uvicorn

    from cloudtap.app import create_app
    from cloudtap.cli.runtime import start_sandbox, stop_sandbox
    from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
    from cloudtap.store.accounts import create_organisation, first_organisation, issue_key
    from cloudtap.store.db import transaction
    from cloudtap.store.migrate import upgrade

    os.environ["CLOUDTAP_DATA_DIR"] = str(data_dir)
    if master_key_file is not None:
        os.environ["CLOUDTAP_MASTER_KEY_FILE"] = str(master_key_file)
    set_settings(None)
    settings = get_settings()
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    with transaction(settings.database_url) as db:
        org = first_organisation(db) or create_organisation(db, "cloudtap-pull")
        token = issue_key(db, org.id, environment).token
    if settings.queue_url == f"sqlite:///{settings.data_dir / 'queue.db'}":
        # This queue is the pull's own: jobs left by a killed run would only fetch files
        # again that the new run asks for itself.
        from cloudtap.jobs.queue import queue_for

        queue_for(settings).flush()
    sandbox = start_sandbox(settings) if environment == "sandbox" else None
    consumer = start_embedded_consumer(settings, workers=4)
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="cloudtap-pull-api", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded cloudtap API did not start")
            time.sleep(0.05)
        yield EmbeddedAPI(f"http://127.0.0.1:{port}", token, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        stop_consumer(consumer)
        stop_sandbox(sandbox)
