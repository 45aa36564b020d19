"""A live sandbox (real TLS CONNECT proxy) keeping its data in a directory of the test's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox


@contextmanager
def live_sandbox(
    data_dir: Path,
    *,
    settings: Mapping[str, str] | None = None,
    start_env: Mapping[str, str] | None = None,
) -> Iterator[RunningSandbox]:
    """Start a sandbox with ``CLOUDTAP_DATA_DIR=data_dir`` (plus ``settings``), yield it,
    close it. ``start_env`` is set in the process environment while it starts only."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (start_env or {}).items():
            patch.setenv(name, value)
        running = start_sandbox(
            Settings.from_env({"CLOUDTAP_DATA_DIR": str(data_dir), **(settings or {})})
        )
    with running:
        yield running
