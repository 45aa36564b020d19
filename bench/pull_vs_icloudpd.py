"""``cloudtap pull`` against icloudpd 1.32.3, downloading the same photos of one sandbox
library through the same TLS proxy (with an Apple-like latency on every answer).

Both tools run unmodified as subprocesses: icloudpd in its own venv with
``--recent N``, cloudtap with ``--data-types icpl.photos --since <the Nth newest upload>``
(the same N assets: the world's generator says which). Then the two trees are compared:
original paths, and every downloaded file's bytes (MD5), both run with the same non-UTC
``TZ``. Prints one table. Usage:

    .venv/bin/python bench/pull_vs_icloudpd.py [--account photos-10k] [--recent 1000]
        [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Both tools file photos under their capture's local day: run both in one zone that is
# not UTC, so the same paths also show they agree on the day.
MACHINE_ZONE = "America/New_York"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from compare_photo_listing import PASSWORD, SandboxProcess  # noqa: E402

from cloudtap.sandbox.accounts.model import GeneratedLibrary  # noqa: E402
from cloudtap.sandbox.accounts.scenarios import DOMAIN, scenario_account  # noqa: E402
from cloudtap.sandbox.photos import generator  # noqa: E402
from tests.support.venvs import client_venv  # noqa: E402


def since_for(account_name: str, recent: int) -> str:
    """The upload time of the (recent+1)-th newest visible asset: ``since`` is exclusive,
    so a pull with it lists exactly the ``recent`` newest, as icloudpd's --recent does."""
    library = scenario_account(account_name).photos
    assert isinstance(library, GeneratedLibrary)
    seen = 0
    for index in range(library.count):
        asset = generator.asset(library.seed, "PrimarySync", index)
        if asset.hidden:
            continue
        if seen == recent:
            return datetime.fromtimestamp(asset.added_date_ms / 1000, tz=UTC).isoformat()
        seen += 1
    raise SystemExit(f"{account_name} has fewer than {recent + 1} visible assets")


def tree(root: Path) -> dict[str, str]:
    """Relative path → MD5 of every file (hidden state files left out)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in rel.split("/")):
            out[rel] = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    return out


def run_icloudpd(sandbox: SandboxProcess, apple_id: str, recent: int, home: Path) -> float:
    venv = client_venv("icloudpd", ["icloudpd==1.32.3"])
    started = time.perf_counter()
    subprocess.run(
        [
            str(venv / "bin" / "icloudpd"),
            *("--username", apple_id, "--password", PASSWORD),
            *("--directory", str(home / "icloudpd"), "--cookie-directory", str(home / "pd")),
            *("--recent", str(recent), "--no-progress-bar", "--folder-structure", "{:%Y/%m/%d}"),
        ],
        env={**sandbox.client_env(home), "TZ": MACHINE_ZONE},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run_pull(sandbox: SandboxProcess, apple_id: str, since: str, home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDTAP_")}
    env.update(
        CLOUDTAP_SANDBOX_PROXY_URL=sandbox.proxy_url,
        CLOUDTAP_SANDBOX_CA_FILE=sandbox.ca_file,
        BENCH_PASSWORD=PASSWORD,
        TZ=MACHINE_ZONE,
    )
    started = time.perf_counter()
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "cloudtap"),
            *("pull", apple_id, "--to", str(home / "cloudtap")),
            *("--data-types", "icpl.photos", "--since", since, "--password-env", "BENCH_PASSWORD"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account", default="photos-10k")
    parser.add_argument("--recent", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    apple_id = f"{args.account}@{DOMAIN}"
    since = since_for(args.account, args.recent)
    with tempfile.TemporaryDirectory(prefix="cloudtap-pull-bench-") as tmp:
        home = Path(tmp)
        sandbox = SandboxProcess(home / "sandbox", args.latency_ms)
        try:
            pd_seconds = run_icloudpd(sandbox, apple_id, args.recent, home)
            ct_seconds = run_pull(sandbox, apple_id, since, home)
        finally:
            sandbox.close()
        pd_files = tree(home / "icloudpd")
        ct_all = tree(home / "cloudtap")
        # icloudpd keeps originals and live-photo videos: compare those.
        ct_files = {
            p.removeprefix("photos/"): m for p, m in ct_all.items() if p.startswith("photos/")
        }
        same_bytes = Counter(pd_files.values()) == Counter(ct_files.values())
        originals_pd = {p for p in pd_files if not p.upper().endswith(".MOV")}
        originals_ct = {p for p in ct_files if not p.upper().endswith(".MOV")}
        sizes = {
            name: sum((home / name / p).stat().st_size for p in files)
            for name, files in (
                ("icloudpd", pd_files),
                ("cloudtap", {f"photos/{p}": m for p, m in ct_files.items()}),
            )
        }
    print(f"{args.recent} newest assets of {args.account}, {args.latency_ms} ms latency per answer")
    print(f"{'tool':<24}{'files':>8}{'MB':>9}{'seconds':>10}{'files/s':>10}")
    for name, files, seconds in (
        ("icloudpd 1.32.3", pd_files, pd_seconds),
        ("cloudtap pull", ct_files, ct_seconds),
    ):
        size = sizes["icloudpd" if name.startswith("icloudpd") else "cloudtap"] / 1e6
        print(f"{name:<24}{len(files):>8}{size:>9.1f}{seconds:>10.1f}{len(files) / seconds:>10.1f}")
    print(f"same bytes (every file's MD5, originals and live videos): {same_bytes}")
    print(
        f"same original paths: {originals_pd == originals_ct} "
        f"({len(originals_pd & originals_ct)} shared, {len(originals_pd ^ originals_ct)} differ)"
    )
    print(
        f"cloudtap also kept: {sum(1 for p in ct_all if not p.startswith('photos/'))} files "
        "outside photos/ (edited renders, RAW, manifest)"
    )


if __name__ == "__main__":
    main()
