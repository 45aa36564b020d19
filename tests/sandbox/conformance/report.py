"""Compares each captured reply with the sandbox's reply to the same call, and tallies."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.sandbox.conformance.captures import Call, Group, all_groups
from tests.sandbox.conformance.deviations import DEVIATIONS, Deviation, explain
from tests.sandbox.conformance.driver import replay_group
from tests.sandbox.conformance.shapes import Difference, compare_bodies, extra_keys

# Session headers clients carry from one step to the next (pyicloud/icloudpd read them).
SESSION_HEADERS = ("x-apple-session", "x-apple-id-", "x-apple-twosv", "scnt")
# Headers clients act on (how long to wait, the real status): there exactly when captured.
ACTED_ON_HEADERS = ("retry-after", "x-apple-i-rscd")
# The auth page's JSON island that pyicloud and icloudpd parse (trusted phone numbers).
BOOT_ARGS = 'class="boot_args"'
# Sign-in replies are small and clients branch on which keys are there: on these hosts a
# key the (real, icloudpd) capture does not have is a difference too.
STRICT_HOSTS = ("idmsa.apple.com", "setup.icloud.com/setup/ws/1/")


@dataclass
class Outcome:
    call: Call
    status: int
    keys_checked: int
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

    def summary(self) -> str:
        sources = Counter(o.call.source for o in self.outcomes)
        explained = Counter(d.status for o in self.outcomes for _, d in o.explained)
        unexplained = sum(len(o.unexplained) for o in self.outcomes)
        return (
            f"captured replies compared: {len(self.outcomes)} ({dict(sorted(sources.items()))}); "
            f"key paths checked: {sum(o.keys_checked for o in self.outcomes)}; "
            f"documented deviations: {len(DEVIATIONS)} entries "
            f"{dict(sorted(Counter(d.status for d in DEVIATIONS).items()))}, "
            f"{len(self.used)} in use, "
            f"covering {sum(explained.values())} differences {dict(sorted(explained.items()))}; "
            f"unexplained: {unexplained}"
        )


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


def differences(call: Call, response: httpx.Response) -> tuple[int, list[Difference]]:
    """Status first; the body's keys only when the status matches or differs on purpose."""
    found: list[Difference] = []
    if response.status_code != call.status:
        status = Difference("status", "$", f"{call.status} != {response.status_code}")
        deviation = explain(call, status)
        if deviation is None or deviation.status != "deliberate":
            return 0, [status]
        found.append(status)
    checked = 0
    ours = _ours(response)
    if isinstance(call.body, dict | list) and call.body:
        checked, body = compare_bodies(call.body, ours)
        found += body
        if call.source == "icloudpd" and call.label.split(" ", 1)[1].startswith(STRICT_HOSTS):
            found += [Difference("extra", p) for p in extra_keys(call.body, ours)]
    elif isinstance(call.body, str) and call.status >= 500 and ours != call.body:
        found.append(Difference("text", "$", f"{call.body!r} != {str(ours)[:60]!r}"))
    elif isinstance(call.body, str) and BOOT_ARGS in call.body:
        mine = boot_args_of(str(ours))
        if mine is None:
            found.append(Difference("text", "$", "no boot_args script in the page"))
        else:
            checked, body = compare_bodies(boot_args_of(call.body), mine)
            found += [Difference(d.kind, f"boot_args.{d.path}", d.detail) for d in body]
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
    return checked, found


def outcome(call: Call, response: httpx.Response) -> Outcome:
    checked, found = differences(call, response)
    result = Outcome(call, response.status_code, checked)
    for difference in found:
        deviation = explain(call, difference)
        if deviation is None:
            result.unexplained.append(difference)
        else:
            result.explained.append((difference, deviation))
    return result


async def run_group(group: Group) -> list[Outcome]:
    return [outcome(call, response) for call, response in await replay_group(group.calls)]


async def run_all() -> Report:
    outcomes: list[Outcome] = []
    for group in all_groups():
        outcomes += await run_group(group)
    return Report(outcomes)
