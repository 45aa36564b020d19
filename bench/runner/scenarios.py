"""The scenarios: each runs cloudtap (through its HTTP API), its peer and the bare
client ``config.runs`` times, interleaved, and checks every run returned the right data."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.runner import bare, peers
from bench.runner.api import CloudtapAPI
from bench.runner.api_mix import api_mix
from bench.runner.config import Config
from bench.runner.fairness import fairness
from bench.runner.files_mixed import files_mixed
from bench.runner.load import load
from bench.runner.memory import cpu_of, sampled_peak_rss
from bench.runner.processes import SandboxProcess
from bench.runner.report import Runs, Scenario
from bench.runner.soak import soak
from cloudtap.icloud.services.photos import PAGE_ASSETS, PAGE_CONCURRENCY
from cloudtap.sandbox.accounts.scenarios import DOMAIN
from tests.cli.serve_process import ServedAPI

MB = 1_000_000


class Bench:
    def __init__(
        self, config: Config, sandbox: SandboxProcess, served: ServedAPI, api: CloudtapAPI,
        root: Path,
    ) -> None:  # fmt: skip
        self.config = config
        self.sandbox = sandbox
        self.served = served
        self.api = api
        self.root = root
        self.sessions: dict[str, str] = {}
        self.listing_done: dict[str, float] = {}
        self.download_poll: str | None = None

    def _session(self, library: str) -> str:
        if library not in self.sessions:
            self.sessions[library] = self.api.login(f"{library}@{DOMAIN}")
        return self.sessions[library]

    # --- listings ----------------------------------------------------------------------

    def _listing_runs(
        self, library: str, rss: list[float] | None = None
    ) -> tuple[Runs, Runs, Runs, list[str]]:
        apple_id = f"{library}@{DOMAIN}"
        session = self._session(library)
        ours, theirs, limit = [], [], []
        server_cpu, sandbox_cpu = [], []
        notes: list[str] = []
        # One untimed bare pass first: the sandbox builds each page once and keeps it, so
        # every client meets the same sandbox (icloudpd asks for other keys: its first run
        # has its pages built).
        with cpu_of(self.sandbox) as cold:
            _, warmed = asyncio.run(
                bare.timed_listing(self.sandbox.proxy_url, self.sandbox.ca_file, apple_id)
            )
        cold_page = cold.seconds / (warmed / PAGE_ASSETS) * 1000
        for run in range(self.config.runs):
            with sampled_peak_rss(self.served.process.pid) as peak, cpu_of(self.served) as cpu:
                seconds, poll = self.api.poll(session, {"data_types": ["icpl.photos"]})
            self.listing_done[library] = time.time()
            items = len(self.api.json_items(poll))
            server_cpu.append(cpu.seconds / items * 1000)
            ours.append(seconds)
            if rss is not None:
                rss.append(peak.mib)
            seconds, count = peers.listing(
                self.sandbox, apple_id, self.root / f"pd-{library}-{run}"
            )
            theirs.append(seconds)
            with cpu_of(self.sandbox) as served_cpu:
                seconds, bare_count = asyncio.run(
                    bare.timed_listing(self.sandbox.proxy_url, self.sandbox.ca_file, apple_id)
                )
            sandbox_cpu.append(served_cpu.seconds / (bare_count / PAGE_ASSETS) * 1000)
            limit.append(seconds)
            if items != bare_count:
                raise RuntimeError(f"cloudtap listed {items} assets, the bare client {bare_count}")
            if run == 0:
                notes.append(
                    f"{items} assets listed by cloudtap and the bare client, {count} by icloudpd "
                    "(its index leaves hidden assets out); cloudtap: POST /polls to completed, "
                    "icloudpd: whole process incl. login, bare: listing only"
                )
        pages = -(-items // PAGE_ASSETS)
        floor = pages / PAGE_CONCURRENCY * self.config.latency_ms / 1000
        notes.append(
            f"CPU of the whole cloudtap server per listed asset: {Runs(server_cpu).text()} ms; "
            f"sandbox CPU per page served to the bare client (login included): "
            f"{Runs(sandbox_cpu).text()} ms (building it, in the untimed first pass: "
            f"{cold_page:.1f} ms); latency floor ({pages} pages / "
            f"{PAGE_CONCURRENCY} in flight x {self.config.latency_ms} ms): {floor:.1f} s, "
            f"bare client at {Runs(limit).median / floor:.2f}x of it"
        )
        return Runs(ours), Runs(theirs), Runs(limit), notes

    def _listing_scenario(
        self, name: str, ours: Runs, theirs: Runs, limit: Runs, notes: list[str]
    ) -> Scenario:
        scenario = Scenario(
            name, "seconds", False, ours, "icloudpd 1.32.3", theirs,
            target="≥ 3x faster than icloudpd, ≤ 1.3x the bare client", met=False,
            bare=limit, notes=notes,
        )  # fmt: skip
        vs_bare = ours.median / limit.median
        scenario.met = (scenario.ratio or 0) >= 3 and vs_bare <= 1.3
        scenario.notes.append(f"cloudtap takes {vs_bare:.2f}x the bare client's time")
        return scenario

    def listing(self, name: str, library: str) -> Scenario:
        return self._listing_scenario(name, *self._listing_runs(library))

    def large_listing(self, name: str, rss_name: str, library: str) -> list[Scenario]:
        peaks: list[float] = []
        listing = self._listing_scenario(name, *self._listing_runs(library, peaks))
        rss = Scenario(
            rss_name, "MiB", False, Runs(peaks), None, None, target="< 200 MiB",
            met=Runs(peaks).median < 200,
            notes=["peak RSS of the whole `cloudtap serve` process (API, job threads) during "
                   "each listing poll, sampled every 50 ms; the sandbox runs elsewhere"],
        )  # fmt: skip
        return [listing, rss]

    # --- iCloud Drive ------------------------------------------------------------------

    def drive_listing(self, name: str, rss_name: str, repeat_name: str) -> list[Scenario]:
        """drive-100k@ (100,000 files in 5,000 folders) listed through the API: seconds,
        serve's peak RSS, then what a no-change repeat through the kept cursor costs."""
        session = self._session("drive-100k")
        data_type = {"data_types": ["icloud_drive.files"]}
        with sampled_peak_rss(self.served.process.pid) as peak:
            started = time.time()
            seconds, poll = self.api.poll(session, data_type)
        listed = time.time()
        items = len(self.api.json_items(poll))
        if items != 105_001:  # the root, 5,000 folders, 100,000 files
            raise RuntimeError(f"drive-100k listed {items} items, not 105,001")
        requests = self.sandbox.requests_since(started)
        time.sleep(1.0)  # `since` strictly after the listing started, to the second
        since = datetime.fromtimestamp(listed, UTC).isoformat()
        again = time.time()
        took, repeat = self.api.poll(session, {**data_type, "filters": {"since": since}})
        time.sleep(0.2)  # the sandbox logs an exchange as its answer ends
        repeat_requests = self.sandbox.requests_since(again)
        if self.api.json_items(repeat):
            raise RuntimeError("an unchanged Drive gave new items")
        return [
            Scenario(
                name, "seconds", False, Runs([seconds]), None, None,
                target="listed whole", met=True,
                notes=[f"{items} items in {requests} Apple requests (drivews requests of up "
                       "to 1,000 folders and about 20,000 children, a level at a time); "
                       "POST /polls to completed"],
            ),
            Scenario(
                rss_name, "MiB", False, Runs([peak.mib]), None, None, target="< 200 MiB",
                met=peak.mib < 200,
                notes=["peak RSS of the whole `cloudtap serve` process during the drive-100k "
                       "listing poll, sampled every 50 ms; the sandbox runs elsewhere"],
            ),
            Scenario(
                repeat_name, "Apple requests", False, Runs([float(repeat_requests)]), None,
                None, target="<= 10", met=repeat_requests <= 10,
                notes=[f"no-change repeat through the kept cursor: {took:.1f} s, nothing "
                       "published; every folder is listed again, batched (no subtree is "
                       "skipped on a folder's etag: captured etags show a folder's does not "
                       "follow its children's)"],
            ),
        ]  # fmt: skip

    # --- incremental -------------------------------------------------------------------

    def incremental(self, name: str, library: str) -> Scenario:
        """No-change polls, each asking for what changed since the previous poll ended,
        as a syncing client does."""
        session = self._session(library)
        counts, seconds, paths = [], [], []
        for _ in range(self.config.runs):
            since = datetime.fromtimestamp(self.listing_done[library], UTC).isoformat()
            started = time.time()
            took, poll = self.api.poll(
                session, {"data_types": ["icpl.photos"], "filters": {"since": since}}
            )
            self.listing_done[library] = time.time()
            time.sleep(0.2)  # the sandbox logs an exchange as its answer ends
            counts.append(float(self.sandbox.requests_since(started)))
            paths = [p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1] for p in
                     self.sandbox.paths_since(started)]  # fmt: skip
            seconds.append(took)
            if self.api.json_items(poll):
                raise RuntimeError("an unchanged library gave new items")
        ours = Runs(counts)
        return Scenario(
            name, "Apple requests", False, ours, None, None,
            target="1 Apple request, < 1 s",
            met=ours.median <= 1 and Runs(seconds).median < 1,
            notes=[f"no-change poll (since = the end of the previous poll): "
                   f"{Runs(seconds).text()} s from POST /polls to completed; "
                   f"requests of the last: {', '.join(paths)}"],
        )  # fmt: skip

    # --- downloads ---------------------------------------------------------------------

    def download(self, name: str, library: str) -> Scenario:
        apple_id = f"{library}@{DOMAIN}"
        session = self._session(library)
        assets = self.config.download_assets
        proxy, ca = self.sandbox.proxy_url, self.sandbox.ca_file
        # Every picture is drawn and encoded once, then served from the sandbox's cache.
        asyncio.run(bare.timed_download(proxy, ca, apple_id, assets))
        ours, theirs, limit, server_cpu = [], [], [], []
        notes: list[str] = []
        for run in range(self.config.runs):
            took, truth = asyncio.run(bare.timed_download(proxy, ca, apple_id, assets))
            size = sum(s for s, _ in truth.values())
            limit.append(size / MB / took)
            with cpu_of(self.served) as cpu:
                seconds, poll = self.api.poll(session, {"files": sorted(truth)})
            server_cpu.append(cpu.seconds / len(truth) * 1000)
            self.download_poll = str(poll["id"])
            self._check_bytes(poll["id"], truth)
            ours.append(size / MB / seconds)
            seconds, files = peers.download(
                self.sandbox, apple_id, self.root / f"pd-download-{run}", assets
            )
            theirs.append(sum(s for s, _ in files.values()) / MB / seconds)
            if run == 0:
                notes.append(
                    f"{len(truth)} files ({size / MB:.0f} MB: the originals and live-photo "
                    f"videos of the newest {assets} assets), byte-exact (MD5 of every stored "
                    f"file = the bare client's); icloudpd --recent {assets}: {len(files)} "
                    f"files, whole process incl. login and listing; cloudtap: POST /polls to "
                    f"completed; link {self.config.link_bytes_per_second / MB:.0f} MB/s shared, "
                    f"+{self.config.latency_ms} ms per request; one untimed pass first has the "
                    f"sandbox render each picture once"
                )
        scenario = Scenario(
            name, "MB/s", True, Runs(ours), "icloudpd 1.32.3", Runs(theirs),
            target="≥ 4x icloudpd, ≥ 80% of the bare client", met=False, bare=Runs(limit),
            notes=notes,
        )  # fmt: skip
        share = Runs(ours).median / Runs(limit).median
        scenario.met = (scenario.ratio or 0) >= 4 and share >= 0.8
        link = Runs(limit).median * MB / self.config.link_bytes_per_second
        scenario.notes.append(
            f"cloudtap reaches {share:.0%} of the bare client, which reaches {link:.0%} of the "
            f"link; CPU of the whole cloudtap server per file: {Runs(server_cpu).text()} ms"
        )
        return scenario

    def _check_bytes(self, poll_id: str, truth: dict[str, tuple[int, str]]) -> None:
        results = self.api.results(poll_id)
        got = {}
        for result in results:
            data = Path(result["url"].removeprefix("local://")).read_bytes()
            got[result["identifier"]] = (len(data), hashlib.md5(data).hexdigest())
            if result["checksum"] != got[result["identifier"]][1]:
                raise RuntimeError(f"result {result['id']}: checksum is not its file's MD5")
        if got != truth:
            wrong = sorted(k for k in truth if got.get(k) != truth[k])
            raise RuntimeError(f"{len(wrong)} files differ from the sandbox's, e.g. {wrong[:3]}")

    # --- fairness between organisations ------------------------------------------------

    def fairness(self, name: str, small_library: str, backlog_library: str) -> Scenario:
        return fairness(
            name, self.config.runs, self.sandbox, self.served, self.api,
            self._session(small_library), backlog_library,
        )  # fmt: skip

    # --- every file type, memory over time ---------------------------------------------

    def files_mixed(self, name: str) -> list[Scenario]:
        session = self._session("rich")
        return files_mixed(name, self.config.runs, self.api, session, self.config.files_per_type)

    def soak(self, name: str, library: str) -> Scenario:
        session = self._session(library)
        return soak(name, self.config.soak_cycles, self.api, session, self.served.process.pid)

    # --- API ---------------------------------------------------------------------------

    def api_load(self, name: str) -> Scenario:
        poll = self.download_poll
        assert poll is not None
        # What ricloud-py 3.2.0 sends on every request (its own headers and those of
        # `requests`), to both endpoints: gzip accepted, Ricloud-Await: 0.
        headers = {
            "User-Agent": "ricloud-py/3.2.0",
            "Accept-Encoding": "gzip, deflate",
            "Accept": "*/*",
            "Connection": "keep-alive",
            "Authorization": f"Token {self.served.token}",
            "Ricloud-Await": "0",
        }
        clients, seconds = self.config.api_clients, self.config.api_seconds
        ours, theirs, p99s = [], [], []
        for _ in range(self.config.runs):
            measured = load(f"{self.served.url}/polls/{poll}", headers, clients, seconds)
            bare_endpoint = load(f"{self.served.url}/docs", headers, clients, seconds)
            if measured.errors or bare_endpoint.errors:
                raise RuntimeError("the API answered errors under load")
            ours.append(measured.requests_per_second)
            theirs.append(bare_endpoint.requests_per_second)
            p99s.append(measured.p99_ms)
        results = len(self.api.results(poll))
        plain = len(
            self.api.http.get(f"/polls/{poll}", headers={"Accept-Encoding": "identity"}).content
        )
        scenario = Scenario(
            name, "requests/s", True, Runs(ours), "bare endpoint GET /docs", Runs(theirs),
            target="≥ 50% of the bare endpoint, p99 < 50 ms", met=False,
            notes=[f"GET /polls/{{id}} of the download poll ({results} results), {clients} "
                   f"keep-alive clients for {seconds:.0f} s per run, both endpoints sent "
                   f"ricloud-py 3.2.0's headers (Accept-Encoding: gzip, deflate; "
                   f"Ricloud-Await: 0); p99 {Runs(p99s).text()} ms; answer "
                   f"{measured.body_bytes / 1000:.0f} KB as sent ({plain / 1000:.0f} KB "
                   f"unencoded), /docs {bare_endpoint.body_bytes / 1000:.1f} KB"],
        )  # fmt: skip
        scenario.met = (scenario.ratio or 0) >= 0.5 and Runs(p99s).median < 50
        return scenario

    def api_mix(self, name: str, library: str) -> list[Scenario]:
        return api_mix(name, self.config, self.served, self.api, [self._session(library)])
