"""Every refusal the sandbox can answer has a line in the evidence ledger.

The sandbox's modules are read (not run): every reply built with an error status
(``JSONResponse(..., 404)``, ``service_errors(401, ...)``, ``CloudKitError(...)``, ...) is
a (module, status) pair, and ``docs/apple-evidence.md``'s "Refusals" table must have a row
for it, with its evidence or "assumed".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "cloudtap" / "sandbox"
LEDGER = ROOT / "docs" / "apple-evidence.md"
# Whatever builds a reply (or an error answered as one) and takes its status.
BUILDERS = {
    "JSONResponse",
    "PlainTextResponse",
    "HTMLResponse",
    "Response",
    "apple_json",
    "service_errors",
    "_json",
    "_error",
    "_send_simple",
    "empty",
    "error_envelope",
    "_request_error",
}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _statuses(call: ast.Call) -> list[int]:
    values = [*call.args, *(k.value for k in call.keywords if k.arg in ("status_code", "status"))]
    return [
        v.value
        for v in values
        if isinstance(v, ast.Constant) and isinstance(v.value, int) and 400 <= v.value < 600
    ]


def refusals() -> set[tuple[str, int]]:
    """(module under cloudtap/sandbox, status) of every refusal in the source."""
    found: set[tuple[str, int]] = set()
    for path in sorted(SANDBOX.rglob("*.py")):
        module = path.relative_to(SANDBOX).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if _name(node) == "CloudKitError":  # its status defaults to 400
                found.add((module, (_statuses(node) or [400])[0]))
            elif _name(node) in BUILDERS:
                found |= {(module, status) for status in _statuses(node)}
            elif _name(node) == "bad_request":
                found.add((module, 400))
            elif _name(node) == "throttled":
                found.add((module, 503))
    return found


def ledger_rows() -> set[tuple[str, int]]:
    text = LEDGER.read_text(encoding="utf-8")
    section = text.split("\n## Refusals", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (\d{3}) \|", section, re.M)
    return {(module, int(status)) for module, status in rows}


def test_the_source_is_read() -> None:
    found = refusals()
    assert ("apple/idmsa.py", 401) in found
    assert ("services/findmy.py", 400) in found
    assert ("services/_ckzone.py", 410) in found


def test_every_refusal_has_a_ledger_row() -> None:
    missing = sorted(refusals() - ledger_rows())
    assert not missing, (
        'add a row "| `<module>` | <status> | when | reply | evidence or [assumed] |" to the '
        f"Refusals table of docs/apple-evidence.md for: {missing}"
    )


def test_no_ledger_row_names_a_refusal_that_is_gone() -> None:
    assert not sorted(ledger_rows() - refusals())
