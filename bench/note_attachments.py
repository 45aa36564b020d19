"""Notes with attachments through the built-in sandbox and the real connector.

For each account: list ``mme_notes.notes`` (time, ``changes/zone`` pages and attachment
``records/lookup`` calls), then download up to ``--files`` attachments through
``open_file`` (MB/s, the resumable stream over the TLS proxy). Prints a table.

    .venv/bin/python bench/note_attachments.py [--accounts rich,notes-5k] [--files 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.config import Settings
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, TransportOptions
from cloudtap.sandbox.accounts.scenarios import DOMAIN, PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox


class Calls:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)

    def count(self, part: str) -> int:
        return sum(part in p for p in self.paths)


async def measure(sandbox: RunningSandbox, name: str, files: int) -> list[str]:
    calls = Calls()
    options = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    connector = ICloudConnector(options, request_hooks=[calls])
    login = await connector.login(Credentials(f"{name}@{DOMAIN}", PASSWORD), None)
    assert login.session_state is not None
    state = login.session_state
    calls.paths.clear()
    started = time.perf_counter()
    notes = [n async for n in connector.fetch_items(state, "mme_notes.notes", Filters())]
    listing = time.perf_counter() - started
    pages, lookups = calls.count("changes/zone"), calls.count("records/lookup")
    attachments = [a for n in notes for a in n["attachments"]]
    received, started = 0, time.perf_counter()
    for entry in attachments[:files]:
        stream = await connector.open_file(state, entry["file_id"])
        async for chunk in stream.iter_bytes():
            received += len(chunk)
    seconds = time.perf_counter() - started
    return [
        name,
        str(len(notes)),
        str(len(attachments)),
        f"{listing:.2f}",
        str(pages),
        str(lookups),
        f"{min(files, len(attachments))} / {received / 1e6:.1f} MB",
        f"{received / 1e6 / seconds:.1f}" if seconds else "-",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", default="rich,notes-5k")
    parser.add_argument("--files", type=int, default=30)
    args = parser.parse_args()
    header = ["account", "notes", "attachments", "list s", "pages", "lookups", "downloaded"]
    rows = [[*header, "MB/s"]]
    with tempfile.TemporaryDirectory() as data_dir:
        sandbox = start_sandbox(Settings.from_env({"CLOUDTAP_DATA_DIR": data_dir}))
        try:
            for name in args.accounts.split(","):
                rows.append(asyncio.run(measure(sandbox, name, args.files)))
        finally:
            sandbox.close()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
