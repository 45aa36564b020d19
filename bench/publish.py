"""Publishing numbers: webhook delivery latency and S3 upload memory.

Prints a table:

- ``--events`` events emitted in-process (SQLite database and queue, two job threads),
  each delivered as a signed webhook to a receiver on 127.0.0.1: the batch's wall time
  from the first emit to the last ``delivered``, and each POST's round trip (median, p95);
- a ``--file-mib`` MiB result streamed through the S3 store into a moto S3 server run as
  a separate process (so its memory is not ours): time, and this process's peak RSS
  before and after (the upload is multipart, one 8 MiB part buffered at a time).

    .venv/bin/python bench/publish.py [--events 200] [--file-mib 256]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHUNK = b"\1" * (1 << 20)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_webhooks(count: int) -> list[tuple[str, str]]:
    from sqlalchemy import func, select

    from cloudtap.config import get_settings
    from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
    from cloudtap.publish.events import emit
    from cloudtap.store.accounts import create_organisation
    from cloudtap.store.db import transaction
    from cloudtap.store.migrate import upgrade
    from cloudtap.store.models import Event, WebhookConfig
    from tests.support.webhook_receiver import WebhookReceiver

    settings = get_settings()
    upgrade(settings.database_url)
    consumer = start_embedded_consumer(settings, workers=2)
    try:
        with WebhookReceiver() as receiver:
            with transaction(settings.database_url) as db:
                org = create_organisation(db, "Bench")
                config = WebhookConfig(organisation_id=org.id, url=receiver.url, secret="s")
                db.add(config)
                db.flush()
                org.webhook_config_default = config.id
                org_id = org.id
            started = time.perf_counter()
            for n in range(count):
                with transaction(settings.database_url) as db:
                    emit(db, org_id, None, "bench", "tick", {"n": n})
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with transaction(settings.database_url) as db:
                    done = db.scalar(
                        select(func.count()).where(
                            Event.organisation_id == org_id, Event.state == "delivered"
                        )
                    )
                if done == count:
                    break
                time.sleep(0.05)
            total = time.perf_counter() - started
            with transaction(settings.database_url) as db:
                rows = db.execute(
                    select(Event.id, Event.attempts).where(Event.organisation_id == org_id)
                ).all()
        latencies = []
        for _event_id, attempts in rows:
            if attempts and attempts[-1]["status_code"] == 200:
                latencies.append(attempts[-1]["duration_ms"])
        delivered = len(latencies)
    finally:
        stop_consumer(consumer)
    first_arrivals = {r.headers["ricloud-event-id"] for r in receiver.received}
    return [
        ("webhook events delivered", f"{delivered}/{count} ({len(first_arrivals)} distinct)"),
        ("webhook batch wall time", f"{total:.2f} s ({count / total:.0f} events/s)"),
        (
            "webhook POST round trip (median / p95)",
            f"{statistics.median(latencies):.1f} / "
            f"{statistics.quantiles(latencies, n=20)[-1]:.1f} ms",
        ),
    ]


def bench_s3(mib: int) -> list[tuple[str, str]]:
    import boto3

    from cloudtap.publish.outbound import OutboundURLGuard
    from cloudtap.publish.s3 import S3ResultStore
    from tests.cli.serve_process import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        credentials = {
            "access_key_id": "bench",
            "secret_access_key": "bench",
            "endpoint_url": endpoint,
        }
        client = boto3.client(
            "s3",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
            endpoint_url=endpoint,
        )
        for _ in range(100):
            try:
                client.create_bucket(Bucket="bench")
                break
            except Exception:
                time.sleep(0.1)
        # moto listens on loopback: allowed the way an operator would allow it.
        guard = OutboundURLGuard(allow=["127.0.0.1"], label="S3 endpoint")
        store = S3ResultStore("s3://bench/results", credentials, guard=guard)
        before = peak_rss_mib()
        started = time.perf_counter()
        with store.writer("big.bin") as (sink, stored):
            for _ in range(mib):
                sink.write(CHUNK)
        elapsed = time.perf_counter() - started
        after = peak_rss_mib()
        expected = hashlib.md5(usedforsecurity=False)
        for _ in range(mib):
            expected.update(CHUNK)
        head = client.head_object(Bucket="bench", Key=stored[0].location)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return [
        (f"S3 upload of {mib} MiB (moto server)", f"{elapsed:.2f} s ({mib / elapsed:.0f} MiB/s)"),
        ("S3 object size / parts", f"{head['ContentLength']} B / ETag {head['ETag']}"),
        ("peak RSS before / after upload", f"{before:.0f} / {after:.0f} MiB"),
        ("MD5 matches the bytes sent", str(stored[0].checksum == expected.hexdigest())),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--file-mib", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["CLOUDTAP_DATA_DIR"] = data_dir
        os.environ["CLOUDTAP_WEBHOOK_ALLOW_HOSTS"] = "127.0.0.1"
        rows = bench_s3(args.file_mib) + bench_webhooks(args.events)
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
