"""Sizes and link settings of a run: the full benchmark, or ``--quick``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Config:
    small_library: int  # assets of the ``listing-10k`` library
    large_library: int  # assets of the ``listing-100k`` / ``incremental`` / ``rss`` library
    download_assets: int  # newest assets whose originals (and live videos) ``download`` fetches
    runs: int
    million_library: int = 1_000_000  # assets of ``listing-1m`` (``photos-1m@`` at a million)
    accounts: int = 100  # accounts of ``accounts-100``
    account_assets: int = 1_000  # assets of each of them
    latency_ms: int = 50  # added to every Apple request, as a real round trip
    link_bytes_per_second: int = 20_000_000  # shared by every download
    api_clients: int = 32
    api_seconds: float = 10.0
    soak_cycles: int = 30  # back-to-back listings of ``large_library`` in ``soak``
    files_per_type: int = 0  # ``files-mixed``: at most this many files of a type (0: all)

    def settings(self) -> dict[str, Any]:
        return asdict(self)


FULL = Config(small_library=10_000, large_library=100_000, download_assets=500, runs=3)
QUICK = Config(
    small_library=1_000, large_library=5_000, download_assets=100, runs=3, api_seconds=3.0,
    million_library=20_000, accounts=20, account_assets=200,
)  # fmt: skip
