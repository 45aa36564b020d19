"""``bench/run [--quick] [--keep]``: starts the sandbox, ``cloudtap serve`` and the peers,
runs every scenario side by side, prints a markdown table and writes
``bench/results/latest.json`` (with ``--keep``, also a copy named by its commit). Each
file records the commit, date, machine and load. What each scenario measures:
``bench/README.md``."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from bench.runner.accounts import STEM, many_accounts, scaled_out_services
from bench.runner.api import CloudtapAPI
from bench.runner.config import FULL, QUICK, Config
from bench.runner.million import million_listing
from bench.runner.processes import REPO, cloudtap_server, sandbox_process
from bench.runner.provenance import LoadSampler, kept_name, provenance
from bench.runner.report import Scenario, table, write_json
from bench.runner.scenarios import Bench

RESULTS = REPO / "bench" / "results" / "latest.json"


SCENARIOS = (
    "listing-10k", "listing-100k", "rss-100k", "incremental-100k", "download", "api", "fairness",
    "drive-100k", "rss-drive-100k", "repeat-drive-100k", "files-mixed", "soak", "api-mix",
    "listing-1m", "accounts-100",
)  # fmt: skip
MILLION = "photos-1m"  # the scenario account; another size lists a generated bench-1m@
# What a scenario needs run before it: the incremental poll starts where the 100k listing
# ended, the API load reads the download poll; listing-100k and rss-100k are one run.
NEEDS = {"incremental-100k": {"listing-100k"}, "api": {"download"}, "rss-100k": {"listing-100k"}}
NEEDS |= {"rss-drive-100k": {"drive-100k"}, "repeat-drive-100k": {"drive-100k"}}


def wanted_scenarios(only: set[str] | None) -> set[str]:
    """The scenarios a run makes: ``only`` and what they need, or every one."""
    return set(SCENARIOS) if only is None else only.union(*(NEEDS.get(n, set()) for n in only))


def run(
    config: Config, root: Path, only: set[str] | None = None, into: list[Scenario] | None = None
) -> list[Scenario]:
    """Runs the scenarios, appending each result to ``into`` as it is made (so a run that
    fails part-way still has what it finished)."""
    wanted = wanted_scenarios(only)
    if "accounts-100" in wanted:
        scaled_out_services()
    knobs = {
        "CLOUDTAP_SANDBOX_LATENCY_MS": str(config.latency_ms),
        "CLOUDTAP_SANDBOX_LINK_BPS": str(config.link_bytes_per_second),
    }
    libraries = {"bench-small": config.small_library, "bench-large": config.large_library}
    million = MILLION if config.million_library == 1_000_000 else "bench-1m"
    if million != MILLION and "listing-1m" in wanted:
        libraries[million] = config.million_library
    numbered = (STEM, config.account_assets, config.accounts) if "accounts-100" in wanted else None
    with (
        sandbox_process(root / "sandbox", knobs, libraries, numbered) as sandbox,
        cloudtap_server(root / "cloudtap", sandbox) as served,
    ):
        api = CloudtapAPI(served)
        try:
            bench = Bench(config, sandbox, served, api, root)
            scenarios: list[Scenario] = [] if into is None else into
            if "listing-10k" in wanted:
                scenarios.append(bench.listing("listing-10k", "bench-small"))
            if "listing-100k" in wanted:
                scenarios += bench.large_listing("listing-100k", "rss-100k", "bench-large")
            if "incremental-100k" in wanted:
                scenarios.append(bench.incremental("incremental-100k", "bench-large"))
            if "download" in wanted:
                scenarios.append(bench.download("download", "bench-large"))
            if "api" in wanted:
                scenarios.append(bench.api_load("api"))
            if "drive-100k" in wanted:
                names = ("drive-100k", "rss-drive-100k", "repeat-drive-100k")
                scenarios += bench.drive_listing(*names)
            if "files-mixed" in wanted:
                scenarios += bench.files_mixed("files-mixed")
            if "soak" in wanted:
                scenarios.append(bench.soak("soak", "bench-large"))
            if "api-mix" in wanted:
                scenarios += bench.api_mix("api-mix", "bench-small")
            if "listing-1m" in wanted:
                scenarios += million_listing(
                    config.runs, config.latency_ms, sandbox, served, api, million,
                    config.million_library,
                )  # fmt: skip
            if "accounts-100" in wanted:
                scenarios += many_accounts(
                    config.runs, config.accounts, config.account_assets, sandbox, api, root
                )
            if "fairness" in wanted:
                scenarios.append(bench.fairness("fairness", "bench-small", "bench-large"))
            return scenarios
        finally:
            api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 5 minutes")
    parser.add_argument(
        "--output", type=Path, default=RESULTS,
        help="also write the results here (latest.json is written either way)",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true",
        help="also keep this run as bench/results/<commit>.json",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, metavar="NAME",
        help="run only this scenario (repeatable; with what it needs: incremental-100k and "
        "rss-100k the 100k listing, api the download; listing-1m also reports rss-1m and "
        "repeat-1m, accounts-100 also accounts-100-workers)",
    )  # fmt: skip
    knobs = (
        "small_library", "large_library", "download_assets", "runs", "million_library",
        "accounts", "account_assets", "soak_cycles", "files_per_type",
    )  # fmt: skip
    for knob in knobs:
        parser.add_argument(f"--{knob.replace('_', '-')}", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--api-clients", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    overrides = {
        k: v for k in (*knobs, "api_seconds", "api_clients") if (v := getattr(args, k)) is not None
    }
    config = replace(QUICK if args.quick else FULL, **overrides)
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    only = set(args.only) if args.only else None
    scenarios: list[Scenario] = []
    failure: dict[str, str | list[str]] | None = None
    with (
        LoadSampler() as load,
        tempfile.TemporaryDirectory(prefix="cloudtap-bench-") as tmp,
    ):
        try:
            run(config, Path(tmp), only, scenarios)
        except Exception as error:  # the finished scenarios are still written, marked failed
            traceback.print_exc()
            made = {s.name for s in scenarios}
            failure = {
                "error": f"{type(error).__name__}: {error}",
                "not_finished": sorted(wanted_scenarios(only) - made),
            }
    settings = {
        **config.settings(),
        "quick": args.quick,
        "only": args.only,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    origin = provenance(REPO, started_at, load)
    write_json(args.output, settings, scenarios, origin, failure)
    if args.output.resolve() != RESULTS.resolve():
        shutil.copyfile(args.output, RESULTS)  # latest.json is always the last run
    if args.keep:
        shutil.copyfile(args.output, RESULTS.parent / kept_name(origin["commit"], args.quick))
    print(table(scenarios))
    print(f"\n{'quick' if args.quick else 'full'} run, {settings['wall_seconds']} s; {origin}")
    if failure is not None:
        print(f"FAILED: {failure['error']}; not finished: {failure['not_finished']}")
        sys.exit(1)


if __name__ == "__main__":
    main()
