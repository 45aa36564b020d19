"""Compares each captured reply with the sandbox's reply to the same call, and tallies."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from tests.sandbox.conformance.captures import Call, Group, all_groups
from tests.sandbox.conformance.deviations import DEVIATIONS, Deviation, explain
from tests.sandbox.conformance.driver import replay_group
from tests.sandbox.conformance.shapes import (
    Difference,
    compare_bodies,
    extra_keys,
    key_paths,
    value_differences,
)

# Session headers clients carry from one step to the next (pyicloud/icloudpd read them).
SESSION_HEADERS = ("x-apple-session", "x-apple-id-", "x-apple-twosv", "scnt")
# Headers clients act on (how long to wait, the real status): there exactly when captured.
ACTED_ON_HEADERS = ("retry-after", "x-apple-i-rscd")
# The auth page's JSON island that pyicloud and icloudpd parse (trusted phone numbers).
BOOT_ARGS = 'class="boot_args"'


@dataclass
class Outcome:
    call: Call
    status: int
    keys_checked: int
    values_compared: int = 0
    explained: list[tuple[Difference, Deviation]] = field(default_factory=list)
    unexplained: list[Difference] = field(default_factory=list)


@dataclass
class Report:
    outcomes: list[Outcome]

    def of(self, group_id: str) -> list[Outcome]:
        return [o for o in self.outcomes if f"{o.call.source}:{o.call.group}" == group_id]

    @property
    def used(self) -> set[Deviation]:
        return {d for o in self.outcomes for _, d in o.explained}

    @property
    def distinct(self) -> list[Outcome]:
        """One outcome per distinct captured reply (call, status, body): a cassette that
        replays the same sign-in or page in many flows counts once."""
        seen: dict[tuple[str, int, str], Outcome] = {}
        for o in self.outcomes:
            seen.setdefault(_reply_key(o.call), o)
        return list(seen.values())

    @property
    def distinct_replies(self) -> int:
        return len(self.distinct)

    def summary(self) -> str:
        distinct = self.distinct
        by_source = Counter(o.call.source for o in distinct)
        interactions = Counter(o.call.source for o in self.outcomes)
        sources = ", ".join(f"{s} {by_source[s]} of {interactions[s]}" for s in sorted(by_source))
        explained = Counter(d.status for o in self.outcomes for _, d in o.explained)
        unexplained = sum(len(o.unexplained) for o in self.outcomes)
        statuses = dict(sorted(Counter(d.status for d in DEVIATIONS).items()))
        return (
            f"distinct captured replies compared: {len(distinct)} "
            f"(of {len(self.outcomes)} interactions; {sources}); "
            f"key paths checked: {sum(o.keys_checked for o in distinct)}; "
            f"enumeration/constant values compared: {sum(o.values_compared for o in distinct)}; "
            f"documented deviations: {len(DEVIATIONS)}, each one kind and one key path "
            f"{statuses}, {len(self.used)} in use, "
            f"covering {sum(explained.values())} differences {dict(sorted(explained.items()))}; "
            f"unexplained: {unexplained}"
        )


def _reply_key(call: Call) -> tuple[str, int, str]:
    return call.label, call.status, json.dumps(call.body, sort_keys=True)


def _ours(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return response.text


def boot_args_of(page: str) -> Any:
    """The JSON of the auth page's ``boot_args`` script, or ``None``."""
    match = re.search(r'class="boot_args">(.*?)</script>', page, re.S)
    return json.loads(match.group(1)) if match else None


def _host_label(url: str) -> str:
    """``https://p61-fmipweb.icloud.com:443`` → ``pNN-fmipweb.icloud.com``."""
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0]
    return re.sub(r"^p\d+-", "pNN-", host)


def host_differences(captured: dict[str, Any], ours: dict[str, Any]) -> list[Difference]:
    """Service host names (``webservices.*.url``) must be Apple's, partition aside."""
    found = []
    theirs_ws, ours_ws = captured.get("webservices"), ours.get("webservices")
    if not isinstance(theirs_ws, dict) or not isinstance(ours_ws, dict):
        return []
    for key, entry in theirs_ws.items():
        mine = ours_ws.get(key)
        if not (isinstance(entry, dict) and isinstance(mine, dict)):
            continue
        if isinstance(entry.get("url"), str) and isinstance(mine.get("url"), str):
            expected, got = _host_label(entry["url"]), _host_label(mine["url"])
            if expected != got:
                found.append(Difference("host", f"webservices.{key}.url", f"{expected} != {got}"))
    return found


def _cookie_name(set_cookie: str) -> str:
    """A Set-Cookie's name; Apple's per-account ``X_APPLE_WEB_KB-<hash>`` reads as one name."""
    name = set_cookie.split("=", 1)[0].strip()
    return "X_APPLE_WEB_KB-*" if name.startswith("X_APPLE_WEB_KB-") else name


class Checked(NamedTuple):
    keys: int  # captured key paths whose presence and type were checked
    values: int  # captured enumeration/constant paths whose values were compared


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def differences(
    call: Call, response: httpx.Response, known: frozenset[str] = frozenset()
) -> tuple[Checked, list[Difference]]:
    """Everything that can be compared, whatever the status: status, body (keys, types,
    values of enumerations, keys the capture lacks), emptiness, content type, headers.
    ``known``: key paths other captures of the same call show (see ``vocabulary``)."""
    found: list[Difference] = []
    if response.status_code != call.status:
        found.append(Difference("status", "$", f"{call.status} != {response.status_code}"))
    keys = values = 0
    ours = _ours(response)
    # A 204 has no content (RFC 9110 §15.3.5): a body the cassette recorded for one is
    # the recorder's placeholder, so ours must be empty.
    captured = None if call.status == 204 else call.body
    if isinstance(captured, dict | list):
        keys, body = compare_bodies(captured, ours)
        values, flipped = value_differences(captured, ours)
        found += body + flipped
        found += [Difference("extra", p) for p in extra_keys(captured, ours, known)]
    elif isinstance(call.body, str) and call.status >= 500 and ours != call.body:
        found.append(Difference("text", "$", f"{call.body!r} != {str(ours)[:60]!r}"))
    elif isinstance(call.body, str) and BOOT_ARGS in call.body:
        mine = boot_args_of(str(ours))
        if mine is None:
            found.append(Difference("text", "$", "no boot_args script in the page"))
        else:
            keys, body = compare_bodies(boot_args_of(call.body), mine)
            values, flipped = value_differences(boot_args_of(call.body), mine)
            found += [Difference(d.kind, f"boot_args.{d.path}", d.detail) for d in body + flipped]
    elif captured is None and not call.media and response.content.strip():
        size = len(response.content)
        found.append(Difference("body", "$", f"captured empty, ours {size} bytes"))
    if call.content_type:
        theirs, mine_type = (
            _media_type(call.content_type),
            _media_type(response.headers.get("content-type", "")),
        )
        if theirs != mine_type:
            found.append(Difference("content-type", "$", f"{theirs} != {mine_type or 'none'}"))
    for header in call.headers:
        if header.lower().startswith(SESSION_HEADERS) and header not in response.headers:
            found.append(Difference("header", header))
    if isinstance(call.body, dict) and isinstance(ours, dict):
        found += host_differences(call.body, ours)
    if call.cookies:
        ours_set = {_cookie_name(c) for c in response.headers.get_list("set-cookie")}
        for cookie in sorted({_cookie_name(c) for c in call.cookies}):
            if cookie not in ours_set:
                found.append(Difference("cookie", cookie))
    if call.source == "icloudpd":  # the cassettes keep every header name Apple sent
        captured = {h.lower() for h in call.headers}
        for header in ACTED_ON_HEADERS:
            if (header in captured) != (header in response.headers):
                found.append(
                    Difference("header", header, "captured" if header in captured else "extra")
                )
    return Checked(keys, values), found


# Sources whose replies are kept key for key as Apple sent them: an extra key is judged
# against that reply alone. The public clients' test values are sanitised or hand-made
# (tests/fixtures/pyicloud/README.md), so theirs are judged against every capture of the
# same call: a key no capture of that call ever shows.
EXACT_SOURCES = ("icloudpd", "reconstructed")


def vocabulary(groups: list[Group]) -> dict[str, frozenset[str]]:
    """Every key path any capture shows, per call label."""
    paths: dict[str, set[str]] = {}
    for group in groups:
        for call in group.calls:
            if isinstance(call.body, dict | list):
                paths.setdefault(call.label, set()).update(key_paths(call.body))
    return {label: frozenset(found) for label, found in paths.items()}


def outcome(
    call: Call, response: httpx.Response, known: dict[str, frozenset[str]] | None = None
) -> Outcome:
    seen = frozenset() if known is None or call.source in EXACT_SOURCES else known[call.label]
    checked, found = differences(call, response, seen)
    result = Outcome(call, response.status_code, checked.keys, checked.values)
    for difference in found:
        deviation = explain(call, difference)
        if deviation is None:
            result.unexplained.append(difference)
        else:
            result.explained.append((difference, deviation))
    return result


async def run_group(group: Group, known: dict[str, frozenset[str]]) -> list[Outcome]:
    replies = await replay_group(group.calls)
    return [outcome(call, response, known) for call, response in replies]


async def run_all() -> Report:
    groups = all_groups()
    known = vocabulary(groups)
    outcomes: list[Outcome] = []
    for group in groups:
        outcomes += await run_group(group, known)
    return Report(outcomes)


def deviation_table() -> str:
    """Every documented deviation as a markdown table: one kind at one key path per row."""
    rows = [
        "| # | call | capture | kind | key path | status | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, d in enumerate(DEVIATIONS, 1):
        cells = (d.call, d.source, d.kind, d.path, d.status, d.reason)
        text = [str(c).replace("|", "\\|").replace("\n", " ") for c in cells]
        rows.append(
            f"| {number} | "
            + " | ".join(f"`{t}`" for t in text[:4])
            + f" | {text[4]} | {text[5]} |"
        )
    return "\n".join(rows) + "\n"


def write_docs(path: Path) -> None:
    """Puts the current deviation table between the markers of ``docs/conformance.md``."""
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- deviations -->\n", "<!-- /deviations -->"
    head, rest = text.split(start, 1)
    path.write_text(head + start + deviation_table() + end + rest.split(end, 1)[1], "utf-8")


if __name__ == "__main__":
    write_docs(Path(__file__).resolve().parents[3] / "docs" / "conformance.md")
