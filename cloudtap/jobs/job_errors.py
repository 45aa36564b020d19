"""The errors a poll or task job fails with that are the job layer's own (Apple's come
from ``cloudtap.icloud.errors``), and how any exception becomes a stable code."""

from __future__ import annotations

import logging

from cloudtap.icloud.errors import ICloudError
from cloudtap.publish.s3 import S3Error

log = logging.getLogger(__name__)


class UnsupportedTarget(ICloudError):
    code = "unsupported-type"


class StorageUnavailable(ICloudError):
    """The result store (e.g. the S3 bucket) refused or could not be reached."""

    code = "storage-unavailable"


class WorkerLost(ICloudError):
    """Workers died (their leases lapsed) every time they ran it: it is not run again."""

    code = "worker-lost"


class InternalError(ICloudError):
    """Something unexpected broke; details go to the log, never to the API."""

    code = "internal-error"


def task_error(task_id: str, exc: Exception) -> ICloudError:
    """The stable error code a task fails (or is retried) with."""
    if isinstance(exc, ICloudError):
        return exc
    if isinstance(exc, S3Error):
        log.error("task %s could not store its result: %s", task_id, type(exc).__name__)
        return StorageUnavailable()
    log.error("task %s failed unexpectedly: %s", task_id, type(exc).__name__)
    return InternalError()
