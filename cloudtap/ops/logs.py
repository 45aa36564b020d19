"""Structured logs: one JSON object a line, with the request and poll ids, no secrets.

``CLOUDTAP_LOG_FORMAT=json`` turns them on (``text``, the default, keeps the plain
lines). Every message and every extra field passes through :func:`redact` first: API
tokens, ``Authorization`` values, passwords, codes, cookies and session or trust tokens
never reach a line, whichever code logged them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
poll_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("poll_id", default=None)
# Set by a running job (cloudtap.jobs.log_context): its name and the ids it works on.
job: contextvars.ContextVar[str | None] = contextvars.ContextVar("job", default=None)
task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
session_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("session_id", default=None)
CONTEXT = {
    "request_id": request_id,
    "poll_id": poll_id,
    "job": job,
    "task_id": task_id,
    "session_id": session_id,
}

REDACTED = "[redacted]"
_SECRET_NAMES = (
    r"password|passwd|code|token|secret|authorization|cookie|set-cookie|session_token|"
    r"trust_token|x-apple-[\w-]+|scnt|dsid|apple_id_session|credentials?|sig|signature"
)
_PATTERNS = (
    # Our own API tokens, wherever they appear.
    (re.compile(r"ct_(?:sandbox|live)_[A-Za-z0-9_\-]+"), "ct_" + REDACTED),
    (re.compile(r"(?i)\b(token|bearer|basic)\s+[A-Za-z0-9_\-.=+/]{8,}"), r"\1 " + REDACTED),
    # name=value, name: value, "name": "value" for secret-looking names.
    (
        re.compile(
            rf"(?i)(?<![\w-])([\"']?(?:{_SECRET_NAMES})[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&}}]+)"
        ),
        r"\1" + f'"{REDACTED}"',
    ),
)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, var in CONTEXT.items():
            value = getattr(record, name, None) or var.get()
            if value:
                entry[name] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def json_logs() -> bool:
    return os.environ.get("CLOUDTAP_LOG_FORMAT", "text").lower() == "json"


# Libraries whose start-up chatter (migrations run, commands registered, banners) is
# only for whoever debugs a start: shown with ``-v``.
INTERNAL_LOGGERS = ("alembic", "huey", "cloudtap.cli.runtime")


def configure_logging(level: int = logging.INFO, verbose: bool = True) -> None:
    """Root logging for ``serve`` and ``worker``: JSON lines or the plain format.

    Unless ``verbose``, the internals' INFO lines are hidden; warnings still show.
    """
    for name in INTERNAL_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    if not json_logs():
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
