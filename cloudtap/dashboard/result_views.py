"""Table rows for the data types the dashboard shows as tables (Find My, contacts, calendar)."""

from __future__ import annotations

from typing import Any

MAX_ROWS = 500


def _records(item: dict[str, Any], kind: str) -> str:
    return ", ".join(
        str(r.get("value")) for r in item.get("records") or [] if r.get("type") == kind
    )


def contact_rows(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for item in items[:MAX_ROWS]:
        parts = [item.get(k) for k in ("prefix", "first_name", "middle_name", "last_name")]
        name = " ".join(str(p) for p in parts if p) or str(item.get("organisation") or "")
        rows.append(
            {
                "name": name,
                "organisation": str(item.get("organisation") or ""),
                "phones": _records(item, "Phone"),
                "emails": _records(item, "Email"),
                "birthday": str(item.get("birthday") or ""),
            }
        )
    return rows


def _battery(level: Any) -> str:
    if isinstance(level, int | float):
        return f"{round(level * 100)}%" if level <= 1 else f"{round(level)}%"
    return "unknown"


def _location(location: Any) -> str:
    if not isinstance(location, dict):
        return "no location reported"
    lat, lon = location.get("latitude"), location.get("longitude")
    when = location.get("timestamp") or location.get("date") or ""
    where = f"{lat}, {lon}" if lat is not None and lon is not None else "unknown"
    return f"{where} ({when})" if when else where


def device_rows(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "name": str(item.get("name") or ""),
            "model": str(item.get("model_name") or item.get("product_type") or ""),
            "battery": _battery(item.get("battery_level")),
            "battery_status": str(item.get("battery_status") or ""),
            "location": _location(item.get("location")),
        }
        for item in items[:MAX_ROWS]
    ]


def event_rows(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "title": str(item.get("title") or "(no title)"),
            "calendar": str(item.get("calendar") or ""),
            "start": str(item.get("start") or ""),
            "end": str(item.get("end") or ""),
            "all_day": "yes" if item.get("all_day") else "",
            "location": str(item.get("location") or ""),
        }
        for item in items[:MAX_ROWS]
    ]
