"""One capture run: log in (or reuse a session), list the chosen data types within the
given bounds while every exchange is recorded, log out. Returns the raw exchanges."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.errors import ICloudError
from cloudtap.icloud.recorder import (
    ExchangeRecorder,
    RecordedExchange,
    RecordingLimitReached,
    recording,
)

CodePrompt = Callable[[str], str]


class CaptureFailed(Exception):
    """The login did not end in a session (its error code in the message)."""


@dataclass(frozen=True)
class Bounds:
    max_items: int = 50  # per data type
    max_requests: int = 20  # per data type: Apple calls its listing may make


@dataclass(frozen=True)
class CaptureResult:
    exchanges: list[RecordedExchange]
    items: dict[str, int]  # data type → items listed
    # data type → the error code its listing ended with (its exchanges are kept: an
    # error reply is evidence too).
    errors: dict[str, str] = field(default_factory=dict)


async def login(
    connector: ICloudConnector, apple_id: str, password: str, ask_code: CodePrompt
) -> JSONDict:
    outcome = await connector.login(Credentials(apple_id, password), None)
    for _ in range(3):  # a code, or a choice then a code: never more
        if outcome.state == "active" and outcome.session_state:
            return outcome.session_state
        if outcome.error not in ("code-required", "choice-required"):
            break
        code = ask_code(outcome.error or "")
        if outcome.error == "choice-required":
            credentials = Credentials(apple_id, choice=code)
        else:
            credentials = Credentials(apple_id, code=code)
        outcome = await connector.login(credentials, outcome.session_state)
    raise CaptureFailed(f"login failed: {outcome.error}")


async def capture(
    transport: TransportOptions,
    apple_id: str,
    password: str,
    data_types: Sequence[str],
    bounds: Bounds,
    ask_code: CodePrompt,
) -> CaptureResult:
    connector = ICloudConnector(transport)
    recorder = ExchangeRecorder()
    with recording(recorder):
        state = await login(connector, apple_id, password, ask_code)
        try:
            counts, failed = await _list_all(connector, state, data_types, bounds, recorder)
        finally:
            recorder.limit = None  # the logout is always recorded
            await connector.logout(state)
    return CaptureResult(recorder.exchanges, counts, failed)


async def capture_session(
    transport: TransportOptions,
    state: JSONDict,
    data_types: Sequence[str],
    bounds: Bounds,
) -> CaptureResult:
    """The same listings on a live session (an API key's): no sign-in, and no logout,
    which would end that session for its owner too."""
    connector = ICloudConnector(transport)
    recorder = ExchangeRecorder()
    with recording(recorder):
        counts, failed = await _list_all(connector, state, data_types, bounds, recorder)
    return CaptureResult(recorder.exchanges, counts, failed)


async def _list_all(
    connector: ICloudConnector,
    state: JSONDict,
    data_types: Sequence[str],
    bounds: Bounds,
    recorder: ExchangeRecorder,
) -> tuple[dict[str, int], dict[str, str]]:
    counts: dict[str, int] = {}
    failed: dict[str, str] = {}
    for data_type in data_types:
        recorder.limit = len(recorder.exchanges) + bounds.max_requests
        try:
            counts[data_type] = await _list(connector, state, data_type, bounds)
        except ICloudError as exc:
            counts[data_type] = 0
            failed[data_type] = exc.code
    recorder.limit = None
    return counts, failed


async def _list(
    connector: ICloudConnector,
    state: JSONDict,
    data_type: str,
    bounds: Bounds,
) -> int:
    """Items listed before either bound; the recorder's ``limit`` holds the other."""
    listed = 0
    try:
        async with aclosing(connector.fetch_items(state, data_type, Filters())) as items:
            async for _ in items:
                listed += 1
                if listed >= bounds.max_items:
                    break
    except RecordingLimitReached:
        pass  # the request bound: the listing stops where it was
    return listed
