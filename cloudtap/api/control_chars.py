"""Control characters in a request's text: refused before any handler or database.

PostgreSQL refuses a NUL in a text column (SQLite stores it, so the two engines would
disagree), and no identifier, name or URL needs a control character. In a JSON body
(values and keys) and a form body, C0 controls other than tab, line feed and carriage
return, and DEL, are refused; in the path and the query string, every control is.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

# Allowed in body text: \t \n \r.
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _found_in(value: Any, path: str) -> str | None:
    """The dotted name of the first field of a parsed JSON value holding a control."""
    if isinstance(value, str):
        return (path or "body") if _BODY_CONTROLS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if _BODY_CONTROLS.search(key):
                return _printable(name)
            found = _found_in(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _found_in(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _printable(name: str) -> str:
    return _ANY_CONTROL.sub("?", name)


def json_field_with_control(text: str) -> str | None:
    """The field of a JSON body holding a control character, or None. Bodies without a
    backslash escape or a DEL cannot hold one (raw controls are invalid JSON): skipped."""
    if "\\" not in text and "\x7f" not in text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None  # not JSON: the handler's parser answers that
    return _found_in(parsed, "")


def form_field_with_control(text: str) -> str | None:
    for name, value in parse_qsl(text, keep_blank_values=True):
        if _BODY_CONTROLS.search(name) or _BODY_CONTROLS.search(value):
            return _printable(name)
    return None


def query_field_with_control(query: str) -> str | None:
    for name, value in parse_qsl(query, keep_blank_values=True):
        if _ANY_CONTROL.search(name) or _ANY_CONTROL.search(value):
            return _printable(name)
    return None


def path_has_control(path: str) -> bool:
    return _ANY_CONTROL.search(path) is not None
