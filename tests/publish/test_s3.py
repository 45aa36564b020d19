"""The S3 result store against a real S3 API (moto's server on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import httpx
import pytest

from cloudtap.publish.outbound import OutboundURLGuard
from cloudtap.publish.s3 import PART_SIZE, S3ResultStore, check_credentials, parse_s3_url
from tests.support.s3_server import LocalS3, local_s3

# moto listens on 127.0.0.1, which only the operator's allow-list lets a store reach.
LOOPBACK_ALLOWED = OutboundURLGuard(allow=["127.0.0.1"], label="S3 endpoint")


@pytest.fixture
def s3() -> Iterator[LocalS3]:
    with local_s3() as server:
        yield server


def test_small_result_round_trip_and_presigned_download(s3: LocalS3) -> None:
    store = S3ResultStore(f"s3://{s3.bucket}/some/prefix", s3.credentials, guard=LOOPBACK_ALLOWED)
    payload = b'{"data": []}'
    with store.writer("org/poll/task.json") as (sink, stored):
        sink.write(payload)
    [obj] = stored
    assert obj.location == "some/prefix/org/poll/task.json"
    assert obj.url == f"s3://{s3.bucket}/some/prefix/org/poll/task.json"
    assert (obj.size, obj.checksum) == (len(payload), hashlib.md5(payload).hexdigest())
    assert b"".join(store.read(obj.location)) == payload
    assert httpx.get(store.presign(obj.location, 60)).content == payload
    store.delete(obj.location)
    assert s3.keys() == []


def test_large_result_is_streamed_in_multipart_parts(s3: LocalS3) -> None:
    store = S3ResultStore(f"s3://{s3.bucket}", s3.credentials, guard=LOOPBACK_ALLOWED)
    chunk = os.urandom(1024 * 1024)
    total = PART_SIZE * 2 + 123  # three parts, the last one short
    md5 = hashlib.md5()
    with store.writer("big.bin") as (sink, stored):
        written = 0
        while written < total:
            piece = chunk[: min(len(chunk), total - written)]
            sink.write(piece)
            md5.update(piece)
            written += len(piece)
    [obj] = stored
    assert obj.size == total and obj.checksum == md5.hexdigest()
    head = s3.client().head_object(Bucket=s3.bucket, Key="big.bin")
    assert head["ContentLength"] == total
    assert head["ETag"].strip('"').endswith("-3")  # S3 marks multipart ETags with the part count
    downloaded = hashlib.md5()
    for piece in store.read(obj.location):
        downloaded.update(piece)
    assert downloaded.hexdigest() == md5.hexdigest()


def test_a_failed_write_leaves_no_object(s3: LocalS3) -> None:
    store = S3ResultStore(f"s3://{s3.bucket}", s3.credentials, guard=LOOPBACK_ALLOWED)
    with pytest.raises(RuntimeError), store.writer("broken.bin") as (sink, _stored):
        sink.write(os.urandom(PART_SIZE + 1))  # one part already uploaded
        raise RuntimeError("the producer broke")
    assert s3.keys() == []
    uploads = s3.client().list_multipart_uploads(Bucket=s3.bucket)
    assert uploads.get("Uploads", []) == []


def test_urls_and_credentials_are_checked() -> None:
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b")
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    for bad in ("s3:///nobucket", "gs://bucket/x"):
        with pytest.raises(ValueError):
            parse_s3_url(bad)
    with pytest.raises(ValueError, match="access_key_id"):
        check_credentials({"secret_access_key": "x"})
    with pytest.raises(ValueError, match="unknown"):
        check_credentials({"access_key_id": "a", "secret_access_key": "b", "token": "c"})
