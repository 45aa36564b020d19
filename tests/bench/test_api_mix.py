"""``api-mix`` at a tiny size, end to end: the sandbox, the bench's ``serve`` (with its
bare endpoint) and ricloud-py's sequence; its JSON has every request kind with the
figures the issue asks for. No timing is asserted: this checks the scenario, not speed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx

from bench.runner import mix
from bench.runner.api import CloudtapAPI
from bench.runner.api_mix import api_mix
from bench.runner.bench_serve import BARE_PATH
from bench.runner.config import QUICK
from bench.runner.processes import cloudtap_server, sandbox_process
from bench.runner.report import write_json
from cloudtap.sandbox.accounts.scenarios import DOMAIN

TINY = replace(QUICK, runs=1, api_clients=4, api_seconds=0.5)


def test_api_mix_reports_every_request_kind_against_the_bare_endpoint(tmp_path: Path) -> None:
    knobs = {"CLOUDTAP_SANDBOX_LATENCY_MS": "0"}
    with (
        sandbox_process(tmp_path / "sandbox", knobs, {"bench-small": 20}) as sandbox,
        cloudtap_server(tmp_path / "cloudtap", sandbox) as served,
    ):
        # The bare endpoint authenticates as the API does.
        assert httpx.get(f"{served.url}{BARE_PATH}").status_code == 401
        api = CloudtapAPI(served)
        try:
            session = api.login(f"bench-small@{DOMAIN}")
            scenarios = api_mix("api-mix", TINY, served, api, [session])
        finally:
            api.close()
    out = tmp_path / "api-mix.json"
    write_json(out, TINY.settings(), scenarios, {"commit": "test"})
    document = json.loads(out.read_text())
    found = {s["details"]["kind"]: s for s in document["scenarios"]}
    assert list(found) == list(mix.KINDS)
    for kind, scenario in found.items():
        details = scenario["details"]
        assert scenario["name"] == f"api-mix {kind}"
        assert scenario["peer"] == "bare authenticated endpoint"
        assert scenario["peer_median"] > 0 and scenario["cloudtap_median"] > 0, kind
        assert (
            scenario["ratio"] == details["ratio_vs_bare"]
            or abs(scenario["ratio"] - details["ratio_vs_bare"]) < 1e-3
        )
        assert details["p99_ms"] >= details["alone"][0]["p50_ms"] > 0
        assert isinstance(scenario["met"], bool)
        assert details["bare"][0]["requests"] > 0
        assert details["cpu_ms_per_request"][0] > 0 and details["bare_cpu_ms_per_request"][0] > 0
        assert details["cpu_ratio_vs_bare"] > 0
    # The mix replayed whole cycles: polls read while processing, then settled, their
    # results listed and fetched, the other reads made meanwhile.
    for kind in mix.KINDS:
        if kind != mix.POLL_PROCESSING:
            assert found[kind]["details"]["mix"][0]["requests"] > 0, kind
