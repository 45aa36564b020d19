"""A real S3 API server on 127.0.0.1: moto's server mode, one per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from tests.cli.serve_process import free_port


@dataclass(frozen=True)
class LocalS3:
    endpoint_url: str
    bucket: str

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "access_key_id": "AKIDTESTKEY",
            "secret_access_key": "test-secret-key",
            "region": "us-east-1",
            "endpoint_url": self.endpoint_url,
        }

    def client(self) -> Any:
        return boto3.client(
            "s3",
            aws_access_key_id="AKIDTESTKEY",
            aws_secret_access_key="test-secret-key",
            region_name="us-east-1",
            endpoint_url=self.endpoint_url,
        )

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]


@contextmanager
def local_s3() -> Iterator[LocalS3]:
    # moto keeps its buckets per process, so each test gets a bucket of its own.
    bucket = f"results-{uuid.uuid4().hex[:12]}"
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = LocalS3(f"http://127.0.0.1:{port}", bucket)
        s3.client().create_bucket(Bucket=bucket)
        yield s3
    finally:
        server.stop()
