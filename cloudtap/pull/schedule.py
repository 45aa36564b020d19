"""``--watch`` intervals: ``90``, ``90s``, ``15m``, ``6h``, ``1d``."""

from __future__ import annotations

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    text = text.strip().lower()
    unit = UNITS.get(text[-1:]) if text else None
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise ValueError(f"not an interval: {text!r} (try 90s, 15m, 6h)") from None
    if seconds <= 0:
        raise ValueError("the interval must be positive")
    return seconds
