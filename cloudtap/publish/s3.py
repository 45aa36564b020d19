"""Results in an S3-compatible bucket (AWS, MinIO, moto...), through boto3.

Uploads are streamed: bytes are buffered only up to one multipart part, so a large
file never sits in memory whole. Small results (under one part) go up in a single
``PutObject``. Downloads are presigned URLs straight from the bucket.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from cloudtap.extras import require
from cloudtap.publish.outbound import OutboundURLGuard
from cloudtap.publish.store import StoredObject

# S3 needs parts of at least 5 MiB (except the last); 8 MiB is boto3's own default.
PART_SIZE = 8 * 1024 * 1024
READ_CHUNK_SIZE = 64 * 1024
CREDENTIAL_FIELDS = ("access_key_id", "secret_access_key", "region", "endpoint_url")

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # without the [s3] extra no S3 call is made: these are never raised

    class BotoCoreError(Exception):  # type: ignore[no-redef]
        pass

    class ClientError(Exception):  # type: ignore[no-redef]
        pass


S3Error = (BotoCoreError, ClientError)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ("bucket", "some/prefix")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("an S3 storage URL looks like s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


# The extra columns of an IAM user's credentials CSV, as the AWS console hands it out
# (ricloud-py turns its header into lower_snake keys). The console password is no S3
# credential: dropped at once, never stored.
IAM_EXPORT_FIELDS = ("user_name", "password", "console_login_link")


def usable_credentials(credentials: Mapping[str, Any]) -> dict[str, Any]:
    """``credentials`` without the IAM export's non-S3 columns."""
    return {k: v for k, v in credentials.items() if k not in IAM_EXPORT_FIELDS}


def check_credentials(credentials: Mapping[str, Any]) -> None:
    """Explicit keys only: a tenant must never borrow the server's own AWS identity
    (environment, instance profile), or it could write to any bucket the server can."""
    unknown = set(credentials) - set(CREDENTIAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown S3 credential fields: {', '.join(sorted(unknown))}")
    for required in ("access_key_id", "secret_access_key"):
        if not isinstance(credentials.get(required), str) or not credentials[required]:
            raise ValueError(f"S3 credentials need {required}")
    for optional in ("region", "endpoint_url"):
        if credentials.get(optional) is not None and not isinstance(credentials[optional], str):
            raise ValueError(f"S3 credential {optional} must be a string")


def make_client(credentials: Mapping[str, Any], guard: OutboundURLGuard) -> Any:
    """A boto3 client whose every connection goes through ``guard`` (the endpoint is the
    tenant's, the request leaves from our network)."""
    # boto3 costs ~10 MiB: loaded only once an S3 store is used, not by every serve.
    boto3 = require("boto3")
    Config = require("botocore.config").Config

    from cloudtap.publish.guarded_http import install_guard

    check_credentials(credentials)
    endpoint = credentials.get("endpoint_url") or None
    if endpoint is not None:
        guard.check_static(endpoint)
    client = boto3.client(
        "s3",
        aws_access_key_id=credentials.get("access_key_id") or None,
        aws_secret_access_key=credentials.get("secret_access_key") or None,
        region_name=credentials.get("region") or "us-east-1",
        endpoint_url=endpoint,
        config=Config(
            signature_version="s3v4",
            retries={"max_attempts": 3},
            # No proxy from the environment: connections go straight to the vetted address.
            proxies={},
            # Path style keeps the connected host the endpoint's own (not bucket.<host>).
            s3={"addressing_style": "path"} if endpoint else None,
        ),
    )
    install_guard(client, guard)
    return client


class S3Upload:
    """Write-only sink: buffers one part at a time, starts a multipart upload lazily."""

    def __init__(self, client: Any, bucket: str, key: str, part_size: int = PART_SIZE) -> None:
        self._client, self._bucket, self._key, self._part_size = client, bucket, key, part_size
        self._buffer = bytearray()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.size = 0

    @property
    def checksum(self) -> str:
        return self._md5.hexdigest()

    def write(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self.size += len(chunk)
        self._buffer.extend(chunk)
        while len(self._buffer) >= self._part_size:
            self._upload_part(bytes(self._buffer[: self._part_size]))
            del self._buffer[: self._part_size]

    def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:
            created = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        reply = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
        )
        self._parts.append({"ETag": reply["ETag"], "PartNumber": number})

    def finish(self) -> None:
        if self._upload_id is None:
            self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
            return
        if self._buffer:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            # If this fails too, the bucket's lifecycle rules reap the parts.
            with contextlib.suppress(*S3Error):
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
                )


class S3ResultStore:
    name = "s3"

    def __init__(
        self,
        url: str,
        credentials: Mapping[str, Any],
        *,
        guard: OutboundURLGuard,
        client: Any = None,
    ) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self._client = client or make_client(credentials, guard)

    def object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextmanager
    def writer(self, key: str) -> Iterator[tuple[S3Upload, list[StoredObject]]]:
        object_key = self.object_key(key)
        upload = S3Upload(self._client, self.bucket, object_key)
        stored: list[StoredObject] = []
        try:
            yield upload, stored
            upload.finish()
        except BaseException:
            upload.abort()
            raise
        stored.append(
            StoredObject(
                storage=self.name,
                location=object_key,
                url=f"s3://{self.bucket}/{object_key}",
                size=upload.size,
                checksum=upload.checksum,
            )
        )

    def read(self, location: str) -> Iterator[bytes]:
        try:
            reply = self._client.get_object(Bucket=self.bucket, Key=location)
        except S3Error as exc:
            raise FileNotFoundError(location) from exc
        body = reply["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(READ_CHUNK_SIZE)
            finally:
                body.close()

        return chunks()

    def delete(self, location: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=location)
        except S3Error as exc:
            raise OSError(f"could not delete s3://{self.bucket}/{location}") from exc

    def presign(self, location: str, expires_in: int) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": location},
                ExpiresIn=expires_in,
            )
        )
