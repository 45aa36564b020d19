"""The sandbox as its own process, with extra generated libraries, answering counts.

Run by the runner (``python -m bench.runner.sandbox_server NAME:COUNT ...``): serves the
scenario accounts plus ``<NAME>@sandbox.cloudtap.dev`` with a generated library of COUNT
assets, fault knobs from the usual ``CLOUDTAP_SANDBOX_*`` environment. Prints
``proxy <url>`` and ``ca <path>``, then answers one line per stdin line:
``requests <unix time>`` → how many requests it served that started at or after then;
``paths <unix time>`` → their hosts and paths, on one line;
``cloudkit <apple id> ...`` → how many CloudKit requests each of those accounts made.
A spec ``NAME-###:COUNT:N`` stands for N accounts ``NAME-000`` … of COUNT assets each.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from cloudtap.config import get_settings
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import DOMAIN, scenario_account
from cloudtap.sandbox.cloudkit.server import CLOUDKIT_TALLY
from cloudtap.sandbox.runtime import WEB_SESSION_TTL, sandbox_accounts, start_sandbox
from cloudtap.sandbox.world import SandboxWorld


def main(libraries: list[str]) -> None:
    settings = get_settings()
    accounts = sandbox_accounts(settings)
    template = scenario_account("photos-10k", settings.sandbox_seed)
    for name, count in _expanded(libraries):
        accounts.append(
            replace(
                template,
                apple_id=f"{name}@{DOMAIN}",
                dsid=str(10_000_000_000 + len(accounts)),
                photos=GeneratedLibrary(count=count, seed=len(accounts)),
            )
        )
    world = SandboxWorld.with_accounts(accounts, seed=settings.sandbox_seed)
    world.web_session_ttl = WEB_SESSION_TTL
    sandbox = start_sandbox(settings, world=world)
    print(f"proxy {sandbox.proxy_url}\nca {sandbox.ca_file}", flush=True)
    try:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "requests":
                since = float(argument)
                served = sum(1 for e in sandbox.exchanges() if e.started >= since)
                print(served, flush=True)
            elif command == "paths":  # what was served since then, for notes
                since = float(argument)
                paths = [f"{e.host}{e.path}" for e in sandbox.exchanges() if e.started >= since]
                print(" ".join(paths), flush=True)
            elif command == "cloudkit":
                counts = [world.tally.count(a, CLOUDKIT_TALLY) for a in argument.split()]
                print(" ".join(map(str, counts)), flush=True)
    finally:
        sandbox.close()


def _expanded(libraries: list[str]) -> list[tuple[str, int]]:
    """``NAME:COUNT`` as is; ``NAME-###:COUNT:N`` as N numbered accounts."""
    out: list[tuple[str, int]] = []
    for spec in libraries:
        name, count, *many = spec.split(":")
        if many:
            stem = name.removesuffix("###")
            out += [(f"{stem}{i:03d}", int(count)) for i in range(int(many[0]))]
        else:
            out.append((name, int(count)))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
