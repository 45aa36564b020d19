"""Redaction of URLs: Apple's own service URLs keep their host and path (protocol) and
lose their query values; any other URL (a signed download URL, a link to elsewhere) is
replaced whole by a stand-in on ``redacted.example.com``, and so is any URL that is a
person's content (a visited page, a note's link card), even one on an Apple host: its
path says what the person read."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cloudtap.capture.pseudonyms import Pseudonyms

APPLE_HOSTS = re.compile(r"^([a-z0-9-]+\.)*(icloud\.com|icloud\.com\.cn|apple\.com)(:\d+)?$")
STAND_IN_HOST = "redacted.example.com"
# Query parameters of Apple's web client that say nothing of the person.
KEPT_PARAMS = frozenset(
    {
        "clientBuildNumber",
        "clientMasteringNumber",
        "remapEnums",
        "getCurrentSyncToken",
        "isRememberMeEnabled",
        "limit",
        "offset",
        "locale",
        "order",
        "lang",
        "usertz",
        "requestID",
        "isPrimary",
        "checkForNewRecords",
    }
)

ParamRedactor = Callable[[str, str], str]


def is_apple_host(host: str) -> bool:
    return bool(APPLE_HOSTS.match(host.lower()))


def redact_url(value: str, names: Pseudonyms, param: ParamRedactor, content: bool = False) -> str:
    parts = urlsplit(value)
    if content or not is_apple_host(parts.netloc):
        path = urlsplit(names.shaped(value, "url")).path.lstrip("/")
        made = f"https://{STAND_IN_HOST}/{path}"
        names.mapping[value] = made  # the same link maps alike wherever it appears
        names.produced.add(made)
        return made
    if not parts.query and "/" not in parts.path.strip("/"):
        return value  # a service's base URL: protocol
    query = [
        (k, v if k in KEPT_PARAMS else param(v, k))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    path = "/".join(_path_segment(s, names) for s in parts.path.split("/"))
    made = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
    if made != value:
        names.mapping[value] = made
    return made


def _path_segment(segment: str, names: Pseudonyms) -> str:
    # Long digit runs (a dsid) and long opaque ids in a path are personal.
    if len(segment) >= 6 and segment.isdigit():
        return names.shaped(segment, "account number")
    if len(segment) >= 20 and any(c.isdigit() for c in segment):
        return names.shaped(segment, "identifier")
    return segment
