"""Table rows for the data types the dashboard shows as tables (Find My, contacts, calendar,
reminder lists)."""

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


_PRIORITIES = {1: "high", 5: "medium", 9: "low"}


def reminder_lists(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each list (name, colour, shared) with its reminders' rows, at most ``MAX_ROWS``
    reminders in all; reminders of a list the result does not hold come last."""
    lists = [i for i in items if i.get("data_type") == "cloudkit_reminders.list"]
    reminders = [i for i in items if i.get("data_type") == "cloudkit_reminders.reminder"]
    groups: dict[str, dict[str, Any]] = {
        str(lst.get("id")): {
            "name": str(lst.get("name") or "(no name)"),
            "color": str(lst.get("color") or ""),
            "shared": bool(lst.get("shared")),
            "rows": [],
        }
        for lst in lists
    }
    for item in reminders[:MAX_ROWS]:
        key = str(item.get("list_id"))
        group = groups.setdefault(
            key,
            {"name": str(item.get("list") or "(unknown list)"), "color": "", "shared": False,
             "rows": []},
        )  # fmt: skip
        due = str(item.get("due_date") or "")
        group["rows"].append(
            {
                "title": str(item.get("title") or "(no title)"),
                "due": f"{due} (all day)" if due and item.get("all_day") else due,
                "priority": _PRIORITIES.get(item.get("priority") or 0, ""),
                "flagged": "yes" if item.get("flagged") else "",
                "completed": str(item.get("date_completed") or "yes")
                if item.get("completed")
                else "",
                "subtask": "yes" if item.get("parent_id") else "",
            }
        )
    return list(groups.values())
